from enum import StrEnum


class CreatePaymentDataBodyDatarelationshipsordertype(StrEnum):
    ORDER = "order"
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
