from enum import StrEnum


class RejectOrderDataBodyDataattributesrejectReason(StrEnum):
    ALMOST_CLOSING_TIME = "almost_closing_time"
    DISHES_UNAVAILABLE = "dishes_unavailable"
    KITCHEN_FULL = "kitchen_full"
    NO_DELIVERY_PERSON = "no_delivery_person"
    OTHER = "other"

    def __str__(self) -> str:
        return str(self.value)
