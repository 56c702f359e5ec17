from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.order_element_request import OrderElementRequest


T = TypeVar("T", bound="CreateOrderAttributes")


@_attrs_define
class CreateOrderAttributes:
    """
    Attributes:
        elements (list[OrderElementRequest]): The order's lines (1 to 100). Prices come from the business's products,
            never from the client.
        shipping_cost_cents (int | None | str | Unset):
        notes (None | str | Unset): For the kitchen.
    """

    elements: list[OrderElementRequest]
    shipping_cost_cents: int | None | str | Unset = UNSET
    notes: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        elements = []
        for elements_item_data in self.elements:
            elements_item = elements_item_data.to_dict()
            elements.append(elements_item)

        shipping_cost_cents: int | None | str | Unset
        if isinstance(self.shipping_cost_cents, Unset):
            shipping_cost_cents = UNSET
        else:
            shipping_cost_cents = self.shipping_cost_cents

        notes: None | str | Unset
        if isinstance(self.notes, Unset):
            notes = UNSET
        else:
            notes = self.notes

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "elements": elements,
            }
        )
        if shipping_cost_cents is not UNSET:
            field_dict["shipping_cost_cents"] = shipping_cost_cents
        if notes is not UNSET:
            field_dict["notes"] = notes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.order_element_request import OrderElementRequest  # noqa: PLC0415

        d = dict(src_dict)
        elements = []
        _elements = d.pop("elements")
        for elements_item_data in _elements:
            elements_item = OrderElementRequest.from_dict(elements_item_data)

            elements.append(elements_item)

        def _parse_shipping_cost_cents(data: object) -> int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | str | Unset, data)

        shipping_cost_cents = _parse_shipping_cost_cents(d.pop("shipping_cost_cents", UNSET))

        def _parse_notes(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        notes = _parse_notes(d.pop("notes", UNSET))

        create_order_attributes = cls(
            elements=elements,
            shipping_cost_cents=shipping_cost_cents,
            notes=notes,
        )

        return create_order_attributes
