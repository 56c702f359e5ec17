from enum import StrEnum


class CreatePaymentDataBodyDatarelationshipsorderdatatype(StrEnum):
    ORDER = "order"
    ORDERS = "orders"

    def __str__(self) -> str:
        return str(self.value)
