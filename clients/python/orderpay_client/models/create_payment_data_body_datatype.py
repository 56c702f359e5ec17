from enum import StrEnum


class CreatePaymentDataBodyDatatype(StrEnum):
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
