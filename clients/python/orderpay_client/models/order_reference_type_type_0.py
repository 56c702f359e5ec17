from enum import StrEnum


class OrderReferenceTypeType0(StrEnum):
    ORDER = "order"
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
