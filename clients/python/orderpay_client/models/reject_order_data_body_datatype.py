from enum import StrEnum


class RejectOrderDataBodyDatatype(StrEnum):
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
