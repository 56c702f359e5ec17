from enum import StrEnum


class PaymentReferenceTypeType0(StrEnum):
    PAYMENT = "payment"
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
