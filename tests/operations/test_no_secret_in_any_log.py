"""No log line of the whole test run holds a secret: every server process the tests start
writes its log into the run's log directory (tests/support/server.py), the app driven in
process logs there too (tests/conftest.py), and the last test of the run reads them all.

What counts as a secret, and what does not, is tests/support/secrets.py's to say; the unit
checks below show that the scan finds each kind (so a clean scan means something) and does
not cry wolf on the ids and keys that are meant to be logged."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from orderpay import logs
from tests.conftest import WEBHOOK_SECRET
from tests.operations.test_logs_are_json_with_the_payment_fields import card_token
from tests.payments.test_concurrency import (
    create_order,
    new_payment_method,
    payment_document,
    seed_order,
    server_env,
)
from tests.support import webhooks
from tests.support.log_lines import json_lines
from tests.support.secrets import secrets_in, secrets_in_files
from tests.support.server import OrderpayServer, session_log_dir

SECRET_LINES = {
    "card number": "charging 4242424242424242 now",
    "card number, grouped": "card=4000 0027 6000 3184.",
    "card token": '{"stripe_token": "tok_1QxYzAbCdEf"}',
    "test card alias": "payment_method=pm_card_visa",
    "client_secret": '"client_secret": "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjc"',
    "stripe secret key": "Authorization: key sk_test_orderpay",
    "live key": "api_key=sk_live_51HxYz",
    "webhook secret": f"secret={WEBHOOK_SECRET}",
    "bearer token": "user token op_8yJ1pX0kQwErTyUiOpAsDfGhJkLzXcVbNm",
    "authorization header": "Authorization: Bearer abc.def.ghi",
    "checkout link": "GET /checkout/7?token=7.3.1767225600.c2lnbmF0dXJl HTTP/1.1",
    "checkout secret": "secret orderpay-local-checkout-secret",
}
INNOCENT_LINES = [
    # ids and keys meant to be logged, and what the redaction leaves
    '{"payment_method": "pm_1QxYzAbCdEf", "card": "card_1Qx", "payment_intent": "pi_3Mtw"}',
    '{"idempotency_key": "orderpay-ed8d4364cc3f79dc-payment-1234567890123-create"}',
    '{"request_id": "12d0b1c94d924fbea478a010fb5564cf", "time": "2026-12-02T02:48:45.221172Z"}',
    '{"duration_ms": 1234567.891, "pid": 27423, "card_last4": "4242", "brand": "visa"}',
    '{"stripe_request_id": "req_6e116866c59594", "event": "client_secret returned"}',
    '{"path": "/checkout/7?token=[redacted]", "token": "[card token]", "Bearer [token]": 1}',
    "a Luhn-invalid run 4242424242424241 and a 12-digit one 424242424242",
]


@pytest.mark.parametrize("kind", SECRET_LINES)
def test_the_scan_finds_each_kind_of_secret(kind):
    assert list(secrets_in(SECRET_LINES[kind])), kind


def test_the_scan_passes_what_may_be_logged():
    assert [finding for line in INNOCENT_LINES for finding in secrets_in(line)] == []


def test_the_scan_of_files_names_the_file_and_line(tmp_path):
    log = tmp_path / "server.log"
    log.write_text('{"event": "ok"}\n' + SECRET_LINES["client_secret"] + "\n")
    [finding] = secrets_in_files([log])
    assert finding.where == "server.log:2" and finding.kind == "client_secret"


def test_the_log_formatter_redacts_what_a_library_lets_slip():
    """The second line of defence: a line we do not write (an SDK's error quoting what it was
    sent) leaves the formatter without its secrets."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for line in SECRET_LINES.values():
            logger.warning("Stripe said: %s", line)
        try:
            raise ValueError(SECRET_LINES["client_secret"])
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    # The literal checkout secrets have no shape to redact: no code logs them (the scan checks).
    leaked = [f for f in secrets_in(output) if f.kind != "configured secret"]
    assert leaked == [], leaked
    assert len(json_lines(output)) == len(SECRET_LINES) + 1


async def drive_a_server_through_what_carries_secrets(pg_cluster, localstripe) -> None:
    """Requests whose bodies, headers and answers carry every kind of secret, through a real
    server with its access log on, so that the scan below has them to miss even when this
    test runs alone."""
    name = "no_secret_in_any_log"
    pg_cluster.create_database(name, template="template_orderpay")
    url = pg_cluster.url(name)
    try:
        token, business, product = await seed_order(url)
        auth = {"Authorization": f"Bearer {token}"}
        with OrderpayServer(server_env(url, localstripe.url), access_log=True) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                # A card token (tok_…), paid; a 3-D Secure card (client_secret in the answer).
                order = await create_order(client, token, business, product)
                card = await card_token(localstripe.url)
                paid = await client.post("/api/v1/payments", headers=auth,
                                         json=payment_document(order, card))
                assert paid.status_code == 201, paid.text
                order = await create_order(client, token, business, product)
                async with httpx.AsyncClient(base_url=localstripe.url,
                                             auth=(server_env(url, "")["STRIPE_SECRET_KEY"], "")
                                             ) as stripe:
                    pm = (await stripe.post("/v1/payment_methods", data={
                        "type": "card", "card[number]": "4000002760003184",
                        "card[exp_month]": "12", "card[exp_year]": "2034",
                        "card[cvc]": "123"})).json()["id"]
                three_ds = await client.post("/api/v1/payments", headers=auth,
                                             json=payment_document(order, pm))
                assert "_secret_" in three_ds.text, three_ds.text
                # A token Stripe does not know: its error message quotes it.
                order = await create_order(client, token, business, product)
                refused = await client.post(
                    "/api/v1/payments", headers=auth,
                    json=payment_document(order, "tok_doesnotexist1234"))
                assert refused.status_code in (402, 422), refused.text
                # A bearer token that is unknown, a checkout link, a signed webhook.
                await client.get("/api/v1/orders/1", headers={
                    "Authorization": "Bearer op_unknownTokenUnknownTokenUnknown"})
                await client.get("/checkout/1", params={"token": "1.1.1767225600.c2ln"})
                payload = webhooks.event("payment_intent.succeeded",
                                         webhooks.intent("pi_unknown", "succeeded", payment_id=1,
                                                         installation_id="unknown"))
                await client.post("/api/v1/stripe/webhooks", content=payload, headers={
                    "Stripe-Signature": webhooks.sign(payload),
                    "Content-Type": "application/json"})
                await new_payment_method(localstripe.url)
    finally:
        pg_cluster.drop_database(name)


def read_the_run_logs(directory: Path) -> tuple[list[Path], int, int]:
    """(the log files, their line count, their Stripe call lines)."""
    files = sorted(p for p in directory.iterdir() if p.is_file())
    texts = [p.read_text(errors="replace") for p in files]
    return files, sum(len(t.splitlines()) for t in texts), sum(
        t.count('"stripe_call"') for t in texts
    )


@pytest.mark.last_in_session
async def test_the_logs_of_the_whole_run_hold_no_secret(pg_cluster, localstripe):
    directory = session_log_dir()
    assert directory is not None
    await drive_a_server_through_what_carries_secrets(pg_cluster, localstripe)

    files, lines, stripe_calls = read_the_run_logs(directory)
    servers = [p for p in files if p.name.startswith("orderpay-server-")]
    assert servers and any(p.name == "in-process.log" for p in files), files
    assert stripe_calls > 0, "no Stripe call was logged: the scan would prove nothing"

    found = secrets_in_files(files)
    assert not found, (
        f"{len(found)} secrets in {len(files)} log files ({directory}):\n"
        + "\n".join(map(str, found[:50]))
    )
    print(f"scanned {lines} lines in {len(files)} log files ({len(servers)} servers)")


def test_stripe_log_cannot_make_the_sdk_print_its_requests():
    """STRIPE_LOG=debug would have the SDK print every request's parameters (a card token
    among them) on stderr, outside our logging: orderpay turns it off."""
    code = (
        "from stripe import _util\n"
        "import orderpay.stripe_gateway\n"
        "assert _util._console_log_level() is None, _util._console_log_level()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "STRIPE_LOG": "debug"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "stripe_log_ignored" in done.stderr
