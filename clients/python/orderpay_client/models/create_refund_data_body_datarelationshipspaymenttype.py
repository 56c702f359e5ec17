from enum import StrEnum


class CreateRefundDataBodyDatarelationshipspaymenttype(StrEnum):
    PAYMENT = "payment"
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
