from enum import StrEnum


class CreatePaymentFilesBodyDatatype(StrEnum):
    PAYMENTS = "payments"

    def __str__(self) -> str:
        return str(self.value)
