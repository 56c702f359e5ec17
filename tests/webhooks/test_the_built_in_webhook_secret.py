"""The built-in webhook secret is in this source, so anyone could sign a "payment succeeded"
with it: it is believed only when the bundled local Stripe is explicitly the configured
Stripe (`LOCAL_STRIPE=1`, set by `make run`), never because Stripe's URL is on this machine."""

from __future__ import annotations

import pytest

from orderpay.settings import LOCAL_STRIPE_API_BASE, LOCAL_WEBHOOK_SECRET
from tests.conftest import make_settings, running_api
from tests.support.webhooks import deliver, event, intent, sign


@pytest.mark.parametrize(
    ("stripe_api_base", "local_stripe", "believed"),
    [
        ("https://api.stripe.com", False, False),
        ("https://api.stripe.com", True, False),
        ("http://127.0.0.1:12111", False, False),
        ("http://localhost:8420", False, False),
        (LOCAL_STRIPE_API_BASE, False, False),
        (LOCAL_STRIPE_API_BASE, True, True),
    ],
)
async def test_the_built_in_secret_is_believed_only_with_the_local_stripe_configured(
    database_url, stripe_api_base, local_stripe, believed
):
    settings = make_settings(
        database_url,
        stripe_api_base,
        stripe_webhook_secret=LOCAL_WEBHOOK_SECRET,
        local_stripe=local_stripe,
    )
    async with running_api(settings, stripe_api_base) as api:
        forged = intent(
            "pi_forged", "succeeded", payment_id=1, installation_id=api.gateway.installation_id
        )
        payload = event("payment_intent.succeeded", forged)
        response = await deliver(api, payload, sign(payload, secret=LOCAL_WEBHOOK_SECRET))
    if believed:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["code"] == "invalid_signature"
