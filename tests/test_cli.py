"""The operator CLI, run as an operator runs it: a subprocess, one JSON object on stdout and
exit 0, or a message on stderr and a non-zero exit. On both databases."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import STRIPE_KEY


def orderpay(
    database_url: str, *args: str, stripe_url: str = "http://127.0.0.1:9"
) -> tuple[int, dict | None, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
    }
    done = subprocess.run(
        [sys.executable, "-m", "orderpay", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stdout.strip().splitlines()
    payload = json.loads(lines[0]) if done.returncode == 0 else None
    if done.returncode == 0:
        assert len(lines) == 1, done.stdout  # exactly one JSON object
    return done.returncode, payload, done.stderr


def test_operator_commands_print_one_json_object(database_url):
    code, migrated, _ = orderpay(database_url, "migrate")
    assert code == 0 and migrated["migrated"] is True  # idempotent on a migrated database

    code, user, _ = orderpay(database_url, "users", "create", "ada@example.test")
    assert code == 0
    assert set(user) == {"id", "email", "token"} and user["email"] == "ada@example.test"
    assert isinstance(user["id"], str) and user["token"]

    code, business, _ = orderpay(
        database_url,
        "businesses",
        "create",
        "Trattoria",
        "--currency",
        "eur",
        "--stripe-account",
        "acct_123",
        "--commission-bps",
        "1250",
    )
    assert code == 0
    assert business["name"] == "Trattoria" and business["currency"] == "eur"
    assert business["stripe_account_id"] == "acct_123" and business["commission_bps"] == 1250

    code, member, _ = orderpay(database_url, "businesses", "add-member", business["id"], user["id"])
    assert code == 0 and member == {"business_id": business["id"], "user_id": user["id"]}

    code, product, _ = orderpay(
        database_url, "products", "create", business["id"], "Margherita", "950"
    )
    assert code == 0 and product["name"] == "Margherita" and product["price_cents"] == 950
    assert set(product) == {"id", "name", "price_cents"}


async def test_the_token_is_stored_only_hashed(database_url):
    code, user, _ = orderpay(database_url, "users", "create", "grace@example.test")
    assert code == 0
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT token_hash FROM users"))).scalar_one()
    finally:
        await engine.dispose()
    assert stored == hashlib.sha256(user["token"].encode()).hexdigest()
    assert user["token"] not in stored


def test_errors_go_to_stderr_with_a_non_zero_exit(database_url):
    assert orderpay(database_url, "users", "create", "dup@example.test")[0] == 0
    code, payload, stderr = orderpay(database_url, "users", "create", "dup@example.test")
    assert code != 0 and payload is None and "exists" in stderr and "Traceback" not in stderr

    code, _, stderr = orderpay(database_url, "products", "create", "999", "Ghost", "100")
    assert code != 0 and "No business 999" in stderr

    code, _, stderr = orderpay(database_url, "businesses", "create", "Bad", "--currency", "EUR")
    assert code != 0 and "currency" in stderr

    code, _, stderr = orderpay(
        database_url, "businesses", "create", "Bad", "--commission-bps", "-5"
    )
    assert code != 0 and stderr

    code, _, stderr = orderpay(database_url, "businesses", "add-member", "999", "1")
    assert code != 0 and "No business 999" in stderr


def test_demo_seeds_a_payable_order(database_url):
    code, demo, _ = orderpay(database_url, "demo")
    assert code == 0
    assert demo["customer"]["token"] and demo["business"]["id"] and len(demo["products"]) == 2
    assert demo["order"]["state"] == "pending_payment" and demo["order"]["total_cents"] > 0


def test_reconcile_prints_counts(database_url, localstripe):
    code, counts, stderr = orderpay(
        database_url, "reconcile", "--older-than", "0", stripe_url=localstripe.url
    )
    assert code == 0, stderr
    assert counts["payments"]["examined"] == 0
    assert {"refunds_settled", "events_applied", "idempotency_keys_purged"} <= set(counts)


def test_installation_prints_the_id_and_renew_gives_a_copy_its_own(database_url):
    code, first, stderr = orderpay(database_url, "installation")
    assert code == 0, stderr
    assert len(first["installation_id"]) == 16
    assert orderpay(database_url, "installation")[1] == first  # stable

    code, renewed, stderr = orderpay(database_url, "installation", "--renew")

    assert code == 0, stderr
    assert renewed["previous"] == first["installation_id"]
    assert renewed["installation_id"] != first["installation_id"]
    assert orderpay(database_url, "installation")[1] == {
        "installation_id": renewed["installation_id"]
    }


def test_a_price_stripe_cannot_charge_is_refused(database_url):
    # An order of one such product could never be paid (API.md: 99,999,999 minor units).
    code, business, _ = orderpay(database_url, "businesses", "create", "Caviar House")
    assert code == 0

    code, payload, stderr = orderpay(
        database_url, "products", "create", business["id"], "Beluga", "100000000"
    )
    assert code != 0 and payload is None and "Traceback" not in stderr
    assert "99999999" in stderr and "invalid_price" in stderr

    code, product, _ = orderpay(
        database_url, "products", "create", business["id"], "Oscietra", "99999999"
    )
    assert code == 0 and product["price_cents"] == 99_999_999
