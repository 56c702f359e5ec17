from enum import StrEnum


class CreateOrderDataBodyDatatype(StrEnum):
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
