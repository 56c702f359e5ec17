from enum import StrEnum


class PaymentAttributesState(StrEnum):
    CANCELED = "canceled"
    DISPUTED = "disputed"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    PROCESSING = "processing"
    REFUNDED = "refunded"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)
