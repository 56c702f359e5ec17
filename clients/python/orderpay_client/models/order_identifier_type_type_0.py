from enum import StrEnum


class OrderIdentifierTypeType0(StrEnum):
    ORDER = "order"
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
