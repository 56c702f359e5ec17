"""A fault-injecting HTTP proxy in front of a (fake) Stripe, with Stripe's idempotency layer.

localstripe ignores ``Idempotency-Key``; real Stripe does not, and the safety of every retry
in orderpay rests on it.  :class:`FaultProxy` sits between the service (or a test's own
``stripe.StripeClient``) and an upstream such as localstripe or :mod:`tests.support.stripe_stub`
and plays the two things the upstream lacks:

* **Stripe's idempotency layer** (on by default): :mod:`tests.support.stripe_idempotency`,
  the one the Stripe stub plays too.  The first ``POST`` under an ``Idempotency-Key`` is
  forwarded and upstream's answer (status, body, non hop-by-hop headers) saved; a repeat gets
  it replayed with ``Idempotent-Replayed: true`` without touching upstream, or ``400``/``409``
  ``idempotency_error``.  If upstream never answered (unreachable: the proxy answers ``502``)
  nothing is saved.

* **Faults**, programmed from the test with :meth:`FaultProxy.add_fault`.  A fault models the
  *network between the client and Stripe*: a fault "before" means Stripe (the idempotency
  layer and upstream) never saw the request, so nothing is saved; a fault "after"
  (``reset_after``, ``status(..., forward_first=True)``, ``timeout(..., forward_first=True)``)
  lets the request through the idempotency layer to upstream -- which acts and whose response
  is saved under the key -- and only then loses or replaces the answer.  A client retry with the
  same key then gets the replay, exactly as with real Stripe.

Constructors of :class:`Fault` (also exported as module-level functions)::

    Fault.latency(seconds, *, in_stripe=False)  # wait, then forward normally; in_stripe=True:
                                                # upstream is slow (key stays in flight: 409s)
    Fault.timeout(seconds=120.0, forward_first=False)
                                                # hang without answering, then close (FIN)
    Fault.reset_before()                        # drop the connection (RST); upstream never saw it
    Fault.reset_after()                         # forward, let upstream act, then drop (RST)
    Fault.status(code, retry_after=None, forward_first=False, *, should_retry=None, body=None)
                                                # answer `code` (500/502/503/429/...) with a
                                                # Stripe-like JSON error; optionally after
                                                # forwarding; `retry_after` -> Retry-After header,
                                                # `should_retry` -> Stripe-Should-Retry header

Matching (``match`` argument of :meth:`FaultProxy.add_fault` / :meth:`FaultProxy.wait_for`):

* ``None`` or ``"*"``: every request;
* a ``str``: a regex searched in the path, any method;
* a tuple ``(method, path_regex)``: method (``"*"``/``None`` = any) and a regex searched in the
  path, e.g. ``("POST", r"^/v1/payment_intents/[^/]+/confirm$")``;
* a callable ``f(record) -> bool`` receiving the :class:`ProxyRecord` of the request (its
  ``method``, ``path``, ``query``, ``params``, ``headers``, ``idempotency_key`` are filled in).

Rules are kept in the order added; each request takes the first rule that matches and still
has uses left (``times``; ``None`` = unlimited).  So ``add_fault(m, reset_after())`` then
``add_fault(m, status(503))`` gives the first matching request a reset and the second a 503.

Usage::

    with FaultProxy(localstripe.url) as proxy:
        proxy.add_fault(("POST", r"^/v1/payment_intents$"), Fault.reset_after())
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": proxy.url},
                                     http_client=stripe.AIOHTTPClient(), max_network_retries=2)
        ...
        [first, retry] = proxy.requests
        assert first.fault.kind == "reset_after" and first.forwarded and first.status is None
        assert retry.replayed and retry.status == 200

The proxy runs an aiohttp server on ``127.0.0.1:<free port>`` in a background thread with its
own event loop, so it serves both a sync test and a service running in a subprocess.

What the client side does with these faults (stripe 16.1 + aiohttp 3.14, pinned by
tests/test_support_fault_proxy.py), with ``max_network_retries=N``:

* the SDK retries dropped connections and timeouts (``APIConnectionError``), 409, and every
  5xx, always with the same ``Idempotency-Key``; it sleeps 0.5 s before the 1st retry, then
  0.5-1.0 s, then 1-2 s ... (``0.5 * 2**(n-1)`` jittered down to half, floor 0.5 s, cap 5 s);
* a 429 is *not* retried (``stripe.RateLimitError`` at once) unless the answer carries
  ``Stripe-Should-Retry: true``; ``Retry-After`` is never honoured by the SDK (read it from
  ``exc.headers``); ``Stripe-Should-Retry: false`` stops a retry of a 5xx too;
* aiohttp itself silently re-sends GET/PUT/DELETE once after a dropped connection (not POST):
  one ``reset_*`` on a GET never reaches the SDK -- give such faults ``times=2``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from .background import BackgroundServer
from .stripe_idempotency import REPLAYED, IdempotencyLayer, Refusal, Replay, canonical_params

__all__ = [
    "DEFAULT_HANG_SECONDS",
    "Fault",
    "FaultProxy",
    "ProxyRecord",
    "latency",
    "reset_after",
    "reset_before",
    "status",
    "timeout",
]

#: Default duration of :meth:`Fault.timeout`: longer than any client timeout we use
#: (the SDK's AIOHTTPClient defaults to 80 s).  :meth:`FaultProxy.stop` cuts hangs short.
DEFAULT_HANG_SECONDS = 120.0

LATENCY = "latency"
TIMEOUT = "timeout"
RESET_BEFORE = "reset_before"
RESET_AFTER = "reset_after"
STATUS = "status"

# Headers never forwarded in either direction (RFC 9110 hop-by-hop, plus the ones aiohttp
# must compute itself for the re-encoded message).
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
        "date",
        "server",
    }
)


@dataclass(frozen=True)
class Fault:
    """One injected fault.  Build it with the classmethods, not the constructor.

    ``kind`` is one of ``"latency"``, ``"timeout"``, ``"reset_before"``, ``"reset_after"``,
    ``"status"``; ``seconds`` is the delay/hang; ``code``/``retry_after``/``should_retry``/
    ``body`` shape a ``status`` answer; ``forward_first`` says upstream acts before the fault.
    """

    kind: str
    seconds: float = 0.0
    code: int = 0
    retry_after: float | int | str | None = None
    forward_first: bool = False
    should_retry: bool | None = None
    body: dict[str, Any] | None = None
    in_stripe: bool = False

    @classmethod
    def latency(cls, seconds: float, *, in_stripe: bool = False) -> Fault:
        """Wait ``seconds``, then forward normally (through the idempotency layer).

        ``in_stripe=True`` spends the delay *inside* Stripe instead: after upstream answered but
        before the idempotency layer saves the answer -- a slow Stripe, during which a repeat of
        the same key gets ``409 idempotency_key_in_use``.
        """
        return cls(LATENCY, seconds=float(seconds), in_stripe=in_stripe)

    @classmethod
    def timeout(
        cls, seconds: float = DEFAULT_HANG_SECONDS, *, forward_first: bool = False
    ) -> Fault:
        """Hang without answering for ``seconds``, then close the connection.

        With ``forward_first=True`` upstream receives and executes the request first (and its
        response is saved under the idempotency key): "Stripe acted, the client timed out".
        """
        return cls(TIMEOUT, seconds=float(seconds), forward_first=forward_first)

    @classmethod
    def reset_before(cls) -> Fault:
        """Drop the connection (TCP RST) without forwarding: upstream never acted."""
        return cls(RESET_BEFORE)

    @classmethod
    def reset_after(cls) -> Fault:
        """Forward, let upstream act (and the idempotency layer save its answer), then drop
        the connection (TCP RST) without answering: "Stripe acted but we never heard"."""
        return cls(RESET_AFTER, forward_first=True)

    @classmethod
    def status(
        cls,
        code: int,
        retry_after: float | int | str | None = None,
        forward_first: bool = False,
        *,
        should_retry: bool | None = None,
        body: dict[str, Any] | None = None,
        in_stripe: bool = False,
    ) -> Fault:
        """Answer HTTP ``code`` with a Stripe-like JSON error instead of upstream's answer.

        ``in_stripe=True``: Stripe itself fails the request once its idempotency layer holds
        the key: upstream never acts, and the error is *saved* under the key, so every retry
        with it is answered the same error with ``Idempotent-Replayed: true`` (Stripe's stored
        500).

        5xx: ``{"error": {"type": "api_error", ...}}``; 429: ``{"error": {"type":
        "rate_limit_error", "code": "rate_limit", ...}}``; others: ``invalid_request_error``.
        ``body`` replaces the JSON body entirely.  ``retry_after`` adds ``Retry-After``;
        ``should_retry`` adds ``Stripe-Should-Retry: true|false``.  With
        ``forward_first=True`` upstream acts first (the "500 after acting" case).
        """
        return cls(
            STATUS,
            code=int(code),
            retry_after=retry_after,
            forward_first=forward_first,
            should_retry=should_retry,
            body=body,
            in_stripe=in_stripe,
        )

    @property
    def forwards(self) -> bool:
        """True when the request reaches upstream (and the idempotency layer) despite the fault."""
        return self.forward_first or self.kind == LATENCY


# Module-level aliases, so tests can write ``fault_proxy.reset_after()``.
latency = Fault.latency
timeout = Fault.timeout
reset_before = Fault.reset_before
reset_after = Fault.reset_after
status = Fault.status


@dataclass(eq=False)
class ProxyRecord:
    """What the proxy saw and did for one request (appended when the request arrives and
    completed in place; read them through :attr:`FaultProxy.requests`)."""

    seq: int  #: arrival order, from 0
    method: str
    path: str
    query: dict[str, Any]  #: flat query params (a list when a key repeats)
    params: dict[str, Any]  #: flat form params of the body (``metadata[x]`` keys), else query
    idempotency_key: str | None
    headers: dict[str, str]  #: request headers, names lower-cased
    body: bytes = b""
    fault: Fault | None = None  #: the fault applied, or None
    replayed: bool = False  #: answered from the idempotency store (upstream not called)
    #: None (layer not involved), "original" (forwarded, answer saved), "replayed",
    #: "mismatch" (400: other path/params), "in_use" (409: first still in flight)
    idempotency: str | None = None
    forwarded: bool = False  #: upstream received this request
    upstream_status: int | None = None  #: what upstream answered (None: not forwarded/no answer)
    status: int | None = None  #: what the client got; None: connection dropped/hung up
    started: float = field(default_factory=time.time)  #: wall-clock arrival time
    done: bool = False  #: the proxy has finished with this request

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


Match = Callable[[ProxyRecord], bool] | tuple[str | None, str] | str | None


def _compile_match(match: Match) -> Callable[[ProxyRecord], bool]:
    if match is None or match == "*":
        return lambda rec: True
    if callable(match):
        return match
    if isinstance(match, str):
        rx = re.compile(match)
        return lambda rec: rx.search(rec.path) is not None
    if isinstance(match, tuple) and len(match) == 2:
        method, pattern = match
        rx = re.compile(pattern or "")
        method = None if method in (None, "*") else method.upper()
        return lambda rec: (
            (method is None or rec.method == method) and (rx.search(rec.path) is not None)
        )
    raise TypeError(f"unsupported fault match {match!r}")


@dataclass(eq=False)
class _Rule:
    match: Match
    predicate: Callable[[ProxyRecord], bool]
    fault: Fault
    remaining: int | None


@dataclass(eq=False)
class _Answer:
    status: int
    body: bytes
    headers: list[tuple[str, str]]  # includes Content-Type
    from_upstream: bool = True


def _flat_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            prev = out[key]
            if isinstance(prev, list):
                prev.append(value)
            else:
                out[key] = [prev, value]
        else:
            out[key] = value
    return out


def _json_answer(
    status: int, payload: dict[str, Any], extra: Sequence[tuple[str, str]] = ()
) -> _Answer:
    headers = [("Content-Type", "application/json"), ("Request-Id", "req_" + secrets.token_hex(7))]
    headers.extend(extra)
    return _Answer(status, json.dumps(payload, indent=2).encode(), headers, from_upstream=False)


def stripe_error_body(code: int, message: str | None = None) -> dict[str, Any]:
    """The JSON body Stripe sends with an HTTP ``code`` error (roughly)."""
    if code == 429:
        return {
            "error": {
                "type": "rate_limit_error",
                "code": "rate_limit",
                "message": message
                or "Too many requests hit the API too quickly. We recommend an exponential "
                "backoff of your requests.",
            }
        }
    if code >= 500:
        return {
            "error": {
                "type": "api_error",
                "message": message
                or "An unknown error occurred while processing your request (injected by "
                "FaultProxy).",
            }
        }
    return {"error": {"type": "invalid_request_error", "message": message or f"HTTP {code}"}}


class FaultProxy(BackgroundServer):
    """Reverse proxy with Stripe's idempotency layer and programmable faults.

    ``FaultProxy(upstream_url, *, idempotency=True, host="127.0.0.1", port=None,
    upstream_timeout=60.0)``; ``start()``/``stop()`` or ``with``; ``url`` once started.
    """

    def __init__(
        self,
        upstream_url: str,
        *,
        idempotency: bool = True,
        host: str = "127.0.0.1",
        port: int | None = None,
        upstream_timeout: float = 60.0,
    ) -> None:
        super().__init__(host, port)
        self.upstream_url = upstream_url.rstrip("/")
        #: the idempotency layer; may be switched at any time
        self.idempotency = idempotency
        self.upstream_timeout = upstream_timeout
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._records: list[ProxyRecord] = []
        self._idem = IdempotencyLayer()
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._stopping: asyncio.Event | None = None

    # ---------------------------------------------------------------- lifecycle

    async def _startup(self) -> None:
        self._stopping = asyncio.Event()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=self.upstream_timeout),
            auto_decompress=True,
            skip_auto_headers=("User-Agent", "Accept-Encoding"),
        )
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port or 0, reuse_address=True)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def _shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # ---------------------------------------------------------------- test API

    def add_fault(self, match: Match, fault: Fault, times: int | None = 1) -> None:
        """Give the next ``times`` requests matching ``match`` the ``fault`` (see module doc)."""
        if not isinstance(fault, Fault):
            raise TypeError("fault must be a Fault (use Fault.reset_after() etc.)")
        rule = _Rule(match, _compile_match(match), fault, times)
        with self._lock:
            self._rules.append(rule)

    def clear_faults(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def pending_faults(self) -> list[tuple[Match, Fault, int | None]]:
        """Rules not used up yet: ``(match, fault, remaining)``."""
        with self._lock:
            return [(r.match, r.fault, r.remaining) for r in self._rules]

    @property
    def requests(self) -> list[ProxyRecord]:
        """A snapshot (a new list) of all records so far, in arrival order."""
        with self._lock:
            return list(self._records)

    def requests_matching(self, match: Match) -> list[ProxyRecord]:
        pred = _compile_match(match)
        return [r for r in self.requests if pred(r)]

    def clear_requests(self) -> None:
        with self._lock:
            self._records.clear()

    def clear_idempotency(self) -> None:
        self._idem.clear()

    def reset(self) -> None:
        """Forget faults, records and saved idempotent responses."""
        with self._lock:
            self._rules.clear()
            self._records.clear()
        self._idem.clear()

    def wait_for(
        self, match: Match = None, count: int = 1, timeout: float = 5.0, *, done: bool = True
    ) -> list[ProxyRecord]:
        """Block until ``count`` requests matching ``match`` were seen (and, with
        ``done=True``, finished); return them.  Raises ``TimeoutError`` after ``timeout``."""
        pred = _compile_match(match)
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.requests if pred(r) and (r.done or not done)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"saw {len(found)} of {count} requests matching {match!r} in {timeout}s"
                )
            time.sleep(0.01)

    # ---------------------------------------------------------------- serving

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        query = _flat_params(parse_qsl(request.query_string, keep_blank_values=True))
        ctype = request.headers.get("Content-Type", "")
        if body and ctype.startswith("application/x-www-form-urlencoded"):
            params = _flat_params(
                parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            )
        elif body and ctype.startswith("application/json"):
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            params = decoded if isinstance(decoded, dict) else {}
        else:
            params = dict(query)
        with self._lock:
            rec = ProxyRecord(
                seq=self._seq,
                method=request.method,
                path=request.path,
                query=query,
                params=params,
                idempotency_key=request.headers.get("Idempotency-Key"),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
            )
            self._seq += 1
            self._records.append(rec)
            fault = self._take_fault(rec)
            rec.fault = fault
        try:
            return await self._serve(request, rec, body, fault)
        finally:
            rec.done = True

    def _take_fault(self, rec: ProxyRecord) -> Fault | None:
        # called with self._lock held
        for i, rule in enumerate(self._rules):
            try:
                hit = rule.predicate(rec)
            except Exception:
                hit = False
            if not hit:
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    del self._rules[i]
            return rule.fault
        return None

    async def _serve(
        self, request: web.Request, rec: ProxyRecord, body: bytes, fault: Fault | None
    ) -> web.StreamResponse:
        if fault is None:
            return self._respond(rec, await self._stripe(request, rec, body))
        kind = fault.kind
        if kind == LATENCY:
            if fault.in_stripe:
                return self._respond(rec, await self._stripe(request, rec, body, fault.seconds))
            await self._sleep(fault.seconds)
            return self._respond(rec, await self._stripe(request, rec, body))
        answer = None
        if fault.forward_first:
            answer = await self._stripe(request, rec, body)
        if kind in (RESET_BEFORE, RESET_AFTER):
            return self._drop(request, rec, rst=True)
        if kind == TIMEOUT:
            await self._sleep(fault.seconds)
            return self._drop(request, rec, rst=False)
        if kind == STATUS:
            extra: list[tuple[str, str]] = []
            if fault.retry_after is not None:
                ra = fault.retry_after
                if isinstance(ra, float) and ra.is_integer():
                    ra = int(ra)
                extra.append(("Retry-After", str(ra)))
            if fault.should_retry is not None:
                extra.append(("Stripe-Should-Retry", "true" if fault.should_retry else "false"))
            if rec.idempotency_key:
                extra.append(("Idempotency-Key", rec.idempotency_key))
            payload = fault.body if fault.body is not None else stripe_error_body(fault.code)
            error = _json_answer(fault.code, payload, extra)
            if fault.in_stripe:
                return self._respond(rec, await self._stripe(request, rec, body, instead=error))
            return self._respond(rec, error)
        # unknown kind: behave as if no fault
        return self._respond(rec, answer or await self._stripe(request, rec, body))

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        assert self._stopping is not None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _respond(self, rec: ProxyRecord, answer: _Answer) -> web.Response:
        rec.status = answer.status
        resp = web.Response(status=answer.status, body=answer.body)
        for name, value in answer.headers:
            resp.headers.add(name, value)
        return resp

    def _drop(self, request: web.Request, rec: ProxyRecord, *, rst: bool) -> web.Response:
        rec.status = None
        transport = request.transport
        if transport is not None:
            if rst:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                transport.abort()
            else:
                transport.close()
        # aiohttp fails to write this to the closed transport and drops it quietly.
        return web.Response(status=599)

    # -- "Stripe": idempotency layer in front of upstream

    async def _stripe(
        self,
        request: web.Request,
        rec: ProxyRecord,
        body: bytes,
        delay: float = 0.0,
        *,
        instead: _Answer | None = None,
    ) -> _Answer:
        key = rec.idempotency_key
        if not (self.idempotency and key and rec.method == "POST"):
            return await self._forward(request, rec, body, delay)
        scope = (rec.headers.get("authorization"), rec.headers.get("stripe-account"), key)
        saved, repeat = self._idem.arrive(
            scope=scope,
            method=rec.method,
            path=rec.path,
            query=request.query_string,
            params=canonical_params(rec.headers.get("content-type", ""), body),
        )
        if isinstance(repeat, Refusal):
            rec.idempotency = repeat.verdict
            return _json_answer(repeat.status, {"error": repeat.error}, [("Idempotency-Key", key)])
        if isinstance(repeat, Replay):
            rec.idempotency = "replayed"
            rec.replayed = True
            return _Answer(repeat.status, repeat.body, [*repeat.headers, REPLAYED])
        assert saved is not None
        answer: _Answer | None = None
        try:
            if instead is not None:  # Stripe's own failure, saved under the key
                answer = _Answer(instead.status, instead.body, instead.headers)
            else:
                answer = await self._forward(request, rec, body, delay)
        finally:
            if answer is None or not answer.from_upstream:
                # upstream never answered: nothing to save, the key is free again
                self._idem.abandon(scope, saved)
            else:
                self._idem.answered(
                    saved, status=answer.status, body=answer.body, headers=answer.headers
                )
        if answer.from_upstream:
            rec.idempotency = "original"
        return answer

    async def _forward(
        self, request: web.Request, rec: ProxyRecord, body: bytes, delay: float = 0.0
    ) -> _Answer:
        """Send the request upstream and read its answer; ``delay``: extra time "in Stripe"."""
        assert self._session is not None
        url = self.upstream_url + request.path
        if request.query_string:
            url += "?" + request.query_string
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP]
        rec.forwarded = True
        try:
            async with self._session.request(
                request.method, url, headers=headers, data=body or None, allow_redirects=False
            ) as resp:
                data = await resp.read()
                out_headers = [
                    (k, v) for k, v in resp.headers.items() if k.lower() not in _HOP_BY_HOP
                ]
                rec.upstream_status = resp.status
                await self._sleep(delay)
                if (
                    rec.idempotency_key
                    and not any(k.lower() == "idempotency-key" for k, _ in out_headers)
                    and rec.method == "POST"
                ):
                    out_headers.append(("Idempotency-Key", rec.idempotency_key))
                return _Answer(resp.status, data, out_headers)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return _json_answer(
                502,
                stripe_error_body(
                    502, f"FaultProxy could not reach upstream: {type(exc).__name__}: {exc}"
                ),
            )
