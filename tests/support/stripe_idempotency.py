"""Stripe's idempotency layer, written once for the two test servers that play it: the Stripe
stub (:mod:`tests.support.stripe_stub`, which is also the benchmark's Stripe) and the fault
proxy (:mod:`tests.support.fault_proxy`, in front of localstripe, which has none).

For a ``POST`` carrying ``Idempotency-Key``, scoped by (``Authorization``, ``Stripe-Account``,
key), like Stripe:

- the first request is executed; once it is *answered*, the answer (status, body, headers) is
  saved whatever its status (Stripe saves 4xx/5xx results too);
- a repeat with the same method, path and parameters gets the saved answer with
  ``Idempotent-Replayed: true``, nothing executed again;
- the same key with another endpoint or other parameters gets ``400`` ``idempotency_error``;
- a repeat while the first is still in flight gets ``409`` ``idempotency_key_in_use``;
- a first request that was never answered (:meth:`IdempotencyLayer.abandon`) frees its key.

Each server renders the refusals and replays in its own way (its JSON encoder, its headers);
this module decides which one a request gets.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

Scope = tuple[str | None, str | None, str]
Header = tuple[str, str]


@dataclass(eq=False)
class Saved:
    """A store entry: the first request under a key; ``status is None`` while in flight."""

    method: str
    path: str
    fingerprint: tuple[Hashable, ...]
    status: int | None = None
    body: bytes = b""
    headers: list[Header] = field(default_factory=list)


@dataclass(frozen=True)
class Refusal:
    """Stripe's answer to a repeat it will not replay: the status and the ``error`` object."""

    verdict: Literal["mismatch", "in_use"]
    status: int
    error: dict[str, Any]


@dataclass(frozen=True)
class Replay:
    """The saved answer of the first request, to send again (headers without the marker:
    :data:`REPLAYED` is added by the caller)."""

    status: int
    body: bytes
    headers: list[Header]


REPLAYED: Header = ("Idempotent-Replayed", "true")


def canonical_params(content_type: str, body: bytes) -> Hashable:
    """What Stripe compares: for a form body the sorted multiset of its pairs (their order
    does not matter), else the bytes."""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return form_params(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return body


def form_params(pairs: list[tuple[str, str]]) -> Hashable:
    """The canonical parameters of already parsed form pairs."""
    return tuple(sorted(pairs))


class IdempotencyLayer:
    """The store and its rules. ``capacity``: the oldest keys are forgotten beyond it (the
    benchmark sends hundreds of thousands); ``None`` keeps every key.

    Use: ``entry, refusal_or_replay = layer.arrive(...)``; when ``entry`` is not ``None`` the
    request is the first under its key: execute it, then :meth:`answered` (or
    :meth:`abandon` when it never got an answer)."""

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._store: dict[Scope, Saved] = {}
        self.replays = 0
        self.conflicts = 0
        self.in_use = 0

    def clear(self) -> None:
        """Forget every saved answer and the counters."""
        with self._lock:
            self._store.clear()
            self.replays = self.conflicts = self.in_use = 0

    def arrive(
        self,
        *,
        scope: Scope,
        method: str,
        path: str,
        query: str,
        params: Hashable,
    ) -> tuple[Saved | None, Refusal | Replay | None]:
        fingerprint = (method, path, query, params)
        with self._lock:
            saved = self._store.get(scope)
            if saved is None:
                entry = Saved(method, path, fingerprint)
                self._store[scope] = entry
                if self.capacity is not None and len(self._store) > self.capacity:
                    self._store.pop(next(iter(self._store)))
                return entry, None
            if saved.fingerprint != fingerprint:
                self.conflicts += 1
                return None, _mismatch(saved, method, path, scope[2])
            if saved.status is None:
                self.in_use += 1
                return None, _IN_USE
            self.replays += 1
            return None, Replay(saved.status, saved.body, list(saved.headers))

    def answered(self, entry: Saved, *, status: int, body: bytes, headers: list[Header]) -> None:
        """The first request's answer: saved, later repeats get it."""
        with self._lock:
            entry.body = body
            entry.headers = headers
            entry.status = status

    def abandon(self, scope: Scope, entry: Saved) -> None:
        """The first request never got an answer from Stripe: nothing saved, the key is free."""
        with self._lock:
            if self._store.get(scope) is entry:
                del self._store[scope]


def _mismatch(saved: Saved, method: str, path: str, key: str) -> Refusal:
    if saved.path != path or saved.method != method:
        message = (
            "Keys for idempotent requests can only be used for the same endpoint they were "
            f"first used for ('{saved.method} {saved.path}' vs '{method} {path}'). Try using "
            f"a key other than '{key}' if you meant to execute a different request."
        )
    else:
        message = (
            "Keys for idempotent requests can only be used with the same parameters they were "
            f"first used with. Try using a key other than '{key}' if you meant to execute a "
            "different request."
        )
    return Refusal("mismatch", 400, {"type": "idempotency_error", "message": message})


_IN_USE = Refusal(
    "in_use",
    409,
    {
        "type": "idempotency_error",
        "code": "idempotency_key_in_use",
        "message": "There is currently another in-progress request using this Stripe-Account, "
        "Idempotency-Key, and API key combination. Please try again later.",
    },
)
