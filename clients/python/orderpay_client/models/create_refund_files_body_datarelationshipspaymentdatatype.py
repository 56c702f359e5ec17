from enum import StrEnum


class CreateRefundFilesBodyDatarelationshipspaymentdatatype(StrEnum):
    PAYMENT = "payment"
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
