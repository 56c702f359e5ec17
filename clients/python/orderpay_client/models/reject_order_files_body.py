from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.reject_order_files_body_dataattributesreject_reason import RejectOrderFilesBodyDataattributesrejectReason
from ..models.reject_order_files_body_datatype import RejectOrderFilesBodyDatatype
from ..types import UNSET, Unset

T = TypeVar("T", bound="RejectOrderFilesBody")


@_attrs_define
class RejectOrderFilesBody:
    """The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are
    allowed, and ignored, when they decode together with these (a key is given once, and is a name followed by
    `[segment]`s).

        Attributes:
            datatype (RejectOrderFilesBodyDatatype): **orders**.
            dataattributesreject_reason (RejectOrderFilesBodyDataattributesrejectReason):
            dataid (str | Unset): The order's id (the one in the URL).
            dataattributesother_rejection_reason (str | Unset):
    """

    datatype: RejectOrderFilesBodyDatatype
    dataattributesreject_reason: RejectOrderFilesBodyDataattributesrejectReason
    dataid: str | Unset = UNSET
    dataattributesother_rejection_reason: str | Unset = UNSET
    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        datatype = self.datatype.value

        dataattributesreject_reason = self.dataattributesreject_reason.value

        dataid = self.dataid

        dataattributesother_rejection_reason = self.dataattributesother_rejection_reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data[type]": datatype,
                "data[attributes][reject_reason]": dataattributesreject_reason,
            }
        )
        if dataid is not UNSET:
            field_dict["data[id]"] = dataid
        if dataattributesother_rejection_reason is not UNSET:
            field_dict["data[attributes][other_rejection_reason]"] = dataattributesother_rejection_reason

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("data[type]", (None, str(self.datatype.value).encode(), "text/plain")))

        files.append(
            (
                "data[attributes][reject_reason]",
                (None, str(self.dataattributesreject_reason.value).encode(), "text/plain"),
            )
        )

        if not isinstance(self.dataid, Unset):
            files.append(("data[id]", (None, str(self.dataid).encode(), "text/plain")))

        if not isinstance(self.dataattributesother_rejection_reason, Unset):
            files.append(
                (
                    "data[attributes][other_rejection_reason]",
                    (None, str(self.dataattributesother_rejection_reason).encode(), "text/plain"),
                )
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        datatype = RejectOrderFilesBodyDatatype(d.pop("data[type]"))

        dataattributesreject_reason = RejectOrderFilesBodyDataattributesrejectReason(
            d.pop("data[attributes][reject_reason]")
        )

        dataid = d.pop("data[id]", UNSET)

        dataattributesother_rejection_reason = d.pop("data[attributes][other_rejection_reason]", UNSET)

        reject_order_files_body = cls(
            datatype=datatype,
            dataattributesreject_reason=dataattributesreject_reason,
            dataid=dataid,
            dataattributesother_rejection_reason=dataattributesother_rejection_reason,
        )

        reject_order_files_body.additional_properties = d
        return reject_order_files_body

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
