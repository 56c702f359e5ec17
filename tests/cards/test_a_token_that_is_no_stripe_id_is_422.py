"""Save Card refuses a `stripe_token` that cannot be a Stripe id (Stripe's ids are ASCII
letters, digits and `_`, at most 255 characters) as a payment source, 422, before asking
Stripe: the token is part of the Idempotency-Key sent to Stripe, and one with a control
character made that request fail in the HTTP client, answered `503 stripe_unavailable`
(found by schemathesis: `src_Í\\t…\\x1b×m`)."""

from __future__ import annotations

from tests.support.jsonapi import assert_error
from tests.support.world import card_document

TOKENS = (
    "src_\u00cd\t\U00104e10\u00a5\U000fff56\x1b\u00d7m",
    "src_\x1b",
    "tok_\x1b",
    "pm_\x1b",
    "src_\U00104e10",
    "tok_\U0001f600",
    "pm_é",
    "pm_" + "a" * 300,
    "src_a/b",
)


async def test_a_token_stripe_could_not_name_is_422(api, subtests):
    customer = await api.user()
    for token in TOKENS:
        with subtests.test(token=repr(token)[:24]):
            response = await api.post("/api/v1/cards", card_document(token), customer)

            assert_error(response, 422, "invalid_payment_source", "/data/attributes/stripe_token")
    assert (await api.get("/api/v1/cards", customer)).json()["meta"]["total"] == 0
