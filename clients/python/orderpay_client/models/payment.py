from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.payment_attributes import PaymentAttributes
    from ..models.payment_relationships import PaymentRelationships
    from ..models.self_link import SelfLink


T = TypeVar("T", bound="Payment")


@_attrs_define
class Payment:
    """A payment attempt of an order.

    Attributes:
        type_ (Literal['payments']):
        id (str): Opaque to clients.
        attributes (PaymentAttributes):
        relationships (PaymentRelationships):
        links (SelfLink):
    """

    type_: Literal["payments"]
    id: str
    attributes: PaymentAttributes
    relationships: PaymentRelationships
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
        from ..models.payment_attributes import PaymentAttributes  # noqa: PLC0415
        from ..models.payment_relationships import PaymentRelationships  # noqa: PLC0415
        from ..models.self_link import SelfLink  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["payments"], d.pop("type"))
        if type_ != "payments":
            raise ValueError(f"type must match const 'payments', got '{type_}'")

        id = d.pop("id")

        attributes = PaymentAttributes.from_dict(d.pop("attributes"))

        relationships = PaymentRelationships.from_dict(d.pop("relationships"))

        links = SelfLink.from_dict(d.pop("links"))

        payment = cls(
            type_=type_,
            id=id,
            attributes=attributes,
            relationships=relationships,
            links=links,
        )

        payment.additional_properties = d
        return payment

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
