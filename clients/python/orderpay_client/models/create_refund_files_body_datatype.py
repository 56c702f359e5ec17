from enum import StrEnum


class CreateRefundFilesBodyDatatype(StrEnum):
    REFUNDS = "refunds"

    def __str__(self) -> str:
        return str(self.value)
