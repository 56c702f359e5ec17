"""Self-tests of tests/support/stripe_stub.py, driven by the real stripe SDK configured like
orderpay's gateway (AIOHTTPClient, explicit idempotency keys, max_network_retries=2)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest
import stripe

from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.stripe_stub import StripeStub

API_KEY = "sk_test_x"
REPO = Path(__file__).resolve().parents[1]
CREATE = "POST /v1/payment_intents"
CONFIRM = "POST /v1/payment_intents/{id}/confirm"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def module_stub():
    with StripeStub() as stub:
        yield stub


@pytest.fixture
def stub(module_stub):
    module_stub.reset()
    module_stub.latency = 0.0
    return module_stub


def with_client(url: str, fn, *, retries: int = 2, bound: float = 15.0):
    async def main():
        http = stripe.AIOHTTPClient()
        client = stripe.StripeClient(
            API_KEY, base_addresses={"api": url}, http_client=http, max_network_retries=retries
        )
        try:
            return await asyncio.wait_for(fn(client), bound)
        finally:
            await http.close_async()

    return asyncio.run(main())


def connect_params(payment_id: int, pm: str = "pm_card_visa", **extra) -> dict:
    return {
        "amount": 2500,
        "currency": "eur",
        "payment_method": pm,
        "payment_method_types": ["card"],
        "metadata": {"orderpay_payment_id": str(payment_id), "orderpay_order_id": "77"},
        "transfer_data": {"destination": "acct_1Restaurant"},
        "application_fee_amount": 300,
        **extra,
    }


def test_card_payment_with_connect_parameters(stub):
    async def go(c):
        pm = await c.v1.payment_methods.create_async(
            {
                "type": "card",
                "card": {
                    "number": "4242424242424242",
                    "exp_month": 12,
                    "exp_year": 2031,
                    "cvc": "123",
                },
            }
        )
        cus = await c.v1.customers.create_async(
            {"email": "eve@example.com", "metadata": {"orderpay_user_id": "5"}},
            {"idempotency_key": "orderpay-user-5-customer"},
        )
        pi = await c.v1.payment_intents.create_async(
            connect_params(12, pm.id, customer=cus.id),
            {"idempotency_key": "orderpay-payment-12-create"},
        )
        confirmed = await c.v1.payment_intents.confirm_async(
            pi.id,
            {"expand": ["payment_method"]},
            {"idempotency_key": "orderpay-payment-12-confirm"},
        )
        again = await c.v1.payment_intents.retrieve_async(pi.id, {"expand": ["payment_method"]})
        return pm, cus, pi, confirmed, again

    pm, cus, pi, confirmed, again = with_client(stub.url, go)
    assert (pm.card.brand, pm.card.last4, pm.card.exp_year) == ("visa", "4242", 2031)
    assert pi.status == "requires_confirmation" and pi.client_secret.startswith(pi.id + "_secret_")
    assert pi.transfer_data.destination == "acct_1Restaurant"
    assert pi.application_fee_amount == 300 and pi.customer == cus.id
    assert pi.metadata.to_dict() == {"orderpay_payment_id": "12", "orderpay_order_id": "77"}
    assert confirmed.status == "succeeded" and confirmed.latest_charge.startswith("ch_")
    assert confirmed.payment_method.id == pm.id and confirmed.payment_method.card.last4 == "4242"
    assert confirmed.amount_received == 2500 and confirmed.next_action is None
    assert again.status == "succeeded" and again.payment_method.card.brand == "visa"

    [create] = stub.requests_for(CREATE)
    assert create.params == {
        "amount": "2500",
        "currency": "eur",
        "payment_method": pm.id,
        "payment_method_types[0]": "card",
        "metadata[orderpay_payment_id]": "12",
        "metadata[orderpay_order_id]": "77",
        "transfer_data[destination]": "acct_1Restaurant",
        "application_fee_amount": "300",
        "customer": cus.id,
    }
    assert create.idempotency_key == "orderpay-payment-12-create"
    assert create.headers["authorization"] == f"Bearer {API_KEY}"
    [confirm] = stub.requests_for(CONFIRM)
    assert confirm.path == f"/v1/payment_intents/{pi.id}/confirm"
    assert confirm.params == {"expand[0]": "payment_method"}
    charge = stub.payment_intent(pi.id)["latest_charge"]
    assert charge == confirmed.latest_charge
    stats = stub.stats()
    assert stats["payment_intents_created"] == 1 and stats["charges"] == 1
    assert stats["calls"][CREATE] == 1 and stats["calls"][CONFIRM] == 1


def test_test_cards_3ds_and_declines(stub):
    async def go(c):
        out = {}
        pi = await c.v1.payment_intents.create_async(
            {"amount": 900, "currency": "eur", "payment_method": "pm_card_threeDSecure2Required"}
        )
        out["3ds"] = await c.v1.payment_intents.confirm_async(pi.id, {"expand": ["payment_method"]})
        for name in ("pm_card_chargeDeclinedInsufficientFunds", "pm_card_chargeCustomerFail"):
            pi = await c.v1.payment_intents.create_async(
                {"amount": 900, "currency": "eur", "payment_method": name}
            )
            with pytest.raises(stripe.CardError) as info:
                await c.v1.payment_intents.confirm_async(pi.id, {"expand": ["payment_method"]})
            out[name] = (pi.id, info.value)
        return out

    out = with_client(stub.url, go)
    three_ds = out["3ds"]
    assert three_ds.status == "requires_action"
    assert three_ds.next_action.type == "use_stripe_sdk"
    assert three_ds.payment_method.card.last4 == "3184"
    done = stub.complete_action(three_ds.id)
    assert done["status"] == "succeeded" and done["latest_charge"].startswith("ch_")

    pi_id, err = out["pm_card_chargeDeclinedInsufficientFunds"]
    assert err.http_status == 402 and err.code == "card_declined"
    body = err.json_body["error"]
    assert body["type"] == "card_error" and body["decline_code"] == "insufficient_funds"
    assert body["message"] == "Your card has insufficient funds."
    assert body["payment_intent"]["id"] == pi_id
    assert body["payment_intent"]["status"] == "requires_payment_method"
    assert body["payment_intent"]["last_payment_error"]["decline_code"] == "insufficient_funds"
    assert stub.payment_intent(pi_id)["status"] == "requires_payment_method"

    _pi_id, err = out["pm_card_chargeCustomerFail"]
    assert err.http_status == 402 and err.code == "card_declined"
    assert err.json_body["error"]["decline_code"] == "generic_decline"


def test_raw_card_numbers_decide_the_outcome(stub):
    async def go(c):
        results = {}
        for number in ("4000002760003184", "4000000000009995", "4242424242424242"):
            pm = await c.v1.payment_methods.create_async(
                {"type": "card", "card": {"number": number, "exp_month": 1, "exp_year": 2030}}
            )
            fetched = await c.v1.payment_methods.retrieve_async(pm.id)
            assert fetched.card.last4 == number[-4:]
            try:
                pi = await c.v1.payment_intents.create_async(
                    {"amount": 100, "currency": "usd", "payment_method": pm.id, "confirm": True}
                )
                results[number] = pi.status
            except stripe.CardError as exc:
                results[number] = exc.json_body["error"]["decline_code"]
        return results

    assert with_client(stub.url, go) == {
        "4000002760003184": "requires_action",
        "4000000000009995": "insufficient_funds",
        "4242424242424242": "succeeded",
    }


def test_idempotency_replay_conflict_and_in_flight(stub):
    async def go(c):
        first = await c.v1.payment_intents.create_async(
            connect_params(1), {"idempotency_key": "k1"}
        )
        again = await c.v1.payment_intents.create_async(
            connect_params(1), {"idempotency_key": "k1"}
        )
        with pytest.raises(stripe.IdempotencyError) as info:
            await c.v1.payment_intents.create_async(
                connect_params(1, application_fee_amount=301), {"idempotency_key": "k1"}
            )
        return first, again, info.value

    first, again, err = with_client(stub.url, go)
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert err.http_status == 400 and "same parameters" in err.user_message
    assert [r.replayed for r in stub.requests_for(CREATE)] == [False, True, False]
    stats = stub.stats()
    assert stats["payment_intents_created"] == 1
    assert stats["idempotent_replays"] == 1 and stats["idempotency_conflicts"] == 1

    stub.latency = 0.3
    headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "slow"}

    async def concurrent():
        async with aiohttp.ClientSession() as session:

            async def post(delay):
                await asyncio.sleep(delay)
                async with session.post(
                    stub.url + "/v1/payment_intents",
                    data={"amount": "100", "currency": "eur"},
                    headers=headers,
                ) as resp:
                    return resp.status, await resp.json()

            return await asyncio.gather(post(0), post(0.1))

    (s1, _), (s2, body) = asyncio.run(asyncio.wait_for(concurrent(), 10))
    assert (s1, s2) == (200, 409)
    assert body["error"]["code"] == "idempotency_key_in_use"
    assert stub.stats()["payment_intents_created"] == 2


def test_list_search_and_paging(stub):
    async def go(c):
        ids = []
        for pid in (11, 12, 13):
            pi = await c.v1.payment_intents.create_async(
                connect_params(pid), {"idempotency_key": f"orderpay-payment-{pid}-create"}
            )
            ids.append(pi.id)
        found = await c.v1.payment_intents.search_async(
            {"query": "metadata['orderpay_payment_id']:'12'", "limit": 10}
        )
        none = await c.v1.payment_intents.search_async(
            {"query": "metadata['orderpay_payment_id']:'99'"}
        )
        page = await c.v1.payment_intents.list_async({"limit": 2})
        paged = [pi.id async for pi in page.auto_paging_iter()]
        return ids, found, none, page, paged

    ids, found, none, page, paged = with_client(stub.url, go)
    assert [pi.id for pi in found.data] == [ids[1]] and found.has_more is False
    assert found.object == "search_result" and none.data == []
    assert len(page.data) == 2 and page.has_more is True
    assert paged == list(reversed(ids))  # newest first, all pages
    assert stub.stats()["metadata_duplicates"] == {
        "orderpay_order_id": {"values": 1, "extra_payment_intents": 2}
    }


def test_refunds_and_cancel(stub):
    async def go(c):
        pi = await c.v1.payment_intents.create_async(connect_params(1))
        await c.v1.payment_intents.confirm_async(pi.id)
        refund = await c.v1.refunds.create_async(
            {"payment_intent": pi.id, "amount": 1000}, {"idempotency_key": "orderpay-refund-1"}
        )
        with pytest.raises(stripe.InvalidRequestError) as too_much:
            await c.v1.refunds.create_async({"payment_intent": pi.id, "amount": 1501})
        rest = await c.v1.refunds.create_async({"payment_intent": pi.id})
        with pytest.raises(stripe.InvalidRequestError) as cancel_succeeded:
            await c.v1.payment_intents.cancel_async(pi.id)
        other = await c.v1.payment_intents.create_async(connect_params(2))
        canceled = await c.v1.payment_intents.cancel_async(other.id, None, {"idempotency_key": "x"})
        return refund, too_much.value, rest, cancel_succeeded.value, canceled

    refund, too_much, rest, cancel_succeeded, canceled = with_client(stub.url, go)
    assert refund.id.startswith("re_") and refund.status == "succeeded" and refund.amount == 1000
    assert too_much.code == "amount_too_large"
    assert rest.amount == 1500
    assert cancel_succeeded.code == "payment_intent_unexpected_state"
    assert canceled.status == "canceled"


def test_validation_errors_like_stripe(stub):
    async def go(c):
        errors = {}
        for name, params in {
            "unknown": {"amount": 100, "currency": "eur", "transfer": {"destination": "acct_1"}},
            "fee_without_destination": {
                "amount": 100,
                "currency": "eur",
                "application_fee_amount": 10,
            },
            "missing_pm": {"amount": 100, "currency": "eur", "payment_method": "pm_nope"},
            "no_amount": {"currency": "eur"},
        }.items():
            with pytest.raises(stripe.InvalidRequestError) as info:
                await c.v1.payment_intents.create_async(params)
            errors[name] = (info.value.http_status, info.value.code, info.value.param)
        with pytest.raises(stripe.InvalidRequestError) as info:
            await c.v1.payment_intents.retrieve_async("pi_missing")
        errors["retrieve"] = (info.value.http_status, info.value.code, info.value.param)
        return errors

    assert with_client(stub.url, go) == {
        "unknown": (400, "parameter_unknown", "transfer"),
        "fee_without_destination": (400, None, "application_fee_amount"),
        "missing_pm": (400, "resource_missing", "payment_method"),
        "no_amount": (400, "parameter_missing", "amount"),
        "retrieve": (404, "resource_missing", "id"),
    }
    req = urllib.request.Request(stub.url + "/v1/payment_intents")  # no API key
    with pytest.raises(urllib.error.HTTPError) as info:
        _OPENER.open(req, timeout=5)
    assert info.value.code == 401
    info.value.close()


def test_latency_is_configurable(stub):
    async def go(c):
        started = time.monotonic()
        await c.v1.customers.create_async({"email": "a@example.com"})
        return time.monotonic() - started

    stub.latency = 0.25
    assert with_client(stub.url, go) >= 0.25
    stub.latency = 0.0
    assert with_client(stub.url, go) < 0.2


def test_behind_the_fault_proxy_a_lost_create_makes_one_intent(stub):
    with FaultProxy(stub.url) as proxy:
        proxy.add_fault(("POST", r"^/v1/payment_intents$"), Fault.reset_after())

        async def go(c):
            return await c.v1.payment_intents.create_async(
                connect_params(7), {"idempotency_key": "orderpay-payment-7-create"}
            )

        pi = with_client(proxy.url, go)
    assert [p["id"] for p in stub.payment_intents()] == [pi.id]
    # the proxy's idempotency layer answered the retry; the stub saw one request
    assert stub.stats()["calls"][CREATE] == 1


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise TimeoutError("stripe_stub printed nothing")
    return proc.stdout.readline().decode()


def test_script_mode_stats_and_reset():
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.stripe_stub", "--port", "0", "--latency", "0.01"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        line = _read_line(proc, 10)
        assert line.startswith("stripe_stub listening on http://127.0.0.1:"), line
        url = line.split()[-1]

        def call(method, path, data=None, key=None):
            headers = {"Authorization": f"Bearer {API_KEY}"}
            if key:
                headers["Idempotency-Key"] = key
            req = urllib.request.Request(
                url + path,
                data=data.encode() if data is not None else None,
                headers=headers,
                method=method,
            )
            with _OPENER.open(req, timeout=5) as resp:
                return json.loads(resp.read())

        body = "amount=100&currency=eur&metadata[orderpay_payment_id]=3"
        pi = call("POST", "/v1/payment_intents", body, key="a")
        assert call("POST", "/v1/payment_intents", body, key="a")["id"] == pi["id"]
        call("GET", f"/v1/payment_intents/{pi['id']}")
        stats = call("GET", "/_stub/stats")
        assert stats["calls"] == {
            "POST /v1/payment_intents": 2,
            "GET /v1/payment_intents/{id}": 1,
            "GET /_stub/stats": 1,
        }
        assert stats["payment_intents_created"] == 1 and stats["idempotent_replays"] == 1
        assert call("POST", "/_stub/reset", "") == {"reset": True}
        assert call("GET", "/_stub/stats")["payment_intents_created"] == 0
        assert call("POST", "/_stub/config", "latency=0")["latency"] == 0.0
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()
    assert proc.returncode == 0
