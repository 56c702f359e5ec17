"""LOG_FORMAT=text: the same fields as the JSON lines, readable, and redacted the same way
(what `make run` prints). An unknown LOG_FORMAT is refused with a clear message."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

from orderpay import logs
from tests.conftest import STRIPE_KEY


def reconcile(database_url: str, stripe_url: str, log_format: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "STRIPE_API_BASE": stripe_url,
           "STRIPE_SECRET_KEY": STRIPE_KEY, "LOG_FORMAT": log_format}
    return subprocess.run([sys.executable, "-m", "orderpay", "reconcile", "--older-than", "0"],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_text_line_has_the_fields_of_the_json_one_and_no_secret():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("text"))
    stdlib_logger = logging.getLogger("orderpay.tests.text")
    stdlib_logger.addHandler(handler)
    stdlib_logger.propagate = False
    try:
        with logs.request_context(request_id="req-text-1", method="POST"):
            logs.bind(payment_id="12", idempotency_key="orderpay-abc-payment-12-create")
            logs.get_logger("orderpay.tests.text").info(
                "stripe_call", operation="payment_intent_create", detail="No such token tok_abc1"
            )
    finally:
        stdlib_logger.removeHandler(handler)
    [line] = stream.getvalue().splitlines()
    assert not line.startswith("{") and "stripe_call" in line
    for field in ("request_id=req-text-1", "payment_id=12", "operation=payment_intent_create",
                  "idempotency_key=orderpay-abc-payment-12-create", "method=POST"):
        assert field in line, (field, line)
    assert "tok_abc1" not in line and "[card token]" in line


def test_an_unknown_log_format_is_refused(database_url, localstripe):
    done = reconcile(database_url, localstripe.url, "xml")
    assert done.returncode != 0 and "log_format" in done.stderr.lower()
    assert "Traceback" not in done.stderr
