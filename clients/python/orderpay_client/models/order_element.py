from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OrderElement")


@_attrs_define
class OrderElement:
    """
    Attributes:
        product_id (str): Opaque to clients.
        name (str):
        quantity (int):
        unit_price_cents (int):
        total_cents (int):
    """

    product_id: str
    name: str
    quantity: int
    unit_price_cents: int
    total_cents: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        product_id = self.product_id

        name = self.name

        quantity = self.quantity

        unit_price_cents = self.unit_price_cents

        total_cents = self.total_cents

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "product_id": product_id,
                "name": name,
                "quantity": quantity,
                "unit_price_cents": unit_price_cents,
                "total_cents": total_cents,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        product_id = d.pop("product_id")

        name = d.pop("name")

        quantity = d.pop("quantity")

        unit_price_cents = d.pop("unit_price_cents")

        total_cents = d.pop("total_cents")

        order_element = cls(
            product_id=product_id,
            name=name,
            quantity=quantity,
            unit_price_cents=unit_price_cents,
            total_cents=total_cents,
        )

        order_element.additional_properties = d
        return order_element

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
