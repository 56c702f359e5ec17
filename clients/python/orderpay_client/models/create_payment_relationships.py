from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.order_linkage import OrderLinkage
    from ..models.order_reference import OrderReference


T = TypeVar("T", bound="CreatePaymentRelationships")


@_attrs_define
class CreatePaymentRelationships:
    """Relationships object with **`order`** object.

    Attributes:
        order (OrderLinkage | OrderReference): Add a order relationships link: the order to pay, one of the caller's own
            and `pending_payment`.
    """

    order: OrderLinkage | OrderReference
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.order_linkage import OrderLinkage  # noqa: PLC0415

        order: dict[str, Any]
        if isinstance(self.order, OrderLinkage):
            order = self.order.to_dict()
        else:
            order = self.order.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "order": order,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.order_linkage import OrderLinkage  # noqa: PLC0415
        from ..models.order_reference import OrderReference  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_order(data: object) -> OrderLinkage | OrderReference:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                order_type_0 = OrderLinkage.from_dict(data)

                return order_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            order_type_1 = OrderReference.from_dict(data)

            return order_type_1

        order = _parse_order(d.pop("order"))

        create_payment_relationships = cls(
            order=order,
        )

        create_payment_relationships.additional_properties = d
        return create_payment_relationships

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
