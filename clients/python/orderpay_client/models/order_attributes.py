from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.order_attributes_reject_reason_type_0 import OrderAttributesRejectReasonType0
from ..models.order_attributes_state import OrderAttributesState

if TYPE_CHECKING:
    from ..models.order_element import OrderElement


T = TypeVar("T", bound="OrderAttributes")


@_attrs_define
class OrderAttributes:
    """
    Attributes:
        state (OrderAttributesState): `pending_payment` → `paid` → `rejected` (refunded).
        currency (str):
        elements (list[OrderElement]):
        subtotal_cents (int):
        shipping_cost_cents (int):
        total_cents (int):
        notes (None | str):
        reject_reason (None | OrderAttributesRejectReasonType0):
        other_rejection_reason (None | str):
        created_at (datetime.datetime):
    """

    state: OrderAttributesState
    currency: str
    elements: list[OrderElement]
    subtotal_cents: int
    shipping_cost_cents: int
    total_cents: int
    notes: None | str
    reject_reason: None | OrderAttributesRejectReasonType0
    other_rejection_reason: None | str
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        state = self.state.value

        currency = self.currency

        elements = []
        for elements_item_data in self.elements:
            elements_item = elements_item_data.to_dict()
            elements.append(elements_item)

        subtotal_cents = self.subtotal_cents

        shipping_cost_cents = self.shipping_cost_cents

        total_cents = self.total_cents

        notes: None | str
        notes = self.notes

        reject_reason: None | str
        if isinstance(self.reject_reason, OrderAttributesRejectReasonType0):
            reject_reason = self.reject_reason.value
        else:
            reject_reason = self.reject_reason

        other_rejection_reason: None | str
        other_rejection_reason = self.other_rejection_reason

        created_at = self.created_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "state": state,
                "currency": currency,
                "elements": elements,
                "subtotal_cents": subtotal_cents,
                "shipping_cost_cents": shipping_cost_cents,
                "total_cents": total_cents,
                "notes": notes,
                "reject_reason": reject_reason,
                "other_rejection_reason": other_rejection_reason,
                "created_at": created_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.order_element import OrderElement  # noqa: PLC0415

        d = dict(src_dict)
        state = OrderAttributesState(d.pop("state"))

        currency = d.pop("currency")

        elements = []
        _elements = d.pop("elements")
        for elements_item_data in _elements:
            elements_item = OrderElement.from_dict(elements_item_data)

            elements.append(elements_item)

        subtotal_cents = d.pop("subtotal_cents")

        shipping_cost_cents = d.pop("shipping_cost_cents")

        total_cents = d.pop("total_cents")

        def _parse_notes(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        notes = _parse_notes(d.pop("notes"))

        def _parse_reject_reason(data: object) -> None | OrderAttributesRejectReasonType0:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reject_reason_type_0 = OrderAttributesRejectReasonType0(data)

                return reject_reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OrderAttributesRejectReasonType0, data)

        reject_reason = _parse_reject_reason(d.pop("reject_reason"))

        def _parse_other_rejection_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        other_rejection_reason = _parse_other_rejection_reason(d.pop("other_rejection_reason"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        order_attributes = cls(
            state=state,
            currency=currency,
            elements=elements,
            subtotal_cents=subtotal_cents,
            shipping_cost_cents=shipping_cost_cents,
            total_cents=total_cents,
            notes=notes,
            reject_reason=reject_reason,
            other_rejection_reason=other_rejection_reason,
            created_at=created_at,
        )

        order_attributes.additional_properties = d
        return order_attributes

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
