from enum import StrEnum


class CreatePaymentFilesBodyDatarelationshipsordertype(StrEnum):
    ORDER = "order"
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
