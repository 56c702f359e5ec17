from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.create_order_attributes import CreateOrderAttributes
    from ..models.create_order_relationships import CreateOrderRelationships


T = TypeVar("T", bound="CreateOrderData")


@_attrs_define
class CreateOrderData:
    """
    Attributes:
        type_ (Literal['orders']): Only **orders**.
        attributes (CreateOrderAttributes):
        relationships (CreateOrderRelationships):
    """

    type_: Literal["orders"]
    attributes: CreateOrderAttributes
    relationships: CreateOrderRelationships
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        attributes = self.attributes.to_dict()

        relationships = self.relationships.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "attributes": attributes,
                "relationships": relationships,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_order_attributes import CreateOrderAttributes  # noqa: PLC0415
        from ..models.create_order_relationships import CreateOrderRelationships  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["orders"], d.pop("type"))
        if type_ != "orders":
            raise ValueError(f"type must match const 'orders', got '{type_}'")

        attributes = CreateOrderAttributes.from_dict(d.pop("attributes"))

        relationships = CreateOrderRelationships.from_dict(d.pop("relationships"))

        create_order_data = cls(
            type_=type_,
            attributes=attributes,
            relationships=relationships,
        )

        create_order_data.additional_properties = d
        return create_order_data

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
