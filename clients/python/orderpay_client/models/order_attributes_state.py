from enum import StrEnum


class OrderAttributesState(StrEnum):
    PAID = "paid"
    PENDING_PAYMENT = "pending_payment"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return str(self.value)
