from enum import StrEnum


class CreateOrderFilesBodyDatatype(StrEnum):
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
