from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="OrderElementRequest")


@_attrs_define
class OrderElementRequest:
    """
    Attributes:
        product_id (int | str): A product of the order's business (its `id`).
        quantity (int | str): How many, from 1 to 99.
    """

    product_id: int | str
    quantity: int | str

    def to_dict(self) -> dict[str, Any]:
        product_id: int | str
        product_id = self.product_id

        quantity: int | str
        quantity = self.quantity

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "product_id": product_id,
                "quantity": quantity,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_product_id(data: object) -> int | str:
            return cast(int | str, data)

        product_id = _parse_product_id(d.pop("product_id"))

        def _parse_quantity(data: object) -> int | str:
            return cast(int | str, data)

        quantity = _parse_quantity(d.pop("quantity"))

        order_element_request = cls(
            product_id=product_id,
            quantity=quantity,
        )

        return order_element_request
