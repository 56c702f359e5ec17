from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.save_card_data_body_datatype import SaveCardDataBodyDatatype

T = TypeVar("T", bound="SaveCardDataBody")


@_attrs_define
class SaveCardDataBody:
    """The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are
    allowed, and ignored, when they decode together with these (a key is given once, and is a name followed by
    `[segment]`s).

        Attributes:
            datatype (SaveCardDataBodyDatatype): **cards**.
            dataattributesstripe_token (str): The card from Stripe.js (`pm_…`).
    """

    datatype: SaveCardDataBodyDatatype
    dataattributesstripe_token: str
    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        datatype = self.datatype.value

        dataattributesstripe_token = self.dataattributesstripe_token

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data[type]": datatype,
                "data[attributes][stripe_token]": dataattributesstripe_token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        datatype = SaveCardDataBodyDatatype(d.pop("data[type]"))

        dataattributesstripe_token = d.pop("data[attributes][stripe_token]")

        save_card_data_body = cls(
            datatype=datatype,
            dataattributesstripe_token=dataattributesstripe_token,
        )

        save_card_data_body.additional_properties = d
        return save_card_data_body

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> str:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
