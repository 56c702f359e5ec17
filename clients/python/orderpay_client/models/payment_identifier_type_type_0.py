from enum import StrEnum


class PaymentIdentifierTypeType0(StrEnum):
    PAYMENT = "payment"
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
