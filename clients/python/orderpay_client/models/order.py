from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.order_attributes import OrderAttributes
    from ..models.order_relationships import OrderRelationships
    from ..models.self_link import SelfLink


T = TypeVar("T", bound="Order")


@_attrs_define
class Order:
    """An order of a customer at a business.

    Attributes:
        type_ (Literal['orders']):
        id (str): Opaque to clients.
        attributes (OrderAttributes):
        relationships (OrderRelationships):
        links (SelfLink):
    """

    type_: Literal["orders"]
    id: str
    attributes: OrderAttributes
    relationships: OrderRelationships
    links: SelfLink
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        id = self.id

        attributes = self.attributes.to_dict()

        relationships = self.relationships.to_dict()

        links = self.links.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "id": id,
                "attributes": attributes,
                "relationships": relationships,
                "links": links,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.order_attributes import OrderAttributes  # noqa: PLC0415
        from ..models.order_relationships import OrderRelationships  # noqa: PLC0415
        from ..models.self_link import SelfLink  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["orders"], d.pop("type"))
        if type_ != "orders":
            raise ValueError(f"type must match const 'orders', got '{type_}'")

        id = d.pop("id")

        attributes = OrderAttributes.from_dict(d.pop("attributes"))

        relationships = OrderRelationships.from_dict(d.pop("relationships"))

        links = SelfLink.from_dict(d.pop("links"))

        order = cls(
            type_=type_,
            id=id,
            attributes=attributes,
            relationships=relationships,
            links=links,
        )

        order.additional_properties = d
        return order

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
