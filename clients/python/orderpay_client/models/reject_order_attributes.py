from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.reject_order_attributes_reject_reason import RejectOrderAttributesRejectReason
from ..types import UNSET, Unset

T = TypeVar("T", bound="RejectOrderAttributes")


@_attrs_define
class RejectOrderAttributes:
    """`other` needs `other_rejection_reason` (`422 missing_other_rejection_reason`).

    Attributes:
        reject_reason (RejectOrderAttributesRejectReason): Why the business rejects it.
        other_rejection_reason (None | str | Unset): Required when `reject_reason` is `other`.
    """

    reject_reason: RejectOrderAttributesRejectReason
    other_rejection_reason: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        reject_reason = self.reject_reason.value

        other_rejection_reason: None | str | Unset
        if isinstance(self.other_rejection_reason, Unset):
            other_rejection_reason = UNSET
        else:
            other_rejection_reason = self.other_rejection_reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "reject_reason": reject_reason,
            }
        )
        if other_rejection_reason is not UNSET:
            field_dict["other_rejection_reason"] = other_rejection_reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        reject_reason = RejectOrderAttributesRejectReason(d.pop("reject_reason"))

        def _parse_other_rejection_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        other_rejection_reason = _parse_other_rejection_reason(d.pop("other_rejection_reason", UNSET))

        reject_order_attributes = cls(
            reject_reason=reject_reason,
            other_rejection_reason=other_rejection_reason,
        )

        return reject_order_attributes
