from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.save_card_attributes import SaveCardAttributes


T = TypeVar("T", bound="SaveCardData")


@_attrs_define
class SaveCardData:
    """
    Attributes:
        type_ (Literal['cards']): Only **cards**.
        attributes (SaveCardAttributes):
    """

    type_: Literal["cards"]
    attributes: SaveCardAttributes
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        attributes = self.attributes.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "attributes": attributes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.save_card_attributes import SaveCardAttributes  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["cards"], d.pop("type"))
        if type_ != "cards":
            raise ValueError(f"type must match const 'cards', got '{type_}'")

        attributes = SaveCardAttributes.from_dict(d.pop("attributes"))

        save_card_data = cls(
            type_=type_,
            attributes=attributes,
        )

        save_card_data.additional_properties = d
        return save_card_data

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
