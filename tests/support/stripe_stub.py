"""A small, fast Stripe stub: answers like Stripe for the calls a payments service makes.

Used (1) by tests that must assert the exact parameters sent to Stripe -- Connect's
``transfer_data[destination]`` and ``application_fee_amount``, which localstripe rejects -- and
(2) as the Stripe of the benchmark, which needs thousands of requests per second, a
configurable per-request latency, and an exactly-once check (:meth:`StripeStub.stats`).

Two ways to run it::

    with StripeStub(latency=0.0) as stub:          # aiohttp server in a background thread
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": stub.url}, ...)
        ...
        [create] = stub.requests_for("POST /v1/payment_intents")
        assert create.params["transfer_data[destination]"] == "acct_123"

    python -m tests.support.stripe_stub --port 12111 --latency 0.3 [--record] [--lenient]
        # serves until SIGTERM/SIGINT; prints "stripe_stub listening on http://127.0.0.1:12111"

HTTP endpoints (all need ``Authorization: Bearer sk_...``; bodies are Stripe's form encoding)::

    POST /v1/payment_methods                 card[number], card[exp_month], ... -> pm_ (card)
    GET  /v1/payment_methods/{id}
    POST /v1/payment_methods/{id}/attach     customer
    POST /v1/payment_methods/{id}/detach
    POST /v1/customers                       email, name, description, metadata[...]
    GET  /v1/customers/{id}
    POST /v1/customers/{id}/sources          source=tok_... -> card_ (usable as payment_method)
    DELETE /v1/customers/{id}/sources/{id}
    POST /v1/tokens                          card[number], ... -> tok_
    POST /v1/payment_intents                 amount, currency, payment_method, customer,
                                             metadata[...], payment_method_types[], confirm,
                                             transfer_data[destination], application_fee_amount,
                                             capture_method, expand[], ...
    GET  /v1/payment_intents                 limit, starting_after, ending_before, customer
    GET  /v1/payment_intents/search          query=metadata['k']:'v' [AND status:'succeeded'...]
    GET  /v1/payment_intents/{id}            expand[]
    POST /v1/payment_intents/{id}/confirm    payment_method, expand[], return_url, ...
    POST /v1/payment_intents/{id}/cancel     cancellation_reason
    POST /v1/payment_intents/{id}/capture    amount_to_capture
    POST /v1/refunds                         payment_intent | charge, amount, reason, metadata
    GET  /v1/refunds                         payment_intent | charge, limit (newest first)
    GET  /v1/refunds/{id}, GET /v1/charges/{id}

    GET  /_stub/stats     {"calls": {"POST /v1/payment_intents": n, ...},
                           "payment_intents_created": n, ...}  (see StripeStub.stats)
    POST /_stub/reset     forget everything
    POST /_stub/config    latency=<seconds>
    POST /_stub/payment_intents/{id}/complete_action   outcome=succeeded|failed  (3DS done)

Refunds are created ``succeeded``, or with the status in :attr:`StripeStub.refund_status`
(``pending`` models a bank that takes days); :meth:`StripeStub.set_refund_status` moves one
later (``succeeded``, ``failed`` gives its amount back to the charge, ...).

Card behaviour (by card number; the test PaymentMethods and tokens map to these numbers)::

    4242424242424242  pm_card_visa, tok_visa                    succeeds
    5555555555554444  pm_card_mastercard, tok_mastercard        succeeds
    4000002760003184  pm_card_threeDSecure2Required, tok_threeDSecure2Required
                      (also 4000002500003155 pm_card_authenticationRequired, 4000000000003220)
                      -> requires_action, next_action {"type": "use_stripe_sdk", ...}
    4000000000009995  pm_card_chargeDeclinedInsufficientFunds  402 card_declined/insufficient_funds
    4000000000000341  pm_card_chargeCustomerFail               402 card_declined/generic_decline
    4000000000000002  pm_card_chargeDeclined, pm_card_visa_chargeDeclined  402 generic_decline
    4000000000009987  lost_card; 4000000000000069 expired_card; 4000000000000127 incorrect_cvc

Idempotency: Stripe's, from :mod:`tests.support.stripe_idempotency` (shared with the fault
proxy): same key + same path and params -> the saved response replayed with
``Idempotent-Replayed: true`` (nothing executed again); other path or params -> 400
``idempotency_error``; a repeat while the first is in flight (e.g. during ``latency``) -> 409
``idempotency_key_in_use``.

Strictness: unknown top-level parameters get Stripe's 400 ``parameter_unknown`` (so a typo in a
Connect parameter fails loudly); ``StripeStub(strict=False)`` / ``--lenient`` accepts them.

Per-request CPU is kept small: plain dicts, orjson when available, no per-request logging,
aiohttp's access log off.  ``record=False`` (the default of the script) skips
:attr:`StripeStub.requests`; the counters of :meth:`StripeStub.stats` are always kept.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from .background import BackgroundServer
from .stripe_idempotency import REPLAYED, IdempotencyLayer, Refusal, Replay, form_params

try:  # orjson is a dependency of orderpay; fall back to json for standalone use
    import orjson

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj)

except ImportError:  # pragma: no cover
    import json

    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()


__all__ = ["StripeStub", "StubRecord", "TEST_CARDS", "main"]

#: Metadata every PaymentIntent of one orderpay installation carries with the same value: a
#: value shared by many PaymentIntents is no duplicate charge (see ``metadata_duplicates``).
SHARED_METADATA_KEYS = frozenset({"orderpay_install_id"})

#: Test PaymentMethod ids / token ids -> card numbers (used without being created).
TEST_CARDS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_threeDSecure2Required": "4000002760003184",
    "pm_card_authenticationRequired": "4000002500003155",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "tok_visa": "4242424242424242",
    "tok_mastercard": "5555555555554444",
    "tok_amex": "378282246310005",
    "tok_threeDSecure2Required": "4000002760003184",
    "tok_chargeDeclinedInsufficientFunds": "4000000000009995",
    "tok_chargeCustomerFail": "4000000000000341",
    "tok_chargeDeclined": "4000000000000002",
}

_REQUIRES_ACTION = frozenset({"4000002760003184", "4000002500003155", "4000000000003220"})
# number -> (code, decline_code, message)
_DECLINES: dict[str, tuple[str, str, str]] = {
    "4000000000009995": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000000341": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
    "4000000000009987": ("card_declined", "lost_card", "Your card was declined."),
    "4000000000000069": ("expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": (
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
}

# Accepted top-level parameters per endpoint (strict mode).  Generous on purpose: real
# parameters a service may send, even if the stub ignores them.
_COMMON = frozenset({"expand"})
_PI_CREATE = frozenset(
    {
        "amount",
        "currency",
        "payment_method",
        "customer",
        "metadata",
        "payment_method_types",
        "transfer_data",
        "application_fee_amount",
        "capture_method",
        "confirm",
        "confirmation_method",
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "on_behalf_of",
        "transfer_group",
        "setup_future_usage",
        "off_session",
        "return_url",
        "automatic_payment_methods",
        "payment_method_options",
        "payment_method_data",
        "error_on_requires_action",
        "use_stripe_sdk",
        "mandate_data",
        "shipping",
    }
)
_PI_CONFIRM = frozenset(
    {
        "payment_method",
        "return_url",
        "off_session",
        "payment_method_options",
        "payment_method_data",
        "capture_method",
        "error_on_requires_action",
        "use_stripe_sdk",
        "mandate_data",
        "receipt_email",
        "setup_future_usage",
        "shipping",
    }
)
_PM_CREATE = frozenset({"type", "card", "billing_details", "metadata", "customer"})
_CUSTOMER_CREATE = frozenset(
    {"email", "name", "description", "metadata", "phone", "payment_method", "source"}
)
_REFUND_CREATE = frozenset(
    {
        "payment_intent",
        "charge",
        "amount",
        "reason",
        "metadata",
        "refund_application_fee",
        "reverse_transfer",
        "instructions_email",
    }
)

_SEARCH_CLAUSE = re.compile(
    r"""^\s*(?:metadata\[(['"])(?P<mkey>.+?)\1\]|(?P<field>[a-z_]+))\s*:\s*"""
    r"""(?P<q>['"]?)(?P<value>.*?)(?P=q)\s*$"""
)
_SEARCH_AND = re.compile(r"\s+AND\s+", re.IGNORECASE)


class StubError(Exception):
    """A Stripe-style error answer: HTTP ``status`` and the ``error`` object."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def _invalid(
    message: str, *, param: str | None = None, code: str | None = None, status: int = 400
) -> StubError:
    err: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if param is not None:
        err["param"] = param
    if code is not None:
        err["code"] = code
    return StubError(status, err)


def _missing(kind: str, ident: str, *, param: str | None = "id", status: int = 404) -> StubError:
    return _invalid(
        f"No such {kind}: '{ident}'", param=param, code="resource_missing", status=status
    )


@dataclass(eq=False, slots=True)
class StubRecord:
    """One request as the stub saw it."""

    method: str
    path: str
    endpoint: str  #: route label, e.g. "POST /v1/payment_intents/{id}/confirm"
    params: dict[str, Any]  #: flat form/query params ("metadata[k]": "v"); list if repeated
    idempotency_key: str | None
    headers: dict[str, str]  #: headers of interest, lower-cased names
    status: int = 0  #: HTTP status answered
    replayed: bool = False  #: answered from the idempotency store
    started: float = field(default_factory=time.time)


_HEADERS_OF_INTEREST = (
    "authorization",
    "stripe-account",
    "stripe-version",
    "stripe-context",
    "idempotency-key",
    "content-type",
    "user-agent",
)


def _flat(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            prev = out[k]
            if isinstance(prev, list):
                prev.append(v)
            else:
                out[k] = [prev, v]
        else:
            out[k] = v
    return out


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracketed form keys -> nested dicts/lists (``a[b][0]=x``, ``a[]=x``).

    Only containers that received an index key are considered for conversion to a list, so
    the common case (``metadata[k]``, ``card[number]``) costs nothing extra."""
    root: dict[str, Any] = {}
    indexed: dict[int, tuple[int, dict, str, dict]] = {}
    for key, value in pairs:
        i = key.find("[")
        if i <= 0 or not key.endswith("]"):
            root[key] = value
            continue
        path = [key[:i], *key[i + 1 : -1].split("][")]
        parent = root
        last = len(path) - 1
        for depth in range(last):
            part = path[depth] or str(len(parent))
            node = parent.get(part)
            if not isinstance(node, dict):
                node = parent[part] = {}
            sub = path[depth + 1]
            if (sub == "" or sub.isdigit()) and path[0] != "metadata" and id(node) not in indexed:
                indexed[id(node)] = (depth, parent, part, node)
            parent = node
        parent[path[last] or str(len(parent))] = value
    if indexed:
        # deepest first, so a list of lists comes out right
        for _depth, parent, part, node in sorted(indexed.values(), key=lambda c: -c[0]):
            if node and all(k.isdigit() for k in node):
                parent[part] = [node[k] for k in sorted(node, key=int)]
    return root


def _int(params: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise _invalid(
            f"Invalid integer: {raw}", param=name, code="parameter_invalid_integer"
        ) from None


def _bool(raw: Any) -> bool:
    return raw in (True, "true", "True", "1")


def _check_unknown(params: dict[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name not in allowed and name not in _COMMON:
            raise _invalid(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )


def _brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if number[:1] == "5" or number[:2] == "22":
        return "mastercard"
    return "unknown"


def _replay_headers(key: str | None) -> list[tuple[str, str]]:
    """The headers saved with a first answer, sent again with its replays."""
    headers = [("Content-Type", "application/json")]
    if key:
        headers.append(("Idempotency-Key", key))
    return headers


class _Route:
    __slots__ = ("label", "fn", "internal")

    def __init__(
        self, label: str, fn: Callable[..., tuple[int, dict]], internal: bool = False
    ) -> None:
        self.label = label
        self.fn = fn
        self.internal = internal


class StripeStub(BackgroundServer):
    """``StripeStub(latency=0.0, port=None, *, host="127.0.0.1", record=True, strict=True,
    idempotency_capacity=200_000)``.

    ``start()``/``stop()`` or ``with``; ``url``; ``latency`` may be changed at any time.
    Test helpers: :attr:`requests`, :meth:`requests_for`, :meth:`stats`, :meth:`reset`,
    :meth:`payment_intents`, :meth:`payment_intent`, :meth:`complete_action`.
    """

    def __init__(
        self,
        latency: float = 0.0,
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        record: bool = True,
        strict: bool = True,
        idempotency_capacity: int = 200_000,
    ) -> None:
        self.latency = float(latency)
        self.refund_status = "succeeded"  # the status new refunds are created with
        super().__init__(host, port)
        self.record = record
        self.strict = strict
        self.idempotency_capacity = idempotency_capacity
        self._lock = threading.Lock()
        self._direct = False  # the current request has Stripe-Account (a direct charge)
        self._runner: web.AppRunner | None = None
        self._routes = self._build_routes()
        self._reset_state()

    # ------------------------------------------------------------------ state

    def _reset_state(self) -> None:
        self._requests: list[StubRecord] = []
        self._calls: dict[str, int] = {}
        self._total = 0
        self._pi_created = 0
        self._seq = 0
        self._id_salt = os.urandom(4).hex()
        self._pms: dict[str, dict] = {}
        self._customers: dict[str, dict] = {}
        self._sources: dict[str, dict] = {}  # card_ objects, usable as payment_method
        self._tokens: dict[str, str] = {}  # tok_ -> number
        self._pis: dict[str, dict] = {}  # insertion order = creation order
        self._pi_order: list[str] = []
        self._pi_pos: dict[str, int] = {}
        self._pi_card: dict[str, str] = {}  # pi id -> number of its payment method
        self._meta_index: dict[tuple[str, str], list[str]] = {}
        self._charges: dict[str, dict] = {}
        self._refunds: dict[str, dict] = {}
        self._idem = IdempotencyLayer(self.idempotency_capacity)

    def reset(self) -> None:
        """Forget all objects, records, counters and saved idempotent responses."""
        with self._lock:
            self._reset_state()

    def _new_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}_{self._id_salt}{self._seq:08d}{os.urandom(3).hex()}"

    # ------------------------------------------------------------------ lifecycle

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    async def serve(self) -> web.AppRunner:
        """Start serving on the current event loop (used by start() and the script)."""
        runner = web.AppRunner(
            self.make_app(), access_log=None, shutdown_timeout=1.0, handle_signals=False
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port or 0, reuse_address=True, backlog=1024)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        return runner

    async def _startup(self) -> None:
        await self.serve()

    async def _shutdown(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ------------------------------------------------------------------ test helpers

    @property
    def requests(self) -> list[StubRecord]:
        """A snapshot of the recorded requests (empty when ``record=False``)."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, endpoint: str) -> list[StubRecord]:
        """Records whose route label equals ``endpoint``, e.g.
        ``"POST /v1/payment_intents/{id}/confirm"``."""
        return [r for r in self.requests if r.endpoint == endpoint]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def payment_intents(self) -> list[dict]:
        """Copies of all PaymentIntents, oldest first."""
        with self._lock:
            return [dict(pi) for pi in self._pis.values()]

    def payment_intent(self, pi_id: str) -> dict:
        with self._lock:
            return dict(self._pis[pi_id])

    def complete_action(self, pi_id: str, success: bool = True) -> dict:
        """Finish the customer's 3-D Secure step of a ``requires_action`` PaymentIntent."""
        with self._lock:
            return dict(self._complete_action(pi_id, success))

    def set_refund_status(self, re_id: str, status: str) -> dict:
        """What Stripe does later to a refund: a pending one succeeds, or one fails (its
        amount is then no longer refunded on the charge)."""
        with self._lock:
            refund = self._refunds[re_id]
            ch = self._charges[refund["charge"]]
            counted = refund["status"] in ("pending", "succeeded")
            if counted and status in ("failed", "canceled"):
                ch["amount_refunded"] -= refund["amount"]
                ch["refunded"] = False
            refund["status"] = status
            return dict(refund)

    def refunds(self) -> list[dict]:
        with self._lock:
            return [dict(refund) for refund in self._refunds.values()]

    def stats(self) -> dict[str, Any]:
        """Counters: ``calls`` by route label, ``requests_total``, ``payment_intents_created``,
        ``payment_intents_by_status``, ``charges``, ``refunds``, ``idempotent_replays``,
        ``idempotency_conflicts`` (400), ``idempotency_in_use`` (409),
        ``metadata_duplicates`` ({key: {"values": n, "extra_payment_intents": m}} for metadata
        values carried by more than one PaymentIntent -- the exactly-once check), ``latency``."""
        with self._lock:
            by_status: dict[str, int] = {}
            for pi in self._pis.values():
                by_status[pi["status"]] = by_status.get(pi["status"], 0) + 1
            dups: dict[str, dict[str, int]] = {}
            for (key, _value), ids in self._meta_index.items():
                if len(ids) > 1 and key not in SHARED_METADATA_KEYS:
                    d = dups.setdefault(key, {"values": 0, "extra_payment_intents": 0})
                    d["values"] += 1
                    d["extra_payment_intents"] += len(ids) - 1
            return {
                "calls": dict(self._calls),
                "requests_total": self._total,
                "payment_intents_created": self._pi_created,
                "payment_intents_by_status": by_status,
                "charges": len(self._charges),
                "refunds": len(self._refunds),
                "customers": len(self._customers),
                "payment_methods": len(self._pms),
                "idempotent_replays": self._idem.replays,
                "idempotency_conflicts": self._idem.conflicts,
                "idempotency_in_use": self._idem.in_use,
                "metadata_duplicates": dups,
                "latency": self.latency,
            }

    # ------------------------------------------------------------------ dispatch

    def _build_routes(self) -> dict:
        r = _Route
        return {
            ("POST", "payment_intents", 0): r("POST /v1/payment_intents", self._pi_create),
            ("GET", "payment_intents", 0): r("GET /v1/payment_intents", self._pi_list),
            ("GET", "payment_intents", "search"): r(
                "GET /v1/payment_intents/search", self._pi_search
            ),
            ("GET", "payment_intents", 1): r("GET /v1/payment_intents/{id}", self._pi_retrieve),
            ("POST", "payment_intents", "confirm"): r(
                "POST /v1/payment_intents/{id}/confirm", self._pi_confirm
            ),
            ("POST", "payment_intents", "cancel"): r(
                "POST /v1/payment_intents/{id}/cancel", self._pi_cancel
            ),
            ("POST", "payment_intents", "capture"): r(
                "POST /v1/payment_intents/{id}/capture", self._pi_capture
            ),
            ("POST", "payment_methods", 0): r("POST /v1/payment_methods", self._pm_create),
            ("GET", "payment_methods", 1): r("GET /v1/payment_methods/{id}", self._pm_retrieve),
            ("POST", "payment_methods", "attach"): r(
                "POST /v1/payment_methods/{id}/attach", self._pm_attach
            ),
            ("POST", "payment_methods", "detach"): r(
                "POST /v1/payment_methods/{id}/detach", self._pm_detach
            ),
            ("POST", "customers", 0): r("POST /v1/customers", self._customer_create),
            ("GET", "customers", 1): r("GET /v1/customers/{id}", self._customer_retrieve),
            ("POST", "customers", "sources"): r(
                "POST /v1/customers/{id}/sources", self._source_create
            ),
            ("DELETE", "customers", "sources+1"): r(
                "DELETE /v1/customers/{id}/sources/{id}", self._source_delete
            ),
            ("POST", "tokens", 0): r("POST /v1/tokens", self._token_create),
            ("POST", "refunds", 0): r("POST /v1/refunds", self._refund_create),
            ("GET", "refunds", 0): r("GET /v1/refunds", self._refund_list),
            ("GET", "refunds", 1): r("GET /v1/refunds/{id}", self._refund_retrieve),
            ("GET", "charges", 1): r("GET /v1/charges/{id}", self._charge_retrieve),
        }

    def _route(self, method: str, path: str) -> tuple[_Route | None, list[str]]:
        parts = path.strip("/").split("/")
        n = len(parts)
        if n >= 2 and parts[0] == "v1":
            res = parts[1]
            if n == 2:
                return self._routes.get((method, res, 0)), []
            if n == 3:
                if parts[2] == "search":
                    return self._routes.get((method, res, "search")), []
                return self._routes.get((method, res, 1)), [parts[2]]
            if n == 4:
                return self._routes.get((method, res, parts[3])), [parts[2]]
            if n == 5:
                return self._routes.get((method, res, parts[3] + "+1")), [parts[2], parts[4]]
            return None, []
        if n >= 2 and parts[0] == "_stub":
            if path == "/_stub/stats" and method == "GET":
                return _Route("GET /_stub/stats", self._stub_stats, True), []
            if path == "/_stub/reset" and method == "POST":
                return _Route("POST /_stub/reset", self._stub_reset, True), []
            if path == "/_stub/config" and method == "POST":
                return _Route("POST /_stub/config", self._stub_config, True), []
            if n == 4 and parts[1] == "payment_intents" and parts[3] == "complete_action":
                return _Route(
                    "POST /_stub/payment_intents/{id}/complete_action",
                    self._stub_complete_action,
                    True,
                ), [parts[2]]
        return None, []

    @staticmethod
    def _json(status: int, obj: Any, extra: dict[str, str] | None = None) -> web.Response:
        headers = {"Content-Type": "application/json"}
        if extra:
            headers.update(extra)
        return web.Response(status=status, body=_dumps(obj), headers=headers)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.method
        path = request.path
        route, args = self._route(method, path)
        if method == "POST":
            body = await request.read()
            raw = body.decode("utf-8", "replace")
        else:
            raw = request.query_string
        pairs = parse_qsl(raw, keep_blank_values=True) if raw else []
        label = route.label if route is not None else f"{method} <unknown>"
        self._total += 1
        self._calls[label] = self._calls.get(label, 0) + 1
        if route is not None and route.internal:
            try:
                status, obj = route.fn(_nest(pairs), *args)
            except StubError as exc:
                status, obj = exc.status, {"error": exc.error}
            return self._json(status, obj)

        headers = request.headers
        key = headers.get("Idempotency-Key") if method == "POST" else None
        rec = None
        if self.record:
            rec = StubRecord(
                method,
                path,
                label,
                _flat(pairs),
                key,
                {h: headers[h] for h in _HEADERS_OF_INTEREST if h in headers},
            )
            with self._lock:
                self._requests.append(rec)

        auth = headers.get("Authorization", "")
        entry = None
        if not auth.startswith("Bearer sk_") and not auth.startswith("Basic "):
            err = {
                "error": {
                    "type": "invalid_request_error",
                    "message": "You did not provide an API key. You need to provide your API "
                    "key in the Authorization header, using Bearer auth.",
                }
            }
            resp = self._finish(rec, 401, _dumps(err))
        elif route is None:
            err = {
                "error": {
                    "type": "invalid_request_error",
                    "message": f"Unrecognized request URL ({method}: {path}). "
                    "(StripeStub implements only the calls orderpay makes.)",
                }
            }
            resp = self._finish(rec, 404, _dumps(err))
        else:
            answer = None
            if key:
                scope = (auth, headers.get("Stripe-Account"), key)
                entry, answer = self._idem.arrive(
                    scope=scope, method=method, path=path, query="", params=form_params(pairs)
                )
            if answer is not None:
                # decided on arrival (409 while the first is in flight), answered after latency
                resp = self._idem_repeat(rec, answer, key)
            else:
                # executed on arrival; the answer leaves after `latency`, and until then a
                # repeat of its idempotency key finds it in flight
                try:
                    with self._lock:
                        self._direct = bool(headers.get("Stripe-Account"))
                        status, obj = route.fn(_nest(pairs), *args)
                except StubError as exc:
                    status, obj = exc.status, {"error": exc.error}
                body = _dumps(obj)
                resp = self._finish(rec, status, body, key)
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        if entry is not None:
            self._idem.answered(entry, status=status, body=body, headers=_replay_headers(key))
        return resp

    def _idem_repeat(
        self, rec: StubRecord | None, answer: Refusal | Replay, key: str | None
    ) -> web.Response:
        if isinstance(answer, Refusal):
            return self._finish(rec, answer.status, _dumps({"error": answer.error}), key)
        if rec is not None:
            rec.replayed = True
            rec.status = answer.status
        return web.Response(
            status=answer.status, body=answer.body, headers=[*answer.headers, REPLAYED]
        )

    @staticmethod
    def _finish(
        rec: StubRecord | None, status: int, body: bytes, key: str | None = None
    ) -> web.Response:
        if rec is not None:
            rec.status = status
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Idempotency-Key"] = key
        return web.Response(status=status, body=body, headers=headers)

    # ------------------------------------------------------------------ internal endpoints

    def _stub_stats(self, params: dict) -> tuple[int, dict]:
        return 200, self.stats()

    def _stub_reset(self, params: dict) -> tuple[int, dict]:
        self.reset()
        return 200, {"reset": True}

    def _stub_config(self, params: dict) -> tuple[int, dict]:
        if "latency" in params:
            try:
                self.latency = max(0.0, float(params["latency"]))
            except ValueError:
                raise _invalid("latency must be a number", param="latency") from None
        return 200, {"latency": self.latency}

    def _stub_complete_action(self, params: dict, pi_id: str) -> tuple[int, dict]:
        success = params.get("outcome", "succeeded") in ("succeeded", "success", "true")
        with self._lock:
            return 200, self._complete_action(pi_id, success)

    # ------------------------------------------------------------------ payment methods

    def _card(self, number: str, params: dict) -> dict:
        number = number.replace(" ", "")
        return {
            "brand": _brand(number),
            "last4": number[-4:],
            "exp_month": _int(params, "exp_month") or 12,
            "exp_year": _int(params, "exp_year") or 2034,
            "funding": "credit",
            "country": "US",
            "fingerprint": "fp" + number[-8:],
            "checks": {"cvc_check": "pass" if params.get("cvc") else None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        }

    def _pm_object(
        self, pm_id: str, number: str, card_params: dict, customer: str | None = None
    ) -> dict:
        return {
            "id": pm_id,
            "object": "payment_method",
            "type": "card",
            "card": self._card(number, card_params),
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "customer": customer,
            "created": int(time.time()),
            "livemode": False,
            "metadata": {},
            "_number": number,
        }

    def _payment_method(self, pm_id: str, *, param: str | None = None) -> dict:
        """The PaymentMethod (or card source) object; test ids are materialised on demand."""
        pm = self._pms.get(pm_id) or self._sources.get(pm_id)
        if pm is not None:
            return pm
        number = TEST_CARDS.get(pm_id)
        if number is None or not pm_id.startswith("pm_"):
            if param:
                raise _missing("PaymentMethod", pm_id, param=param, status=400)
            raise _missing("PaymentMethod", pm_id)
        pm = self._pm_object(pm_id, number, {})
        self._pms[pm_id] = pm
        return pm

    @staticmethod
    def _public(obj: dict) -> dict:
        return {k: v for k, v in obj.items() if k[0] != "_"}

    def _pm_create(self, p: dict) -> tuple[int, dict]:
        if self.strict:
            _check_unknown(p, _PM_CREATE)
        pm_type = p.get("type", "card")
        if pm_type != "card":
            raise _invalid(f"StripeStub only supports type=card, not {pm_type!r}", param="type")
        card = p.get("card")
        if not isinstance(card, dict):
            raise _invalid("Missing required param: card.", param="card", code="parameter_missing")
        if "token" in card:
            number = self._token_number(card["token"], "card[token]")
        else:
            given = card.get("number")
            if not given or not str(given).replace(" ", "").isdigit():
                raise StubError(
                    402,
                    {
                        "type": "card_error",
                        "code": "invalid_number",
                        "param": "card[number]",
                        "message": "Your card number is incorrect.",
                    },
                )
            number = str(given)
        pm = self._pm_object(self._new_id("pm"), number, card)
        pm["metadata"] = p.get("metadata") or {}
        if isinstance(p.get("billing_details"), dict):
            pm["billing_details"].update(p["billing_details"])
        self._pms[pm["id"]] = pm
        return 200, self._public(pm)

    def _pm_retrieve(self, p: dict, pm_id: str) -> tuple[int, dict]:
        return 200, self._public(self._payment_method(pm_id))

    def _pm_attach(self, p: dict, pm_id: str) -> tuple[int, dict]:
        if self.strict:
            _check_unknown(p, frozenset({"customer"}))
        customer = p.get("customer")
        if not customer:
            raise _invalid(
                "Missing required param: customer.", param="customer", code="parameter_missing"
            )
        if customer not in self._customers:
            raise _missing("customer", customer, param="customer", status=400)
        pm = self._payment_method(pm_id)
        number = pm["_number"]
        if number in _DECLINES and number != "4000000000000341":
            code, decline, message = _DECLINES[number]
            raise StubError(
                402,
                {"type": "card_error", "code": code, "decline_code": decline, "message": message},
            )
        pm["customer"] = customer
        return 200, self._public(pm)

    def _pm_detach(self, p: dict, pm_id: str) -> tuple[int, dict]:
        pm = self._payment_method(pm_id)
        if pm.get("customer") is None:
            raise _invalid(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                code="payment_method_unexpected_state",
            )
        pm["customer"] = None
        return 200, self._public(pm)

    def _token_number(self, token: str, param: str) -> str:
        number = self._tokens.get(token) or TEST_CARDS.get(token)
        if number is None or not token.startswith("tok_"):
            raise _missing("token", token, param=param, status=400)
        return number

    def _token_create(self, p: dict) -> tuple[int, dict]:
        card = p.get("card")
        if not isinstance(card, dict) or not card.get("number"):
            raise _invalid("Missing required param: card.", param="card", code="parameter_missing")
        tok_id = self._new_id("tok")
        self._tokens[tok_id] = str(card["number"]).replace(" ", "")
        card_obj = self._card(self._tokens[tok_id], card)
        card_obj.update(id=self._new_id("card"), object="card")
        return 200, {
            "id": tok_id,
            "object": "token",
            "type": "card",
            "card": card_obj,
            "created": int(time.time()),
            "livemode": False,
            "used": False,
        }

    # ------------------------------------------------------------------ customers

    def _customer_create(self, p: dict) -> tuple[int, dict]:
        if self.strict:
            _check_unknown(p, _CUSTOMER_CREATE)
        cus: dict[str, Any] = {
            "id": self._new_id("cus"),
            "object": "customer",
            "email": p.get("email"),
            "name": p.get("name"),
            "phone": p.get("phone"),
            "description": p.get("description"),
            "metadata": p.get("metadata") or {},
            "created": int(time.time()),
            "livemode": False,
            "default_source": None,
            "invoice_settings": {"default_payment_method": None},
        }
        self._customers[cus["id"]] = cus
        return 200, cus

    def _customer_retrieve(self, p: dict, cus_id: str) -> tuple[int, dict]:
        cus = self._customers.get(cus_id)
        if cus is None:
            raise _missing("customer", cus_id)
        return 200, cus

    def _source_create(self, p: dict, cus_id: str) -> tuple[int, dict]:
        cus = self._customers.get(cus_id)
        if cus is None:
            raise _missing("customer", cus_id)
        token = p.get("source")
        if not token:
            raise _invalid(
                "Missing required param: source.", param="source", code="parameter_missing"
            )
        number = self._token_number(str(token), "source")
        card_id = self._new_id("card")
        card = self._card(number, {})
        card.update(
            id=card_id,
            object="card",
            customer=cus_id,
            metadata={},
            _number=number,
        )
        card["brand"] = {
            "visa": "Visa",
            "mastercard": "MasterCard",
            "amex": "American Express",
        }.get(card["brand"], "Unknown")
        self._sources[card_id] = card
        if cus["default_source"] is None:
            cus["default_source"] = card_id
        return 200, self._public(card)

    def _source_delete(self, p: dict, cus_id: str, card_id: str) -> tuple[int, dict]:
        card = self._sources.get(card_id)
        if card is None or card.get("customer") != cus_id:
            raise _missing("source", card_id)
        del self._sources[card_id]
        cus = self._customers.get(cus_id)
        if cus is not None and cus["default_source"] == card_id:
            cus["default_source"] = None
        return 200, {"id": card_id, "object": "card", "deleted": True}

    # ------------------------------------------------------------------ payment intents

    def _pi_get(self, pi_id: str) -> dict:
        pi = self._pis.get(pi_id)
        if pi is None:
            raise _missing("payment_intent", pi_id)
        return pi

    def _expand(self, pi: dict, p: dict) -> dict:
        expand = p.get("expand")
        if not expand:
            return pi
        if isinstance(expand, str):
            expand = [expand]
        out = dict(pi)
        for path in expand:
            if path == "payment_method" and pi["payment_method"]:
                out["payment_method"] = self._public(self._payment_method(pi["payment_method"]))
            elif path == "latest_charge" and pi["latest_charge"]:
                out["latest_charge"] = self._charges[pi["latest_charge"]]
            elif path == "customer" and pi["customer"]:
                out["customer"] = self._customers.get(pi["customer"], pi["customer"])
            elif path not in ("payment_method", "latest_charge", "customer"):
                raise _invalid(
                    f"This property cannot be expanded ({path}). (StripeStub expands "
                    "payment_method, latest_charge and customer.)",
                    param="expand",
                )
        return out

    def _expand_items(self, items: list[dict], p: dict) -> list[dict]:
        """``expand[]=data.payment_method`` on a list or search result."""
        expand = p.get("expand")
        if not expand:
            return items
        if isinstance(expand, str):
            expand = [expand]
        inner = {"expand": [e[5:] if e.startswith("data.") else e for e in expand]}
        return [self._expand(pi, inner) for pi in items]

    def _pi_create(self, p: dict) -> tuple[int, dict]:
        if self.strict:
            _check_unknown(p, _PI_CREATE)
        amount = _int(p, "amount", required=True)
        if amount is None or amount < 1:
            raise _invalid(
                "This value must be greater than or equal to 1.",
                param="amount",
                code="parameter_invalid_integer",
            )
        currency = p.get("currency")
        if not currency:
            raise _invalid(
                "Missing required param: currency.", param="currency", code="parameter_missing"
            )
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
            raise _invalid(f"Invalid currency: {currency}.", param="currency")
        customer = p.get("customer") or None
        if customer is not None and customer not in self._customers:
            raise _missing("customer", customer, param="customer", status=400)
        pm_id = p.get("payment_method") or None
        if pm_id is not None:
            pm = self._payment_method(pm_id, param="payment_method")
            owner = pm.get("customer")
            if owner is not None and owner != customer and pm_id not in TEST_CARDS:
                raise _invalid(
                    f"The provided PaymentMethod {pm_id} belongs to another customer "
                    "(or to a customer while none was given).",
                    param="payment_method",
                )
        transfer_data = p.get("transfer_data")
        if transfer_data is not None:
            if not isinstance(transfer_data, dict) or not transfer_data.get("destination"):
                raise _invalid(
                    "Missing required param: transfer_data[destination].",
                    param="transfer_data[destination]",
                    code="parameter_missing",
                )
            dest = transfer_data["destination"]
            if not str(dest).startswith("acct_"):
                raise _missing("account", dest, param="transfer_data[destination]", status=400)
            transfer_data = {"destination": dest}
            if transfer_data_amount := p["transfer_data"].get("amount"):
                transfer_data["amount"] = int(transfer_data_amount)
        fee = _int(p, "application_fee_amount")
        if fee is not None:
            if transfer_data is None and not p.get("on_behalf_of") and not self._direct:
                raise _invalid(
                    "Can only apply an application_fee_amount when the PaymentIntent is "
                    "attempting a direct payment (using an OAuth key or Stripe-Account header) "
                    "or destination payment (using `transfer_data[destination]`).",
                    param="application_fee_amount",
                )
            if fee < 0 or fee > amount:
                raise _invalid(
                    "application_fee_amount must be between 0 and the amount.",
                    param="application_fee_amount",
                )
        capture_method = p.get("capture_method") or "automatic_async"
        if capture_method not in ("automatic", "automatic_async", "manual"):
            raise _invalid(f"Invalid capture_method: {capture_method}", param="capture_method")
        types = p.get("payment_method_types") or ["card"]
        if isinstance(types, str):
            types = [types]
        metadata = p.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise _invalid("Invalid metadata.", param="metadata")
        pi_id = self._new_id("pi")
        pi = {
            "id": pi_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "application_fee_amount": fee,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": capture_method,
            "client_secret": f"{pi_id}_secret_{os.urandom(12).hex()}",
            "confirmation_method": p.get("confirmation_method") or "automatic",
            "created": int(time.time()),
            "currency": currency.lower(),
            "customer": customer,
            "description": p.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": metadata,
            "next_action": None,
            "on_behalf_of": p.get("on_behalf_of"),
            "payment_method": pm_id,
            "payment_method_types": types,
            "receipt_email": p.get("receipt_email"),
            "setup_future_usage": p.get("setup_future_usage"),
            "statement_descriptor": p.get("statement_descriptor"),
            "status": "requires_confirmation" if pm_id else "requires_payment_method",
            "transfer_data": transfer_data,
            "transfer_group": p.get("transfer_group"),
        }
        self._pis[pi_id] = pi
        self._pi_pos[pi_id] = len(self._pi_order)
        self._pi_order.append(pi_id)
        self._pi_created += 1
        for item in metadata.items():
            self._meta_index.setdefault(item, []).append(pi_id)
        if _bool(p.get("confirm")):
            return self._confirm(pi, p)
        return 200, self._expand(pi, p)

    def _pi_retrieve(self, p: dict, pi_id: str) -> tuple[int, dict]:
        return 200, self._expand(self._pi_get(pi_id), p)

    def _pi_confirm(self, p: dict, pi_id: str) -> tuple[int, dict]:
        if self.strict:
            _check_unknown(p, _PI_CONFIRM)
        return self._confirm(self._pi_get(pi_id), p)

    def _confirm(self, pi: dict, p: dict) -> tuple[int, dict]:
        status = pi["status"]
        if status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
            if status == "succeeded":
                message = (
                    "You cannot confirm this PaymentIntent because it has already succeeded "
                    "after being previously confirmed."
                )
            else:
                message = (
                    f"You cannot confirm this PaymentIntent because it has a status of {status}."
                )
            raise _invalid(message, code="payment_intent_unexpected_state")
        if p.get("payment_method"):
            self._payment_method(p["payment_method"], param="payment_method")
            pi["payment_method"] = p["payment_method"]
        if p.get("capture_method"):
            pi["capture_method"] = p["capture_method"]
        pm_id = pi["payment_method"]
        if not pm_id:
            raise _invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent with a payment method, pass `payment_method`.",
                code="payment_intent_unexpected_state",
            )
        number = self._payment_method(pm_id)["_number"]
        pi["last_payment_error"] = None
        if number in _REQUIRES_ACTION:
            if _bool(p.get("off_session")) or _bool(p.get("error_on_requires_action")):
                return self._decline(
                    pi,
                    p,
                    "authentication_required",
                    "authentication_required",
                    "Your card was declined. This transaction requires authentication.",
                )
            pi["status"] = "requires_action"
            pi["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": f"https://hooks.stripe.com/3d_secure_2/hosted?pi={pi['id']}",
                    "source": "src_" + os.urandom(8).hex(),
                },
            }
            return 200, self._expand(pi, p)
        decline = _DECLINES.get(number)
        if decline is not None:
            return self._decline(pi, p, *decline)
        self._succeed(pi)
        return 200, self._expand(pi, p)

    def _charge(self, pi: dict, succeeded: bool, failure: tuple[str, str] | None = None) -> dict:
        manual = pi["capture_method"] == "manual"
        ch = {
            "id": self._new_id("ch"),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": pi["amount"] if succeeded and not manual else 0,
            "amount_refunded": 0,
            "application_fee_amount": pi["application_fee_amount"],
            "balance_transaction": self._new_id("txn") if succeeded else None,
            "captured": succeeded and not manual,
            "created": int(time.time()),
            "currency": pi["currency"],
            "customer": pi["customer"],
            "failure_code": failure[0] if failure else None,
            "failure_message": failure[1] if failure else None,
            "livemode": False,
            "metadata": {},
            "paid": succeeded,
            "payment_intent": pi["id"],
            "payment_method": pi["payment_method"],
            "refunded": False,
            "status": "succeeded" if succeeded else "failed",
            "transfer": self._new_id("tr") if succeeded and pi["transfer_data"] else None,
            "transfer_data": pi["transfer_data"],
        }
        self._charges[ch["id"]] = ch
        return ch

    def _succeed(self, pi: dict) -> None:
        ch = self._charge(pi, True)
        pi["latest_charge"] = ch["id"]
        pi["next_action"] = None
        if pi["capture_method"] == "manual":
            pi["status"] = "requires_capture"
            pi["amount_capturable"] = pi["amount"]
        else:
            pi["status"] = "succeeded"
            pi["amount_received"] = pi["amount"]

    def _decline(
        self, pi: dict, p: dict, code: str, decline_code: str, message: str
    ) -> tuple[int, dict]:
        pm = self._public(self._payment_method(pi["payment_method"]))
        ch = self._charge(pi, False, (code, message))
        error = {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": message,
            "charge": ch["id"],
            "payment_method": pm,
            "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        }
        pi["last_payment_error"] = error
        pi["latest_charge"] = ch["id"]
        pi["next_action"] = None
        pi["payment_method"] = None
        pi["status"] = "requires_payment_method"
        raise StubError(402, dict(error, payment_intent=self._expand(pi, p)))

    def _complete_action(self, pi_id: str, success: bool) -> dict:
        pi = self._pi_get(pi_id)
        if pi["status"] != "requires_action":
            raise _invalid(
                f"PaymentIntent {pi_id} has status {pi['status']}, not requires_action.",
                code="payment_intent_unexpected_state",
            )
        if success:
            self._succeed(pi)
        else:
            pm = self._public(self._payment_method(pi["payment_method"]))
            pi["last_payment_error"] = {
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "message": "The provided PaymentMethod has failed authentication. You can "
                "provide payment_method_data or a new PaymentMethod to attempt to fulfill this "
                "PaymentIntent again.",
                "payment_method": pm,
            }
            pi["payment_method"] = None
            pi["next_action"] = None
            pi["status"] = "requires_payment_method"
        return pi

    def _pi_cancel(self, p: dict, pi_id: str) -> tuple[int, dict]:
        if self.strict:
            _check_unknown(p, frozenset({"cancellation_reason"}))
        pi = self._pi_get(pi_id)
        if pi["status"] in ("succeeded", "canceled"):
            raise _invalid(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be canceled: requires_payment_method, requires_capture, requires_confirmation, "
                "requires_action, processing.",
                code="payment_intent_unexpected_state",
            )
        pi["status"] = "canceled"
        pi["canceled_at"] = int(time.time())
        pi["cancellation_reason"] = p.get("cancellation_reason")
        pi["next_action"] = None
        pi["amount_capturable"] = 0
        return 200, self._expand(pi, p)

    def _pi_capture(self, p: dict, pi_id: str) -> tuple[int, dict]:
        pi = self._pi_get(pi_id)
        if pi["status"] != "requires_capture":
            raise _invalid(
                "This PaymentIntent could not be captured because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be captured: requires_capture.",
                code="payment_intent_unexpected_state",
            )
        amount = _int(p, "amount_to_capture") or pi["amount"]
        if amount > pi["amount"]:
            raise _invalid(
                "amount_to_capture is larger than the amount.", param="amount_to_capture"
            )
        ch = self._charges[pi["latest_charge"]]
        ch.update(captured=True, amount_captured=amount)
        pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return 200, self._expand(pi, p)

    def _limit(self, p: dict) -> int:
        limit = _int(p, "limit") or 10
        if not 1 <= limit <= 100:
            raise _invalid("limit must be between 1 and 100.", param="limit")
        return limit

    def _pi_list(self, p: dict) -> tuple[int, dict]:
        limit = self._limit(p)
        order = self._pi_order
        customer = p.get("customer")
        if p.get("starting_after"):
            pos = self._pi_pos.get(p["starting_after"])
            if pos is None:
                raise _missing(
                    "payment_intent", p["starting_after"], param="starting_after", status=400
                )
            indices = range(pos - 1, -1, -1)
        elif p.get("ending_before"):
            pos = self._pi_pos.get(p["ending_before"])
            if pos is None:
                raise _missing(
                    "payment_intent", p["ending_before"], param="ending_before", status=400
                )
            indices = range(pos + 1, len(order))  # oldest first, reversed below
        else:
            indices = range(len(order) - 1, -1, -1)
        data: list[dict] = []
        has_more = False
        for i in indices:
            pi = self._pis[order[i]]
            if customer and pi["customer"] != customer:
                continue
            if len(data) == limit:
                has_more = True
                break
            data.append(pi)
        if p.get("ending_before") and not p.get("starting_after"):
            data.reverse()
        return 200, {
            "object": "list",
            "data": self._expand_items(data, p),
            "has_more": has_more,
            "url": "/v1/payment_intents",
        }

    def _pi_search(self, p: dict) -> tuple[int, dict]:
        query = p.get("query")
        if not query:
            raise _invalid(
                "Missing required param: query.", param="query", code="parameter_missing"
            )
        limit = self._limit(p)
        clauses = []
        for text in _SEARCH_AND.split(query.strip()):
            m = _SEARCH_CLAUSE.match(text)
            if m is None:
                raise _invalid(
                    f"StripeStub cannot parse search clause {text!r} (supported: "
                    "metadata['key']:'value', status/currency/customer/amount:'value', AND).",
                    param="query",
                )
            if m.group("mkey") is not None:
                clauses.append(("metadata", m.group("mkey"), m.group("value")))
            else:
                fld = m.group("field")
                if fld not in ("status", "currency", "customer", "amount"):
                    raise _invalid(
                        f"Field {fld!r} is not supported by StripeStub search.", param="query"
                    )
                clauses.append((fld, None, m.group("value")))
        meta = next((c for c in clauses if c[0] == "metadata"), None)
        if meta is not None:
            candidates = [self._pis[i] for i in self._meta_index.get((meta[1], meta[2]), ())]
        else:
            candidates = list(self._pis.values())
        result = []
        for pi in reversed(candidates):  # newest first
            for fld, mkey, value in clauses:
                if fld == "metadata":
                    if pi["metadata"].get(mkey) != value:
                        break
                elif str(pi[fld]) != value:
                    break
            else:
                result.append(pi)
        start = _int(p, "page") or 0
        page = result[start : start + limit]
        more = start + limit < len(result)
        return 200, {
            "object": "search_result",
            "data": self._expand_items(page, p),
            "has_more": more,
            "next_page": str(start + limit) if more else None,
            "url": "/v1/payment_intents/search",
        }

    # ------------------------------------------------------------------ refunds / charges

    def _refund_create(self, p: dict) -> tuple[int, dict]:
        if self.strict:
            _check_unknown(p, _REFUND_CREATE)
        pi_id, ch_id = p.get("payment_intent"), p.get("charge")
        if not pi_id and not ch_id:
            raise _invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        if pi_id:
            pi = self._pis.get(pi_id)
            if pi is None:
                raise _missing("payment_intent", pi_id, param="payment_intent", status=400)
            ch = self._charges.get(pi["latest_charge"] or "")
            if ch is None or pi["status"] not in ("succeeded",):
                raise _invalid(
                    f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                    param="payment_intent",
                    code="charge_not_refundable"
                    if ch is None
                    else "payment_intent_unexpected_state",
                )
        else:
            ch = self._charges.get(str(ch_id))
            if ch is None:
                raise _missing("charge", str(ch_id), param="charge", status=400)
        if ch["status"] != "succeeded" or not ch["captured"]:
            raise _invalid(f"Charge {ch['id']} cannot be refunded.", code="charge_not_refundable")
        remaining = ch["amount_captured"] - ch["amount_refunded"]
        if remaining <= 0:
            raise _invalid(
                f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded"
            )
        amount = _int(p, "amount")
        if amount is None:
            amount = remaining
        if amount < 1:
            raise _invalid("Refund amount must be positive.", param="amount")
        if amount > remaining:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                param="amount",
                code="amount_too_large",
            )
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount_captured"]
        refund = {
            "id": self._new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": self._new_id("txn"),
            "charge": ch["id"],
            "created": int(time.time()),
            "currency": ch["currency"],
            "metadata": p.get("metadata") or {},
            "payment_intent": ch["payment_intent"],
            "reason": p.get("reason"),
            "status": self.refund_status,
            "transfer_reversal": None,
        }
        self._refunds[refund["id"]] = refund
        return 200, refund

    def _refund_list(self, p: dict) -> tuple[int, dict]:
        limit = self._limit(p)
        pi_id, ch_id = p.get("payment_intent"), p.get("charge")
        if pi_id:
            ch_id = (self._pis.get(pi_id) or {}).get("latest_charge")
            if pi_id not in self._pis:
                raise _missing("payment_intent", pi_id, param="payment_intent", status=400)
        found = [r for r in self._refunds.values() if ch_id is None or r["charge"] == ch_id]
        found.reverse()
        return 200, {
            "object": "list",
            "data": found[:limit],
            "has_more": len(found) > limit,
            "url": "/v1/refunds",
        }

    def _refund_retrieve(self, p: dict, re_id: str) -> tuple[int, dict]:
        refund = self._refunds.get(re_id)
        if refund is None:
            raise _missing("refund", re_id)
        return 200, refund

    def _charge_retrieve(self, p: dict, ch_id: str) -> tuple[int, dict]:
        ch = self._charges.get(ch_id)
        if ch is None:
            raise _missing("charge", ch_id)
        return 200, ch


# ---------------------------------------------------------------------- script


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.stripe_stub", description="Serve the Stripe stub."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: pick a free port (printed)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    parser.add_argument(
        "--record", action="store_true", help="keep per-request records (memory grows)"
    )
    parser.add_argument("--lenient", action="store_true", help="accept unknown parameters")
    args = parser.parse_args(argv)

    stub = StripeStub(
        args.latency, args.port, host=args.host, record=args.record, strict=not args.lenient
    )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        runner = await stub.serve()
        print(f"stripe_stub listening on {stub.url}", flush=True)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    try:
        import uvloop  # optional: a faster event loop for the benchmark
    except ImportError:
        uvloop = None  # type: ignore[assignment]
    if uvloop is not None and hasattr(uvloop, "run"):
        uvloop.run(run())
    else:
        asyncio.run(run())
    sys.exit(0)


if __name__ == "__main__":
    main()
