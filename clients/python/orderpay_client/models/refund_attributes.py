from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.refund_attributes_state import RefundAttributesState

T = TypeVar("T", bound="RefundAttributes")


@_attrs_define
class RefundAttributes:
    """
    Attributes:
        state (RefundAttributesState): Stripe's: `pending` → `succeeded` | `failed` | `canceled`; only succeeded refunds
            count in the payment's `refunded_cents`.
        amount_cents (int):
        reason (None | str):
        stripe_refund_id (None | str):
        created_at (datetime.datetime):
    """

    state: RefundAttributesState
    amount_cents: int
    reason: None | str
    stripe_refund_id: None | str
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        state = self.state.value

        amount_cents = self.amount_cents

        reason: None | str
        reason = self.reason

        stripe_refund_id: None | str
        stripe_refund_id = self.stripe_refund_id

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "state": state,
                "amount_cents": amount_cents,
                "reason": reason,
                "stripe_refund_id": stripe_refund_id,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        state = RefundAttributesState(d.pop("state"))

        amount_cents = d.pop("amount_cents")

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        def _parse_stripe_refund_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        stripe_refund_id = _parse_stripe_refund_id(d.pop("stripe_refund_id"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        refund_attributes = cls(
            state=state,
            amount_cents=amount_cents,
            reason=reason,
            stripe_refund_id=stripe_refund_id,
            created_at=created_at,
        )

        refund_attributes.additional_properties = d
        return refund_attributes

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
