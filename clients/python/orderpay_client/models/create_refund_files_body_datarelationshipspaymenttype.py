from enum import StrEnum


class CreateRefundFilesBodyDatarelationshipspaymenttype(StrEnum):
    PAYMENT = "payment"
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
