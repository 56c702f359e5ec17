from enum import StrEnum


class CreateRefundDataBodyDatatype(StrEnum):
    REFUNDS = "refunds"

    def __str__(self) -> str:
        return str(self.value)
