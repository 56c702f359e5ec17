from enum import StrEnum


class CreateOrderDataBodyDatarelationshipsbusinessdatatype(StrEnum):
    BUSINESS = "business"
    BUSINESSES = "businesses"

    def __str__(self) -> str:
        return str(self.value)
