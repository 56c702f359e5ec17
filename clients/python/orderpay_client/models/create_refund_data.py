from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_refund_attributes import CreateRefundAttributes
    from ..models.create_refund_relationships import CreateRefundRelationships


T = TypeVar("T", bound="CreateRefundData")


@_attrs_define
class CreateRefundData:
    """
    Attributes:
        type_ (Literal['refunds']): Only **refunds**.
        relationships (CreateRefundRelationships):
        attributes (CreateRefundAttributes | None | Unset):
    """

    type_: Literal["refunds"]
    relationships: CreateRefundRelationships
    attributes: CreateRefundAttributes | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_refund_attributes import CreateRefundAttributes  # noqa: PLC0415

        type_ = self.type_

        relationships = self.relationships.to_dict()

        attributes: dict[str, Any] | None | Unset
        if isinstance(self.attributes, Unset):
            attributes = UNSET
        elif isinstance(self.attributes, CreateRefundAttributes):
            attributes = self.attributes.to_dict()
        else:
            attributes = self.attributes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "relationships": relationships,
            }
        )
        if attributes is not UNSET:
            field_dict["attributes"] = attributes

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_refund_attributes import CreateRefundAttributes  # noqa: PLC0415
        from ..models.create_refund_relationships import CreateRefundRelationships  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["refunds"], d.pop("type"))
        if type_ != "refunds":
            raise ValueError(f"type must match const 'refunds', got '{type_}'")

        relationships = CreateRefundRelationships.from_dict(d.pop("relationships"))

        def _parse_attributes(data: object) -> CreateRefundAttributes | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                attributes_type_0 = CreateRefundAttributes.from_dict(data)

                return attributes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateRefundAttributes | None | Unset, data)

        attributes = _parse_attributes(d.pop("attributes", UNSET))

        create_refund_data = cls(
            type_=type_,
            relationships=relationships,
            attributes=attributes,
        )

        create_refund_data.additional_properties = d
        return create_refund_data

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
