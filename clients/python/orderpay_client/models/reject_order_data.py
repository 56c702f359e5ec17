from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.reject_order_attributes import RejectOrderAttributes


T = TypeVar("T", bound="RejectOrderData")


@_attrs_define
class RejectOrderData:
    """
    Attributes:
        type_ (Literal['orders']): Only **orders**.
        attributes (RejectOrderAttributes): `other` needs `other_rejection_reason` (`422
            missing_other_rejection_reason`).
        id (None | str | Unset): The order's id; when given, the one in the URL (`409 id_mismatch`).
    """

    type_: Literal["orders"]
    attributes: RejectOrderAttributes
    id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        attributes = self.attributes.to_dict()

        id: None | str | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "attributes": attributes,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.reject_order_attributes import RejectOrderAttributes  # noqa: PLC0415

        d = dict(src_dict)
        type_ = cast(Literal["orders"], d.pop("type"))
        if type_ != "orders":
            raise ValueError(f"type must match const 'orders', got '{type_}'")

        attributes = RejectOrderAttributes.from_dict(d.pop("attributes"))

        def _parse_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        reject_order_data = cls(
            type_=type_,
            attributes=attributes,
            id=id,
        )

        reject_order_data.additional_properties = d
        return reject_order_data

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
