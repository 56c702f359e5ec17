from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.create_order_data_body_datarelationshipsbusinessdatatype import (
    CreateOrderDataBodyDatarelationshipsbusinessdatatype,
)
from ..models.create_order_data_body_datarelationshipsbusinesstype import (
    CreateOrderDataBodyDatarelationshipsbusinesstype,
)
from ..models.create_order_data_body_datatype import CreateOrderDataBodyDatatype
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateOrderDataBody")


@_attrs_define
class CreateOrderDataBody:
    """More lines follow the first: `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
    `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

    The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are
    allowed, and ignored, when they decode together with these (a key is given once, and is a name followed by
    `[segment]`s).

        Attributes:
            datatype (CreateOrderDataBodyDatatype): **orders**.
            dataattributeselements0product_id (str): A product's `id`.
            dataattributeselements0quantity (str): 1 to 99.
            dataattributesshipping_cost_cents (str | Unset): Minor units.
            dataattributesnotes (str | Unset):
            datarelationshipsbusinessid (str | Unset): The business's `id`.
            datarelationshipsbusinesstype (CreateOrderDataBodyDatarelationshipsbusinesstype | Unset):
            datarelationshipsbusinessdataid (str | Unset):
            datarelationshipsbusinessdatatype (CreateOrderDataBodyDatarelationshipsbusinessdatatype | Unset):
    """

    datatype: CreateOrderDataBodyDatatype
    dataattributeselements0product_id: str
    dataattributeselements0quantity: str
    dataattributesshipping_cost_cents: str | Unset = UNSET
    dataattributesnotes: str | Unset = UNSET
    datarelationshipsbusinessid: str | Unset = UNSET
    datarelationshipsbusinesstype: CreateOrderDataBodyDatarelationshipsbusinesstype | Unset = UNSET
    datarelationshipsbusinessdataid: str | Unset = UNSET
    datarelationshipsbusinessdatatype: CreateOrderDataBodyDatarelationshipsbusinessdatatype | Unset = UNSET
    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        datatype = self.datatype.value

        dataattributeselements0product_id = self.dataattributeselements0product_id

        dataattributeselements0quantity = self.dataattributeselements0quantity

        dataattributesshipping_cost_cents = self.dataattributesshipping_cost_cents

        dataattributesnotes = self.dataattributesnotes

        datarelationshipsbusinessid = self.datarelationshipsbusinessid

        datarelationshipsbusinesstype: str | Unset = UNSET
        if not isinstance(self.datarelationshipsbusinesstype, Unset):
            datarelationshipsbusinesstype = self.datarelationshipsbusinesstype.value

        datarelationshipsbusinessdataid = self.datarelationshipsbusinessdataid

        datarelationshipsbusinessdatatype: str | Unset = UNSET
        if not isinstance(self.datarelationshipsbusinessdatatype, Unset):
            datarelationshipsbusinessdatatype = self.datarelationshipsbusinessdatatype.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data[type]": datatype,
                "data[attributes][elements][0][product_id]": dataattributeselements0product_id,
                "data[attributes][elements][0][quantity]": dataattributeselements0quantity,
            }
        )
        if dataattributesshipping_cost_cents is not UNSET:
            field_dict["data[attributes][shipping_cost_cents]"] = dataattributesshipping_cost_cents
        if dataattributesnotes is not UNSET:
            field_dict["data[attributes][notes]"] = dataattributesnotes
        if datarelationshipsbusinessid is not UNSET:
            field_dict["data[relationships][business][id]"] = datarelationshipsbusinessid
        if datarelationshipsbusinesstype is not UNSET:
            field_dict["data[relationships][business][type]"] = datarelationshipsbusinesstype
        if datarelationshipsbusinessdataid is not UNSET:
            field_dict["data[relationships][business][data][id]"] = datarelationshipsbusinessdataid
        if datarelationshipsbusinessdatatype is not UNSET:
            field_dict["data[relationships][business][data][type]"] = datarelationshipsbusinessdatatype

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        datatype = CreateOrderDataBodyDatatype(d.pop("data[type]"))

        dataattributeselements0product_id = d.pop("data[attributes][elements][0][product_id]")

        dataattributeselements0quantity = d.pop("data[attributes][elements][0][quantity]")

        dataattributesshipping_cost_cents = d.pop("data[attributes][shipping_cost_cents]", UNSET)

        dataattributesnotes = d.pop("data[attributes][notes]", UNSET)

        datarelationshipsbusinessid = d.pop("data[relationships][business][id]", UNSET)

        _datarelationshipsbusinesstype = d.pop("data[relationships][business][type]", UNSET)
        datarelationshipsbusinesstype: CreateOrderDataBodyDatarelationshipsbusinesstype | Unset
        if isinstance(_datarelationshipsbusinesstype, Unset):
            datarelationshipsbusinesstype = UNSET
        else:
            datarelationshipsbusinesstype = CreateOrderDataBodyDatarelationshipsbusinesstype(
                _datarelationshipsbusinesstype
            )

        datarelationshipsbusinessdataid = d.pop("data[relationships][business][data][id]", UNSET)

        _datarelationshipsbusinessdatatype = d.pop("data[relationships][business][data][type]", UNSET)
        datarelationshipsbusinessdatatype: CreateOrderDataBodyDatarelationshipsbusinessdatatype | Unset
        if isinstance(_datarelationshipsbusinessdatatype, Unset):
            datarelationshipsbusinessdatatype = UNSET
        else:
            datarelationshipsbusinessdatatype = CreateOrderDataBodyDatarelationshipsbusinessdatatype(
                _datarelationshipsbusinessdatatype
            )

        create_order_data_body = cls(
            datatype=datatype,
            dataattributeselements0product_id=dataattributeselements0product_id,
            dataattributeselements0quantity=dataattributeselements0quantity,
            dataattributesshipping_cost_cents=dataattributesshipping_cost_cents,
            dataattributesnotes=dataattributesnotes,
            datarelationshipsbusinessid=datarelationshipsbusinessid,
            datarelationshipsbusinesstype=datarelationshipsbusinesstype,
            datarelationshipsbusinessdataid=datarelationshipsbusinessdataid,
            datarelationshipsbusinessdatatype=datarelationshipsbusinessdatatype,
        )

        create_order_data_body.additional_properties = d
        return create_order_data_body

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
