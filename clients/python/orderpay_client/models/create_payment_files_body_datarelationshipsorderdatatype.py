from enum import StrEnum


class CreatePaymentFilesBodyDatarelationshipsorderdatatype(StrEnum):
    ORDER = "order"
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
