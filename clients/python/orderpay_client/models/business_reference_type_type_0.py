from enum import StrEnum


class BusinessReferenceTypeType0(StrEnum):
    BUSINESS = "business"
    BUSINESSES = "businesses"

    def __str__(self) -> str:
        return str(self.value)
