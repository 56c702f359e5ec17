"""Self-tests of tests/support/fault_proxy.py, in front of a real localstripe.

They also pin down what the official SDK (stripe 16, AIOHTTPClient, max_network_retries=2)
does on each fault, which is what orderpay's retry design relies on:

* connection reset (before or after Stripe acted), timeout, 409, 500 and 503: retried, with the
  same Idempotency-Key, after 0.5 s, then 0.5-1.0 s (jittered exponential backoff);
* 429 without ``Stripe-Should-Retry``: NOT retried (``RateLimitError`` at once, ``Retry-After``
  is ignored by the SDK but available in ``exc.headers``); with ``Stripe-Should-Retry: true``
  it is retried like a 5xx.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import aiohttp
import pytest
import stripe

from tests.support.fault_proxy import Fault, FaultProxy

API_KEY = "sk_test_x"
CREATE = ("POST", r"^/v1/payment_intents$")
CONFIRM = ("POST", r"^/v1/payment_intents/[^/]+/confirm$")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# ------------------------------------------------------------------------------ fixtures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def localstripe_url():
    port = _free_port()
    exe = Path(sys.executable).parent / "localstripe"
    proc = subprocess.Popen(
        [str(exe), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                _OPENER.open(url + "/v1/customers", timeout=1).close()
                break
            except urllib.error.HTTPError:  # 401: it answers
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def proxy(localstripe_url):
    with FaultProxy(localstripe_url) as p:
        yield p


def upstream_get(base: str, path: str) -> dict:
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {API_KEY}"})
    with _OPENER.open(req, timeout=5) as resp:
        return json.loads(resp.read())


def intents_marked(base: str, marker: str) -> list[dict]:
    data = upstream_get(base, "/v1/payment_intents?limit=100")["data"]
    return [pi for pi in data if (pi.get("metadata") or {}).get("marker") == marker]


def with_client(url: str, fn, *, retries: int = 2, timeout: float = 10.0, bound: float = 20.0):
    """Run ``await fn(client)`` with a StripeClient configured like orderpay's, in a fresh
    event loop, and always close the SDK's aiohttp session."""

    async def main():
        http = stripe.AIOHTTPClient(timeout=timeout)
        client = stripe.StripeClient(
            API_KEY, base_addresses={"api": url}, http_client=http, max_network_retries=retries
        )
        try:
            return await asyncio.wait_for(fn(client), bound)
        finally:
            await http.close_async()

    return asyncio.run(main())


def pi_params(marker: str, amount: int = 1000, **extra) -> dict:
    return {"amount": amount, "currency": "eur", "metadata": {"marker": marker}, **extra}


# ------------------------------------------------------------------------------ tests


def test_forwards_transparently_and_records(proxy, localstripe_url):
    marker = uuid.uuid4().hex

    async def go(client):
        pi = await client.v1.payment_intents.create_async(
            pi_params(marker), {"idempotency_key": "fwd-" + marker}
        )
        got = await client.v1.payment_intents.retrieve_async(pi.id)
        return pi, got

    pi, got = with_client(proxy.url, go)
    assert got.id == pi.id and pi.amount == 1000
    create, retrieve = proxy.requests
    assert (create.method, create.path, create.status, create.fault) == (
        "POST",
        "/v1/payment_intents",
        200,
        None,
    )
    assert create.params == {"amount": "1000", "currency": "eur", "metadata[marker]": marker}
    assert create.idempotency_key == "fwd-" + marker
    assert create.idempotency == "original" and create.forwarded and not create.replayed
    assert retrieve.method == "GET" and retrieve.path == f"/v1/payment_intents/{pi.id}"
    assert retrieve.idempotency is None  # GETs do not go through the idempotency layer
    assert [p["id"] for p in intents_marked(localstripe_url, marker)] == [pi.id]


def test_reset_after_create_sdk_retry_gets_the_one_intent(proxy, localstripe_url):
    marker = uuid.uuid4().hex
    proxy.add_fault(CREATE, Fault.reset_after())

    async def go(client):
        return await client.v1.payment_intents.create_async(
            pi_params(marker), {"idempotency_key": "ra-" + marker}
        )

    pi = with_client(proxy.url, go)
    first, retry = proxy.requests
    # Stripe acted, the answer was lost ...
    assert first.fault.kind == "reset_after" and first.forwarded and first.upstream_status == 200
    assert first.status is None
    # ... the SDK retried with the same key and got the saved answer, upstream untouched.
    assert retry.idempotency_key == first.idempotency_key == "ra-" + marker
    assert retry.replayed and not retry.forwarded and retry.status == 200
    assert pi.last_response.headers.get("Idempotent-Replayed") == "true"
    assert retry.started - first.started >= 0.45  # the SDK's first backoff is 0.5 s
    [only] = intents_marked(localstripe_url, marker)
    assert only["id"] == pi.id
    assert proxy.pending_faults == []


def test_reset_before_is_not_forwarded_and_raises_api_connection_error(proxy, localstripe_url):
    marker = uuid.uuid4().hex
    proxy.add_fault(CREATE, Fault.reset_before())
    proxy.add_fault(CREATE, Fault.reset_after())

    async def go(client):
        for _ in range(2):
            with pytest.raises(stripe.APIConnectionError):
                await client.v1.payment_intents.create_async(
                    pi_params(marker), {"idempotency_key": "rb-" + marker}
                )

    with_client(proxy.url, go, retries=0)
    before, after = proxy.requests
    assert before.fault.kind == "reset_before" and not before.forwarded
    assert before.idempotency is None and before.status is None
    assert after.fault.kind == "reset_after" and after.forwarded and after.status is None
    assert len(intents_marked(localstripe_url, marker)) == 1  # only reset_after reached Stripe


def test_resets_are_seen_as_dropped_connections_by_plain_aiohttp(proxy):
    """POSTs see every drop.  aiohttp itself (3.14) silently retries GET/PUT/DELETE once after a
    dropped connection, so a single reset on a GET never reaches the SDK: use ``times=2``."""
    proxy.add_fault(("POST", "customers"), Fault.reset_before())
    proxy.add_fault(("POST", "customers"), Fault.reset_after())
    proxy.add_fault(("POST", "customers"), Fault.timeout(0.2))
    proxy.add_fault(("GET", "customers"), Fault.reset_before())
    auth = {"Authorization": f"Bearer {API_KEY}"}

    async def go():
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            for _ in range(3):
                with pytest.raises(aiohttp.ClientConnectionError):
                    async with session.post(
                        proxy.url + "/v1/customers", data={"email": "a@example.com"}, headers=auth
                    ) as resp:
                        await resp.read()
            async with session.post(proxy.url + "/v1/customers", headers=auth) as resp:
                assert resp.status == 200
            async with session.get(proxy.url + "/v1/customers", headers=auth) as resp:
                assert resp.status == 200  # retried by aiohttp, not by us

    asyncio.run(asyncio.wait_for(go(), 10))
    assert [(r.method, r.status) for r in proxy.requests] == [
        ("POST", None),
        ("POST", None),
        ("POST", None),
        ("POST", 200),
        ("GET", None),
        ("GET", 200),
    ]


def test_503_then_success_is_retried_by_sdk(proxy, localstripe_url):
    marker = uuid.uuid4().hex
    proxy.add_fault(CREATE, Fault.status(503))

    async def go(client):
        return await client.v1.payment_intents.create_async(
            pi_params(marker), {"idempotency_key": "503-" + marker}
        )

    pi = with_client(proxy.url, go)
    failed, ok = proxy.requests
    assert failed.status == 503 and not failed.forwarded
    assert ok.status == 200 and ok.idempotency == "original"
    assert ok.started - failed.started >= 0.45
    assert [p["id"] for p in intents_marked(localstripe_url, marker)] == [pi.id]


def test_500_after_acting_on_confirm_is_retried_and_replayed(proxy, localstripe_url):
    """Stripe confirmed (charged) but answered 500: the SDK retries the same key, the retry gets
    the saved success, and the card is charged once."""
    marker = uuid.uuid4().hex
    proxy.add_fault(CONFIRM, Fault.status(500, forward_first=True))

    async def go(client):
        pi = await client.v1.payment_intents.create_async(
            pi_params(marker, payment_method="pm_card_visa"), {"idempotency_key": "c-" + marker}
        )
        return await client.v1.payment_intents.confirm_async(
            pi.id, {"expand": ["payment_method"]}, {"idempotency_key": "cf-" + marker}
        )

    pi = with_client(proxy.url, go)
    assert pi.status == "succeeded"
    assert pi.payment_method.id == "pm_card_visa" or pi.payment_method.card.last4 == "4242"
    _create, first, retry = proxy.requests
    assert first.status == 500 and first.forwarded and first.upstream_status == 200
    assert first.params == {"expand[0]": "payment_method"}
    assert retry.replayed and retry.status == 200
    charges = upstream_get(localstripe_url, "/v1/charges?limit=100")["data"]
    assert len([c for c in charges if c.get("payment_intent") == pi.id]) == 1


@pytest.mark.parametrize("should_retry", [None, True])
def test_429_is_retried_only_with_stripe_should_retry(proxy, localstripe_url, should_retry):
    marker = uuid.uuid4().hex
    proxy.add_fault(CREATE, Fault.status(429, retry_after=1, should_retry=should_retry))

    async def go(client):
        return await client.v1.payment_intents.create_async(
            pi_params(marker), {"idempotency_key": "429-" + marker}
        )

    if should_retry is None:
        started = time.monotonic()
        with pytest.raises(stripe.RateLimitError) as info:
            with_client(proxy.url, go)
        assert time.monotonic() - started < 0.45  # no retry, no wait for Retry-After
        assert info.value.http_status == 429
        assert info.value.headers.get("retry-after") == "1"
        assert info.value.json_body["error"]["code"] == "rate_limit"  # .code is not set
        assert len(proxy.requests) == 1
        assert intents_marked(localstripe_url, marker) == []
    else:
        pi = with_client(proxy.url, go)
        limited, ok = proxy.requests
        assert limited.status == 429 and ok.status == 200
        # retried after the SDK's own backoff, not after Retry-After (1 s)
        assert 0.45 <= ok.started - limited.started < 0.95
        assert [p["id"] for p in intents_marked(localstripe_url, marker)] == [pi.id]


def test_same_key_other_params_or_endpoint_is_an_idempotency_error(proxy, localstripe_url):
    marker = uuid.uuid4().hex
    key = "ie-" + marker

    async def go(client):
        await client.v1.payment_intents.create_async(pi_params(marker), {"idempotency_key": key})
        with pytest.raises(stripe.IdempotencyError) as params_err:
            await client.v1.payment_intents.create_async(
                pi_params(marker, amount=2000), {"idempotency_key": key}
            )
        with pytest.raises(stripe.IdempotencyError) as path_err:
            await client.v1.customers.create_async(
                {"email": "x@example.com"}, {"idempotency_key": key}
            )
        return params_err.value, path_err.value

    params_err, path_err = with_client(proxy.url, go)
    assert params_err.http_status == 400 and "same parameters" in params_err.user_message
    assert path_err.http_status == 400 and "same endpoint" in path_err.user_message
    assert [r.idempotency for r in proxy.requests] == ["original", "mismatch", "mismatch"]
    assert len(intents_marked(localstripe_url, marker)) == 1


def test_parameter_order_does_not_matter_for_the_replay(proxy):
    async def go():
        async with aiohttp.ClientSession() as session:
            statuses = []
            for body in ("amount=100&currency=eur", "currency=eur&amount=100"):
                async with session.post(
                    proxy.url + "/v1/payment_intents",
                    data=body,
                    headers={
                        "Authorization": f"Bearer {API_KEY}",
                        "Idempotency-Key": "order-key",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                ) as resp:
                    statuses.append((resp.status, resp.headers.get("Idempotent-Replayed")))
            return statuses

    assert asyncio.run(asyncio.wait_for(go(), 10)) == [(200, None), (200, "true")]


def test_repeat_while_in_flight_gets_409_key_in_use(proxy):
    proxy.add_fault(CREATE, Fault.latency(0.6, in_stripe=True))
    headers = {
        "Authorization": f"Bearer {API_KEY}",
        "Idempotency-Key": "inflight-" + uuid.uuid4().hex,
    }

    async def go():
        async with aiohttp.ClientSession() as session:

            async def post(delay):
                await asyncio.sleep(delay)
                async with session.post(
                    proxy.url + "/v1/payment_intents",
                    data={"amount": "100", "currency": "eur"},
                    headers=headers,
                ) as resp:
                    return resp.status, await resp.json()

            return await asyncio.gather(post(0), post(0.2))

    (s1, b1), (s2, b2) = asyncio.run(asyncio.wait_for(go(), 10))
    assert s1 == 200 and b1["object"] == "payment_intent"
    assert s2 == 409
    assert b2["error"]["type"] == "idempotency_error"
    assert b2["error"]["code"] == "idempotency_key_in_use"
    assert [r.idempotency for r in proxy.requests] == ["original", "in_use"]


def test_timeout_after_acting_sdk_times_out_retries_and_gets_replay(proxy, localstripe_url):
    marker = uuid.uuid4().hex
    proxy.add_fault(CREATE, Fault.timeout(30, forward_first=True))

    async def go(client):
        return await client.v1.payment_intents.create_async(
            pi_params(marker), {"idempotency_key": "to-" + marker}
        )

    started = time.monotonic()
    pi = with_client(proxy.url, go, timeout=0.5)
    assert time.monotonic() - started < 5
    hung, retry = proxy.requests
    assert hung.fault.kind == "timeout" and hung.forwarded and hung.status is None
    assert retry.replayed and retry.status == 200
    assert [p["id"] for p in intents_marked(localstripe_url, marker)] == [pi.id]


def test_faults_are_consumed_in_order_with_times_and_matchers(proxy):
    proxy.add_fault(CONFIRM, Fault.status(502))  # does not match the GETs below
    proxy.add_fault(("GET", r"^/v1/customers$"), Fault.status(503), times=2)
    proxy.add_fault(lambda r: r.query.get("limit") == "3", Fault.status(500, body={"x": 1}))
    proxy.add_fault(r"customers", Fault.latency(0.05), times=None)

    async def go():
        out = []
        async with aiohttp.ClientSession() as session:
            for q in ("", "", "?limit=3", ""):
                async with session.get(
                    proxy.url + "/v1/customers" + q, headers={"Authorization": f"Bearer {API_KEY}"}
                ) as resp:
                    out.append((resp.status, await resp.json()))
        return out

    results = asyncio.run(asyncio.wait_for(go(), 10))
    assert [s for s, _ in results] == [503, 503, 500, 200]
    assert results[0][1]["error"]["type"] == "api_error"
    assert results[2][1] == {"x": 1}
    assert [r.fault.kind for r in proxy.requests] == ["status", "status", "status", "latency"]
    remaining = proxy.pending_faults
    assert [(f.kind, n) for _m, f, n in remaining] == [("status", 1), ("latency", None)]
    proxy.clear_faults()
    assert proxy.pending_faults == []
    proxy.reset()
    assert proxy.requests == []


def test_upstream_down_answers_502_and_saves_nothing():
    with FaultProxy(f"http://127.0.0.1:{_free_port()}") as p:

        async def go():
            async with aiohttp.ClientSession() as session:
                statuses = []
                for _ in range(2):
                    async with session.post(
                        p.url + "/v1/payment_intents",
                        data={"amount": "1"},
                        headers={"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "down"},
                    ) as resp:
                        statuses.append((resp.status, (await resp.json())["error"]["type"]))
                return statuses

        assert asyncio.run(asyncio.wait_for(go(), 10)) == [(502, "api_error")] * 2
        assert [r.idempotency for r in p.requests] == [None, None]


def test_stop_cuts_a_hang_short(localstripe_url):
    p = FaultProxy(localstripe_url).start()
    p.add_fault("*", Fault.timeout())  # 120 s by default

    async def go():
        async with aiohttp.ClientSession() as session:
            try:
                async with session.get(p.url + "/v1/customers") as resp:
                    await resp.read()
            except aiohttp.ClientError:
                pass

    async def main():
        task = asyncio.ensure_future(go())
        await asyncio.to_thread(p.wait_for, "*", 1, 5.0, done=False)
        started = time.monotonic()
        await asyncio.to_thread(p.stop)
        await asyncio.wait_for(task, 5)
        return time.monotonic() - started

    assert asyncio.run(main()) < 3
