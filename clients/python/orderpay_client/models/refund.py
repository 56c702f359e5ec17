from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.refund_attributes import RefundAttributes
    from ..models.refund_relationships import RefundRelationships


T = TypeVar("T", bound="Refund")


@_attrs_define
class Refund:
    """
    Attributes:
        type_ (Literal['refunds']):
        id (str): Opaque to clients.
        attributes (RefundAttributes):
        relationships (RefundRelationships):
    """

    type_: Literal["refunds"]
    id: str
    attributes: RefundAttributes
    relationships: RefundRelationships
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        id = self.id

        attributes = self.attributes.to_dict()

        relationships = self.relationships.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "id": id,
                "attributes": attributes,
                "relationships": relationships,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.refund_attributes import RefundAttributes  # noqa: PLC0415
        from ..models.refund_relationships import RefundRelationships  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["refunds"], d.pop("type"))
        if type_ != "refunds":
            raise ValueError(f"type must match const 'refunds', got '{type_}'")

        id = d.pop("id")

        attributes = RefundAttributes.from_dict(d.pop("attributes"))

        relationships = RefundRelationships.from_dict(d.pop("relationships"))

        refund = cls(
            type_=type_,
            id=id,
            attributes=attributes,
            relationships=relationships,
        )

        refund.additional_properties = d
        return refund

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
