from enum import StrEnum


class BusinessIdentifierTypeType0(StrEnum):
    BUSINESS = "business"
    BUSINESSES = "businesses"

    def __str__(self) -> str:
        return str(self.value)
