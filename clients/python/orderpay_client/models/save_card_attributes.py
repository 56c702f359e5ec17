from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SaveCardAttributes")


@_attrs_define
class SaveCardAttributes:
    """
    Attributes:
        stripe_token (str): The card as Stripe.js gives it: a PaymentMethod `pm_…` (or a card token `tok_…`, a Source
            `src_…`).
    """

    stripe_token: str

    def to_dict(self) -> dict[str, Any]:
        stripe_token = self.stripe_token

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "stripe_token": stripe_token,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        stripe_token = d.pop("stripe_token")

        save_card_attributes = cls(
            stripe_token=stripe_token,
        )

        return save_card_attributes
