from enum import StrEnum


class SaveCardDataBodyDatatype(StrEnum):
    CARDS = "cards"

    def __str__(self) -> str:
        return str(self.value)
