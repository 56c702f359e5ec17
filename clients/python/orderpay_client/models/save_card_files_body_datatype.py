from enum import StrEnum


class SaveCardFilesBodyDatatype(StrEnum):
    CARDS = "cards"

    def __str__(self) -> str:
        return str(self.value)
