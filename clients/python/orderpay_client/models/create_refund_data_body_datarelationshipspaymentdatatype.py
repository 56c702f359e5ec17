from enum import StrEnum


class CreateRefundDataBodyDatarelationshipspaymentdatatype(StrEnum):
    PAYMENT = "payment"
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
