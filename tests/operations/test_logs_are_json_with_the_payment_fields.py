"""`orderpay serve` logs one JSON object per line: uvicorn's lines and access log too, and on
every line of a request about a payment its request id, route, status, the payment and order
ids, the idempotency key sent to Stripe and Stripe's request id; never the card token."""

from __future__ import annotations

import httpx

from tests.conftest import STRIPE_KEY
from tests.payments.test_concurrency import create_order, seed_order, server_env
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.log_lines import json_lines, lines_of_request
from tests.support.server import OrderpayServer


async def card_token(stripe_url: str) -> str:
    async with httpx.AsyncClient(base_url=stripe_url, auth=(STRIPE_KEY, "")) as stripe:
        response = await stripe.post("/v1/tokens", data={
            "card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2034", "card[cvc]": "123"})
        response.raise_for_status()
        return response.json()["id"]


async def test_a_payment_in_doubt_then_retried_is_logged_with_its_ids(database_url, localstripe):
    localstripe.flush()
    token, business, product = await seed_order(database_url)
    with FaultProxy(localstripe.url) as proxy, OrderpayServer(
        server_env(database_url, proxy.url, STRIPE_MAX_NETWORK_RETRIES="0"), access_log=True
    ) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            order_id = await create_order(client, token, business, product)
            card = await card_token(localstripe.url)
            body = {"data": {"type": "payments", "attributes": {"stripe_token": card},
                             "relationships": {"order": {"type": "order", "id": order_id}}}}
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "pay-logs-1"}
            # Stripe fails the create (before acting): 503, the payment stays in doubt.
            proxy.add_fault(("POST", r"^/v1/payment_intents$"), Fault.status(500), times=1)
            first = await client.post("/api/v1/payments", json=body,
                                      headers={**headers, "X-Request-Id": "logs-first"})
            assert first.status_code == 503, first.text
            second = await client.post("/api/v1/payments", json=body,
                                       headers={**headers, "X-Request-Id": "logs-second"})
            assert second.status_code == 201, second.text
        output = server.output()

    lines = json_lines(output)
    payment_id = second.json()["data"]["id"]

    # The first request: its Stripe call failed with Stripe's (here the proxy's) request id.
    first_lines = lines_of_request(lines, "logs-first")
    [failed_call] = [line for line in first_lines if line["event"] == "stripe_call"
                     and line["operation"] == "payment_intent_create"]
    assert failed_call["result"] == "unavailable" and failed_call["http_status"] == 500
    assert failed_call["stripe_request_id"].startswith("req_")
    assert failed_call["idempotency_key"].endswith(f"-payment-{payment_id}-create")
    assert failed_call["payment_id"] == payment_id
    assert failed_call["order_id"] == order_id
    [summary] = [line for line in first_lines if line["event"] == "request"]
    assert summary["route"] == "/api/v1/payments" and summary["status"] == 503
    assert summary["method"] == "POST" and summary["duration_ms"] > 0
    assert summary["user_id"]  # bound when the Stripe customer was made, on its first payment
    assert summary["payment_id"] == payment_id and summary["order_id"] == order_id
    assert summary["stripe_request_id"] == failed_call["stripe_request_id"]
    assert summary["idempotency_key"] == failed_call["idempotency_key"]

    # The retry: create and confirm went through, each on a line with the same ids.
    second_lines = lines_of_request(lines, "logs-second")
    calls = [line for line in second_lines if line["event"] == "stripe_call"]
    operations = [call["operation"] for call in calls]
    assert "payment_intent_confirm" in operations, operations
    for call in calls:  # the search for the intent in doubt among them (refused locally)
        assert call["duration_ms"] >= 0 and call["payment_id"] == payment_id, call
    [confirm] = [call for call in calls if call["operation"] == "payment_intent_confirm"]
    assert confirm["result"] == "ok"
    assert confirm["idempotency_key"].endswith(f"-payment-{payment_id}-confirm")
    [summary] = [line for line in second_lines if line["event"] == "request"]
    assert summary["status"] == 201 and summary["payment_id"] == payment_id
    assert summary["idempotency_key"].startswith("orderpay-")
    [access] = [line for line in second_lines if line["event"] == "access"]
    assert access["logger"] == "uvicorn.access" and access["status"] == 201
    assert access["path"] == "/api/v1/payments" and access["route"] == "/api/v1/payments"

    # uvicorn's own lines are JSON too, and nothing shows the card token or the bearer.
    assert any(line["logger"] == "uvicorn.error" for line in lines)
    assert card not in output and token not in output


async def test_the_checkout_link_token_is_not_in_the_access_log(pg_cluster, localstripe):
    name = "logs_checkout"
    pg_cluster.create_database(name, template="template_orderpay")
    url = pg_cluster.url(name)
    try:
        with OrderpayServer(server_env(url, localstripe.url), access_log=True) as server:
            secret_token = "7.3.1767225600.c2VjcmV0LXNpZ25hdHVyZQ"
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                await client.get("/checkout/7", params={"token": secret_token},
                                 headers={"X-Request-Id": "logs-checkout"})
            output = server.output()
    finally:
        pg_cluster.drop_database(name)
    [access] = [line for line in lines_of_request(json_lines(output), "logs-checkout")
                if line["event"] == "access"]
    assert access["path"] == "/checkout/7?token=[redacted]"
    assert secret_token not in output
