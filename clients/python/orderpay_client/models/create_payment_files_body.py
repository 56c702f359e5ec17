from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.create_payment_files_body_datarelationshipsorderdatatype import (
    CreatePaymentFilesBodyDatarelationshipsorderdatatype,
)
from ..models.create_payment_files_body_datarelationshipsordertype import (
    CreatePaymentFilesBodyDatarelationshipsordertype,
)
from ..models.create_payment_files_body_datatype import CreatePaymentFilesBodyDatatype
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreatePaymentFilesBody")


@_attrs_define
class CreatePaymentFilesBody:
    """The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are
    allowed, and ignored, when they decode together with these (a key is given once, and is a name followed by
    `[segment]`s).

        Attributes:
            datatype (CreatePaymentFilesBodyDatatype): Provide Payment `type`: **payments**.
            dataattributesstripe_token (str | Unset): Stripe reusable Source/PaymentMethod token.
            dataattributesstripe_payment_method_id (str | Unset): Stripe PaymentMethod ID which was saved before along with
                Card record.
            datarelationshipsorderid (str | Unset): Related Order `id`.
            datarelationshipsordertype (CreatePaymentFilesBodyDatarelationshipsordertype | Unset): Order `type`; **order**.
            datarelationshipsorderdataid (str | Unset): Related Order `id` (JSON:API form).
            datarelationshipsorderdatatype (CreatePaymentFilesBodyDatarelationshipsorderdatatype | Unset): `orders`
                (JSON:API form).
    """

    datatype: CreatePaymentFilesBodyDatatype
    dataattributesstripe_token: str | Unset = UNSET
    dataattributesstripe_payment_method_id: str | Unset = UNSET
    datarelationshipsorderid: str | Unset = UNSET
    datarelationshipsordertype: CreatePaymentFilesBodyDatarelationshipsordertype | Unset = UNSET
    datarelationshipsorderdataid: str | Unset = UNSET
    datarelationshipsorderdatatype: CreatePaymentFilesBodyDatarelationshipsorderdatatype | Unset = UNSET
    additional_properties: dict[str, str] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        datatype = self.datatype.value

        dataattributesstripe_token = self.dataattributesstripe_token

        dataattributesstripe_payment_method_id = self.dataattributesstripe_payment_method_id

        datarelationshipsorderid = self.datarelationshipsorderid

        datarelationshipsordertype: str | Unset = UNSET
        if not isinstance(self.datarelationshipsordertype, Unset):
            datarelationshipsordertype = self.datarelationshipsordertype.value

        datarelationshipsorderdataid = self.datarelationshipsorderdataid

        datarelationshipsorderdatatype: str | Unset = UNSET
        if not isinstance(self.datarelationshipsorderdatatype, Unset):
            datarelationshipsorderdatatype = self.datarelationshipsorderdatatype.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data[type]": datatype,
            }
        )
        if dataattributesstripe_token is not UNSET:
            field_dict["data[attributes][stripe_token]"] = dataattributesstripe_token
        if dataattributesstripe_payment_method_id is not UNSET:
            field_dict["data[attributes][stripe_payment_method_id]"] = dataattributesstripe_payment_method_id
        if datarelationshipsorderid is not UNSET:
            field_dict["data[relationships][order][id]"] = datarelationshipsorderid
        if datarelationshipsordertype is not UNSET:
            field_dict["data[relationships][order][type]"] = datarelationshipsordertype
        if datarelationshipsorderdataid is not UNSET:
            field_dict["data[relationships][order][data][id]"] = datarelationshipsorderdataid
        if datarelationshipsorderdatatype is not UNSET:
            field_dict["data[relationships][order][data][type]"] = datarelationshipsorderdatatype

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("data[type]", (None, str(self.datatype.value).encode(), "text/plain")))

        if not isinstance(self.dataattributesstripe_token, Unset):
            files.append(
                ("data[attributes][stripe_token]", (None, str(self.dataattributesstripe_token).encode(), "text/plain"))
            )

        if not isinstance(self.dataattributesstripe_payment_method_id, Unset):
            files.append(
                (
                    "data[attributes][stripe_payment_method_id]",
                    (None, str(self.dataattributesstripe_payment_method_id).encode(), "text/plain"),
                )
            )

        if not isinstance(self.datarelationshipsorderid, Unset):
            files.append(
                ("data[relationships][order][id]", (None, str(self.datarelationshipsorderid).encode(), "text/plain"))
            )

        if not isinstance(self.datarelationshipsordertype, Unset):
            files.append(
                (
                    "data[relationships][order][type]",
                    (None, str(self.datarelationshipsordertype.value).encode(), "text/plain"),
                )
            )

        if not isinstance(self.datarelationshipsorderdataid, Unset):
            files.append(
                (
                    "data[relationships][order][data][id]",
                    (None, str(self.datarelationshipsorderdataid).encode(), "text/plain"),
                )
            )

        if not isinstance(self.datarelationshipsorderdatatype, Unset):
            files.append(
                (
                    "data[relationships][order][data][type]",
                    (None, str(self.datarelationshipsorderdatatype.value).encode(), "text/plain"),
                )
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        datatype = CreatePaymentFilesBodyDatatype(d.pop("data[type]"))

        dataattributesstripe_token = d.pop("data[attributes][stripe_token]", UNSET)

        dataattributesstripe_payment_method_id = d.pop("data[attributes][stripe_payment_method_id]", UNSET)

        datarelationshipsorderid = d.pop("data[relationships][order][id]", UNSET)

        _datarelationshipsordertype = d.pop("data[relationships][order][type]", UNSET)
        datarelationshipsordertype: CreatePaymentFilesBodyDatarelationshipsordertype | Unset
        if isinstance(_datarelationshipsordertype, Unset):
            datarelationshipsordertype = UNSET
        else:
            datarelationshipsordertype = CreatePaymentFilesBodyDatarelationshipsordertype(_datarelationshipsordertype)

        datarelationshipsorderdataid = d.pop("data[relationships][order][data][id]", UNSET)

        _datarelationshipsorderdatatype = d.pop("data[relationships][order][data][type]", UNSET)
        datarelationshipsorderdatatype: CreatePaymentFilesBodyDatarelationshipsorderdatatype | Unset
        if isinstance(_datarelationshipsorderdatatype, Unset):
            datarelationshipsorderdatatype = UNSET
        else:
            datarelationshipsorderdatatype = CreatePaymentFilesBodyDatarelationshipsorderdatatype(
                _datarelationshipsorderdatatype
            )

        create_payment_files_body = cls(
            datatype=datatype,
            dataattributesstripe_token=dataattributesstripe_token,
            dataattributesstripe_payment_method_id=dataattributesstripe_payment_method_id,
            datarelationshipsorderid=datarelationshipsorderid,
            datarelationshipsordertype=datarelationshipsordertype,
            datarelationshipsorderdataid=datarelationshipsorderdataid,
            datarelationshipsorderdatatype=datarelationshipsorderdatatype,
        )

        create_payment_files_body.additional_properties = d
        return create_payment_files_body

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
