from enum import StrEnum


class RejectOrderFilesBodyDatatype(StrEnum):
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
