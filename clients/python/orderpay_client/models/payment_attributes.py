from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.payment_attributes_state import PaymentAttributesState

if TYPE_CHECKING:
    from ..models.payment_attributes_next_action_type_0 import PaymentAttributesNextActionType0


T = TypeVar("T", bound="PaymentAttributes")


@_attrs_define
class PaymentAttributes:
    """
    Attributes:
        state (PaymentAttributesState): `processing` (Stripe has not answered: settled later), `requires_action` (3-D
            Secure: finish it with Stripe.js and `client_secret`), `succeeded`, `failed`, `canceled`, `partially_refunded`,
            `refunded`, `disputed`.
        amount_cents (int): The order's total, in minor units.
        currency (str): Lowercase ISO 4217.
        stripe_payment_intent_id (None | str):
        card_brand (None | str):
        card_last4 (None | str):
        refunded_cents (int): The sum of its succeeded refunds.
        failure_code (None | str): Stripe's decline code of a failed payment.
        failure_message (None | str):
        client_secret (None | str): Only while `requires_action`: for Stripe.js to run 3-D Secure.
        next_action (None | PaymentAttributesNextActionType0): Only while `requires_action`: Stripe's `next_action`.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
    """

    state: PaymentAttributesState
    amount_cents: int
    currency: str
    stripe_payment_intent_id: None | str
    card_brand: None | str
    card_last4: None | str
    refunded_cents: int
    failure_code: None | str
    failure_message: None | str
    client_secret: None | str
    next_action: None | PaymentAttributesNextActionType0
    created_at: datetime.datetime
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.payment_attributes_next_action_type_0 import PaymentAttributesNextActionType0  # noqa: PLC0415

        state = self.state.value

        amount_cents = self.amount_cents

        currency = self.currency

        stripe_payment_intent_id: None | str
        stripe_payment_intent_id = self.stripe_payment_intent_id

        card_brand: None | str
        card_brand = self.card_brand

        card_last4: None | str
        card_last4 = self.card_last4

        refunded_cents = self.refunded_cents

        failure_code: None | str
        failure_code = self.failure_code

        failure_message: None | str
        failure_message = self.failure_message

        client_secret: None | str
        client_secret = self.client_secret

        next_action: dict[str, Any] | None
        if isinstance(self.next_action, PaymentAttributesNextActionType0):
            next_action = self.next_action.to_dict()
        else:
            next_action = self.next_action

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "state": state,
                "amount_cents": amount_cents,
                "currency": currency,
                "stripe_payment_intent_id": stripe_payment_intent_id,
                "card_brand": card_brand,
                "card_last4": card_last4,
                "refunded_cents": refunded_cents,
                "failure_code": failure_code,
                "failure_message": failure_message,
                "client_secret": client_secret,
                "next_action": next_action,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payment_attributes_next_action_type_0 import PaymentAttributesNextActionType0  # noqa: PLC0415

        d = dict(src_dict)
        state = PaymentAttributesState(d.pop("state"))

        amount_cents = d.pop("amount_cents")

        currency = d.pop("currency")

        def _parse_stripe_payment_intent_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        stripe_payment_intent_id = _parse_stripe_payment_intent_id(d.pop("stripe_payment_intent_id"))

        def _parse_card_brand(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        card_brand = _parse_card_brand(d.pop("card_brand"))

        def _parse_card_last4(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        card_last4 = _parse_card_last4(d.pop("card_last4"))

        refunded_cents = d.pop("refunded_cents")

        def _parse_failure_code(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        failure_code = _parse_failure_code(d.pop("failure_code"))

        def _parse_failure_message(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        failure_message = _parse_failure_message(d.pop("failure_message"))

        def _parse_client_secret(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        client_secret = _parse_client_secret(d.pop("client_secret"))

        def _parse_next_action(data: object) -> None | PaymentAttributesNextActionType0:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                next_action_type_0 = PaymentAttributesNextActionType0.from_dict(data)

                return next_action_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PaymentAttributesNextActionType0, data)

        next_action = _parse_next_action(d.pop("next_action"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        payment_attributes = cls(
            state=state,
            amount_cents=amount_cents,
            currency=currency,
            stripe_payment_intent_id=stripe_payment_intent_id,
            card_brand=card_brand,
            card_last4=card_last4,
            refunded_cents=refunded_cents,
            failure_code=failure_code,
            failure_message=failure_message,
            client_secret=client_secret,
            next_action=next_action,
            created_at=created_at,
            updated_at=updated_at,
        )

        payment_attributes.additional_properties = d
        return payment_attributes

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
