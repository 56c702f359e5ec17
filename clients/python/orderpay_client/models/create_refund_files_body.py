from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.create_refund_files_body_dataattributesreason import CreateRefundFilesBodyDataattributesreason
from ..models.create_refund_files_body_datarelationshipspaymentdatatype import (
    CreateRefundFilesBodyDatarelationshipspaymentdatatype,
)
from ..models.create_refund_files_body_datarelationshipspaymenttype import (
    CreateRefundFilesBodyDatarelationshipspaymenttype,
)
from ..models.create_refund_files_body_datatype import CreateRefundFilesBodyDatatype
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateRefundFilesBody")


@_attrs_define
class CreateRefundFilesBody:
    """The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are
    allowed, and ignored, when they decode together with these (a key is given once, and is a name followed by
    `[segment]`s).

        Attributes:
            datatype (CreateRefundFilesBodyDatatype): **refunds**.
            dataattributesamount_cents (str | Unset): Minor units; default: all that is left.
            dataattributesreason (CreateRefundFilesBodyDataattributesreason | Unset):
            datarelationshipspaymentid (str | Unset): The payment's `id`.
            datarelationshipspaymenttype (CreateRefundFilesBodyDatarelationshipspaymenttype | Unset):
            datarelationshipspaymentdataid (str | Unset):
            datarelationshipspaymentdatatype (CreateRefundFilesBodyDatarelationshipspaymentdatatype | Unset):
    """

    datatype: CreateRefundFilesBodyDatatype
    dataattributesamount_cents: str | Unset = UNSET
    dataattributesreason: CreateRefundFilesBodyDataattributesreason | Unset = UNSET
    datarelationshipspaymentid: str | Unset = UNSET
    datarelationshipspaymenttype: CreateRefundFilesBodyDatarelationshipspaymenttype | Unset = UNSET
    datarelationshipspaymentdataid: str | Unset = UNSET
    datarelationshipspaymentdatatype: CreateRefundFilesBodyDatarelationshipspaymentdatatype | Unset = UNSET
    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        datatype = self.datatype.value

        dataattributesamount_cents = self.dataattributesamount_cents

        dataattributesreason: str | Unset = UNSET
        if not isinstance(self.dataattributesreason, Unset):
            dataattributesreason = self.dataattributesreason.value

        datarelationshipspaymentid = self.datarelationshipspaymentid

        datarelationshipspaymenttype: str | Unset = UNSET
        if not isinstance(self.datarelationshipspaymenttype, Unset):
            datarelationshipspaymenttype = self.datarelationshipspaymenttype.value

        datarelationshipspaymentdataid = self.datarelationshipspaymentdataid

        datarelationshipspaymentdatatype: str | Unset = UNSET
        if not isinstance(self.datarelationshipspaymentdatatype, Unset):
            datarelationshipspaymentdatatype = self.datarelationshipspaymentdatatype.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data[type]": datatype,
            }
        )
        if dataattributesamount_cents is not UNSET:
            field_dict["data[attributes][amount_cents]"] = dataattributesamount_cents
        if dataattributesreason is not UNSET:
            field_dict["data[attributes][reason]"] = dataattributesreason
        if datarelationshipspaymentid is not UNSET:
            field_dict["data[relationships][payment][id]"] = datarelationshipspaymentid
        if datarelationshipspaymenttype is not UNSET:
            field_dict["data[relationships][payment][type]"] = datarelationshipspaymenttype
        if datarelationshipspaymentdataid is not UNSET:
            field_dict["data[relationships][payment][data][id]"] = datarelationshipspaymentdataid
        if datarelationshipspaymentdatatype is not UNSET:
            field_dict["data[relationships][payment][data][type]"] = datarelationshipspaymentdatatype

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("data[type]", (None, str(self.datatype.value).encode(), "text/plain")))

        if not isinstance(self.dataattributesamount_cents, Unset):
            files.append(
                ("data[attributes][amount_cents]", (None, str(self.dataattributesamount_cents).encode(), "text/plain"))
            )

        if not isinstance(self.dataattributesreason, Unset):
            files.append(
                ("data[attributes][reason]", (None, str(self.dataattributesreason.value).encode(), "text/plain"))
            )

        if not isinstance(self.datarelationshipspaymentid, Unset):
            files.append(
                (
                    "data[relationships][payment][id]",
                    (None, str(self.datarelationshipspaymentid).encode(), "text/plain"),
                )
            )

        if not isinstance(self.datarelationshipspaymenttype, Unset):
            files.append(
                (
                    "data[relationships][payment][type]",
                    (None, str(self.datarelationshipspaymenttype.value).encode(), "text/plain"),
                )
            )

        if not isinstance(self.datarelationshipspaymentdataid, Unset):
            files.append(
                (
                    "data[relationships][payment][data][id]",
                    (None, str(self.datarelationshipspaymentdataid).encode(), "text/plain"),
                )
            )

        if not isinstance(self.datarelationshipspaymentdatatype, Unset):
            files.append(
                (
                    "data[relationships][payment][data][type]",
                    (None, str(self.datarelationshipspaymentdatatype.value).encode(), "text/plain"),
                )
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        datatype = CreateRefundFilesBodyDatatype(d.pop("data[type]"))

        dataattributesamount_cents = d.pop("data[attributes][amount_cents]", UNSET)

        _dataattributesreason = d.pop("data[attributes][reason]", UNSET)
        dataattributesreason: CreateRefundFilesBodyDataattributesreason | Unset
        if isinstance(_dataattributesreason, Unset):
            dataattributesreason = UNSET
        else:
            dataattributesreason = CreateRefundFilesBodyDataattributesreason(_dataattributesreason)

        datarelationshipspaymentid = d.pop("data[relationships][payment][id]", UNSET)

        _datarelationshipspaymenttype = d.pop("data[relationships][payment][type]", UNSET)
        datarelationshipspaymenttype: CreateRefundFilesBodyDatarelationshipspaymenttype | Unset
        if isinstance(_datarelationshipspaymenttype, Unset):
            datarelationshipspaymenttype = UNSET
        else:
            datarelationshipspaymenttype = CreateRefundFilesBodyDatarelationshipspaymenttype(
                _datarelationshipspaymenttype
            )

        datarelationshipspaymentdataid = d.pop("data[relationships][payment][data][id]", UNSET)

        _datarelationshipspaymentdatatype = d.pop("data[relationships][payment][data][type]", UNSET)
        datarelationshipspaymentdatatype: CreateRefundFilesBodyDatarelationshipspaymentdatatype | Unset
        if isinstance(_datarelationshipspaymentdatatype, Unset):
            datarelationshipspaymentdatatype = UNSET
        else:
            datarelationshipspaymentdatatype = CreateRefundFilesBodyDatarelationshipspaymentdatatype(
                _datarelationshipspaymentdatatype
            )

        create_refund_files_body = cls(
            datatype=datatype,
            dataattributesamount_cents=dataattributesamount_cents,
            dataattributesreason=dataattributesreason,
            datarelationshipspaymentid=datarelationshipspaymentid,
            datarelationshipspaymenttype=datarelationshipspaymenttype,
            datarelationshipspaymentdataid=datarelationshipspaymentdataid,
            datarelationshipspaymentdatatype=datarelationshipspaymentdatatype,
        )

        create_refund_files_body.additional_properties = d
        return create_refund_files_body

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
