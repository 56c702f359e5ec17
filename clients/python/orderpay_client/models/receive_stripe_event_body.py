from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.receive_stripe_event_body_data import ReceiveStripeEventBodyData


T = TypeVar("T", bound="ReceiveStripeEventBody")


@_attrs_define
class ReceiveStripeEventBody:
    """Handled: `payment_intent.succeeded`, `payment_intent.payment_failed`, `payment_intent.canceled`,
    `payment_intent.requires_action`, `charge.refunded`, `charge.refund.updated`, `refund.updated`, `refund.failed`,
    `charge.dispute.created`; others are acknowledged.

        Attributes:
            id (str):
            type_ (str):
            data (ReceiveStripeEventBodyData):
    """

    id: str
    type_: str
    data: ReceiveStripeEventBodyData
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.receive_stripe_event_body_data import ReceiveStripeEventBodyData  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        data = ReceiveStripeEventBodyData.from_dict(d.pop("data"))

        receive_stripe_event_body = cls(
            id=id,
            type_=type_,
            data=data,
        )

        receive_stripe_event_body.additional_properties = d
        return receive_stripe_event_body

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
