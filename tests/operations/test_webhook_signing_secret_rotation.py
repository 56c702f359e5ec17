"""Rotating the webhook signing secret without downtime: STRIPE_WEBHOOK_SECRET is the new
secret, STRIPE_WEBHOOK_SECRETS_ALSO_ACCEPTED the previous one until every event signed with it
has been delivered; a secret in neither is refused as before."""

from __future__ import annotations

from tests.conftest import make_settings, running_api
from tests.support import webhooks


def an_event() -> str:
    return webhooks.event("payment_intent.succeeded", webhooks.intent(
        "pi_rotation", "succeeded", payment_id=1, installation_id="another"))


async def test_the_new_and_the_previous_secret_are_both_accepted(database_url, localstripe):
    settings = make_settings(database_url, localstripe.url,
                             stripe_webhook_secret="whsec_new_secret",
                             stripe_webhook_secrets_also_accepted=" whsec_previous_secret ,")
    async with running_api(settings, localstripe.url) as api:
        for secret in ("whsec_new_secret", "whsec_previous_secret"):
            payload = an_event()
            response = await webhooks.deliver(api, payload, webhooks.sign(payload, secret=secret))
            assert response.status_code == 200, (secret, response.text)
        payload = an_event()
        refused = await webhooks.deliver(api, payload,
                                         webhooks.sign(payload, secret="whsec_unknown_secret"))
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "invalid_signature"


async def test_without_the_setting_only_the_one_secret_is_accepted(database_url, localstripe):
    settings = make_settings(database_url, localstripe.url,
                             stripe_webhook_secret="whsec_new_secret")
    async with running_api(settings, localstripe.url) as api:
        payload = an_event()
        refused = await webhooks.deliver(
            api, payload, webhooks.sign(payload, secret="whsec_previous_secret"))
        assert refused.status_code == 400
