from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.create_refund_attributes_reason_type_0 import CreateRefundAttributesReasonType0
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateRefundAttributes")


@_attrs_define
class CreateRefundAttributes:
    """
    Attributes:
        amount_cents (int | None | str | Unset):
        reason (CreateRefundAttributesReasonType0 | None | Unset): Stripe's refund reason.
    """

    amount_cents: int | None | str | Unset = UNSET
    reason: CreateRefundAttributesReasonType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        amount_cents: int | None | str | Unset
        if isinstance(self.amount_cents, Unset):
            amount_cents = UNSET
        else:
            amount_cents = self.amount_cents

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        elif isinstance(self.reason, CreateRefundAttributesReasonType0):
            reason = self.reason.value
        else:
            reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if amount_cents is not UNSET:
            field_dict["amount_cents"] = amount_cents
        if reason is not UNSET:
            field_dict["reason"] = reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_amount_cents(data: object) -> int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | str | Unset, data)

        amount_cents = _parse_amount_cents(d.pop("amount_cents", UNSET))

        def _parse_reason(data: object) -> CreateRefundAttributesReasonType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_0 = CreateRefundAttributesReasonType0(data)

                return reason_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateRefundAttributesReasonType0 | None | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        create_refund_attributes = cls(
            amount_cents=amount_cents,
            reason=reason,
        )

        return create_refund_attributes
