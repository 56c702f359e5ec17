"""`GET /readyz`: 200 while the database answers and Stripe accepts the secret key; 503 with a
JSON:API error naming what is down otherwise (and `Retry-After`). Stripe is asked at most once
per READINESS_STRIPE_CACHE_SECONDS per process. `/healthz` stays liveness: the database only."""

from __future__ import annotations

import time

from tests.conftest import make_settings, running_api
from tests.support.fault_proxy import Fault

BALANCE = ("GET", r"^/v1/balance$")


async def test_ready_when_the_database_and_stripe_answer(database_url, proxy, localstripe):
    settings = make_settings(database_url, proxy.url, readiness_stripe_cache_seconds=0)
    async with running_api(settings, localstripe.url) as api:
        response = await api.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "ok"}
    [probe] = proxy.requests_matching(BALANCE)
    headers = {name.lower(): value for name, value in dict(probe.headers).items()}
    assert headers["authorization"] == f"Bearer {settings.stripe_secret_key}"


async def test_stripe_unreachable_is_503_naming_stripe(database_url, proxy, localstripe):
    settings = make_settings(database_url, proxy.url, readiness_stripe_cache_seconds=0)
    async with running_api(settings, localstripe.url) as api:
        proxy.add_fault(BALANCE, Fault.reset_before(), times=None)
        response = await api.get("/readyz")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/vnd.api+json"
        assert response.headers["Retry-After"] == str(settings.retry_after_seconds)
        document = response.json()
        [error] = document["errors"]
        assert error["code"] == "not_ready" and error["status"] == "503"
        assert "Stripe" in error["detail"] and settings.stripe_secret_key not in error["detail"]
        assert document["meta"]["checks"] == {"database": "ok", "stripe": "down"}
        # Liveness does not depend on Stripe.
        assert (await api.get("/healthz")).status_code == 200

        proxy.clear_faults()
        proxy.add_fault(BALANCE, Fault.status(500), times=None)
        response = await api.get("/readyz")
        assert response.status_code == 503 and "500" in response.json()["errors"][0]["detail"]

        proxy.clear_faults()
        assert (await api.get("/readyz")).status_code == 200  # back as soon as Stripe is


async def test_a_hanging_stripe_is_503_within_the_timeout(database_url, proxy, localstripe):
    settings = make_settings(database_url, proxy.url, readiness_stripe_cache_seconds=0,
                             readiness_timeout_seconds=0.5)
    async with running_api(settings, localstripe.url) as api:
        proxy.add_fault(BALANCE, Fault.timeout(30), times=None)
        started = time.monotonic()
        response = await api.get("/readyz")
        assert time.monotonic() - started < 5
        assert response.status_code == 503
        assert "did not answer within 0.5 s" in response.json()["errors"][0]["detail"]


async def test_stripe_is_asked_once_per_cache_period(database_url, proxy, localstripe):
    settings = make_settings(database_url, proxy.url, readiness_stripe_cache_seconds=60)
    async with running_api(settings, localstripe.url) as api:
        for _ in range(5):
            assert (await api.get("/readyz")).status_code == 200
        # Stripe going down is seen only when the cached answer expires.
        proxy.add_fault(BALANCE, Fault.reset_before(), times=None)
        assert (await api.get("/readyz")).status_code == 200
    assert len(proxy.requests_matching(BALANCE)) == 1


async def test_the_database_down_is_503_naming_the_database(pg_cluster, localstripe):
    name = "readyz_database_down"
    pg_cluster.create_database(name, template="template_orderpay")
    settings = make_settings(pg_cluster.url(name), localstripe.url)
    try:
        async with running_api(settings, localstripe.url) as api:
            assert (await api.get("/readyz")).status_code == 200
            pg_cluster.drop_database(name)  # terminates the pool's connections
            response = await api.get("/readyz")
            assert response.status_code == 503, response.text
            document = response.json()
            [error] = document["errors"]
            assert error["code"] == "not_ready" and "database" in error["detail"]
            assert document["meta"]["checks"] == {"database": "down", "stripe": "ok"}
            assert (await api.get("/healthz")).status_code == 503
    finally:
        pg_cluster.drop_database(name)
