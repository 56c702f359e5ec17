from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.payments_relationship import PaymentsRelationship
    from ..models.to_one import ToOne


T = TypeVar("T", bound="OrderRelationships")


@_attrs_define
class OrderRelationships:
    """
    Attributes:
        business (ToOne):
        payments (PaymentsRelationship):
    """

    business: ToOne
    payments: PaymentsRelationship
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        business = self.business.to_dict()

        payments = self.payments.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "business": business,
                "payments": payments,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payments_relationship import PaymentsRelationship  # noqa: PLC0415
        from ..models.to_one import ToOne  # noqa: PLC0415

        d = dict(src_dict)
        business = ToOne.from_dict(d.pop("business"))

        payments = PaymentsRelationship.from_dict(d.pop("payments"))

        order_relationships = cls(
            business=business,
            payments=payments,
        )

        order_relationships.additional_properties = d
        return order_relationships

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
