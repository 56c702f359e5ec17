"""The fault soak (issue 11, part 4): thousands of Create Payment attempts through every fault
at once, then reconcile, then the money counted.

One run (:func:`run_soak`), shared by ``make soak`` (``python -m bench.soak``, 10,000 attempts)
and ``tests/soak/`` (the short version in ``make test``):

* **Stripe**: the fast stub (:mod:`tests.support.stripe_stub`, in this process, its own thread)
  behind the fault proxy (:mod:`tests.support.fault_proxy`, which also plays Stripe's
  idempotency layer). A share (``fault_rate``, 5 %) of the calls orderpay makes to Stripe is
  faulted, the kind drawn from :data:`FAULTS`: lost answers after Stripe acted, 5xx before
  acting, 5xx after acting, 5xx stored by Stripe under the key and replayed, 429 with and
  without Retry-After, hangs past the gateway's deadline (before and after acting).
* **orderpay**: the real ``orderpay serve --workers N`` on PostgreSQL (a :class:`Topology`:
  :class:`SingleHost`, or :class:`NamespacedHosts` -- several hosts through PgBouncer, or on
  a Patroni primary + standby that fails over once, at ``failover_at_attempts``), one worker
  SIGKILLed every ``kill_every_seconds``; uvicorn's supervisor must replace it.
* **Customers** (:data:`BEHAVIOURS`): each order is paid by one scripted customer: one
  request with or without an Idempotency-Key, the same order paid twice at once (no keys,
  one key, two keys), an impatient client that re-sends its key before the first answer, a
  declined card. Every keyed customer retries with its key on ``503`` after ``Retry-After``,
  on ``409 idempotency_key_in_use`` and on a lost connection (a killed worker), as API.md
  tells clients to.
* **Afterwards**: ``orderpay reconcile --older-than 0`` (once with the faults still on, then
  with Stripe healthy, until nothing is left in doubt), and the counts of :class:`SoakReport`;
  its :meth:`SoakReport.failures` must all be 0.

Determinism (``seed``): the customer of each order (behaviour, card, delays), the instants of
the worker kills and which worker, and the fault of every Stripe call are drawn from the seed.
A call's fault depends only on (seed, its endpoint, the order it is for, how many such calls
for that order came before), not on arrival order, so the same seed injects the same faults
into the same orders' calls. What concurrency decides, and a replay may change: which of two
simultaneous requests wins, payment ids (hence orderpay's Stripe idempotency keys), the
requests a worker kill cuts, retries caused by timeouts on a loaded machine (each retry is a
call that draws its own fault), and the calls that name no order (searches, lists).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, TypeVar

import aiohttp
from bench.seed import seed
from sqlalchemy import text

from orderpay.db import Database
from orderpay.installation.repository import installation_id
from orderpay.stripe_gateway import METADATA_INSTALLATION_ID

from .fault_proxy import Fault, FaultProxy, ProxyRecord
from .money import charge_problems
from .patroni import PatroniCluster
from .postgres import PostgresCluster
from .server import OrderpayServer
from .stripe_stub import StripeStub
from .topology import STRIPE_KEY as TOPOLOGY_STRIPE_KEY
from .topology import Network
from .topology import Topology as HostsTopology

K = TypeVar("K", bound=str)
STRIPE_KEY = "sk_test_soak"
ROOT = Path(__file__).resolve().parents[2]
PAYMENTS = "/api/v1/payments"
VISA = "pm_card_visa"
DECLINED = "pm_card_chargeDeclined"

#: The gateway's settings during the soak: short, so a hang is past the deadline within
#: seconds and a 503's Retry-After is short too. A killed worker's Idempotency-Key is taken
#: over after IDEMPOTENCY_LOCK_TIMEOUT_SECONDS (above the deadline: a live request never is).
#: The stub's search shows a PaymentIntent at once, so Stripe's search lag is 2 s here.
SERVER_SETTINGS = {
    "STRIPE_DEADLINE_SECONDS": "3",
    "STRIPE_REQUEST_TIMEOUT_SECONDS": "1",
    "STRIPE_MAX_NETWORK_RETRIES": "2",
    "RETRY_AFTER_SECONDS": "1",
    "IDEMPOTENCY_LOCK_TIMEOUT_SECONDS": "10",
    "STRIPE_SEARCH_LAG_SECONDS": "2",
    "DATABASE_POOL_SIZE": "10",
    "PYTHONWARNINGS": "ignore",
}
HANG_SECONDS = 5.0  # > STRIPE_DEADLINE_SECONDS

#: Injected faults: name -> (weight, fault).
FAULTS: dict[str, tuple[int, Fault]] = {
    "lost_answer_after_acting": (3, Fault.reset_after()),
    "500_before_acting": (1, Fault.status(500)),
    "503_before_acting": (1, Fault.status(503)),
    "500_after_acting": (2, Fault.status(500, forward_first=True)),
    "500_stored_and_replayed": (2, Fault.status(500, in_stripe=True)),
    "429_with_retry_after": (1, Fault.status(429, retry_after=1)),
    "429_without_retry_after": (1, Fault.status(429)),
    "hang_before_acting": (1, Fault.timeout(HANG_SECONDS)),
    "hang_after_acting": (1, Fault.timeout(HANG_SECONDS, forward_first=True)),
}

Behaviour = Literal[
    "keyed",
    "unkeyed",
    "twice_unkeyed",
    "twice_same_key",
    "twice_two_keys",
    "impatient",
    "declined",
]
#: How the customers of the orders behave: behaviour -> weight.
BEHAVIOURS: dict[Behaviour, int] = {
    "keyed": 40,
    "unkeyed": 15,
    "twice_unkeyed": 10,
    "twice_same_key": 10,
    "twice_two_keys": 5,
    "impatient": 15,
    "declined": 5,
}
KEYED_RETRIES = 6  # a keyed customer gives up after this many retries


def _draw(weights: Mapping[K, int], unit: float) -> K:
    """The name whose share of the total weight holds `unit` (in [0, 1))."""
    total = sum(weights.values())
    point = unit * total
    for name, weight in weights.items():
        point -= weight
        if point < 0:
            return name
    return list(weights)[-1]  # unit < 1: only by rounding


def _unit(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts` (the same in every process and run)."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


# -- faults -----------------------------------------------------------------------------------


class FaultPlan:
    """Decides, for each request reaching the proxy, which fault of :data:`FAULTS` (if any) it
    gets, as a function of the seed and the call's identity (see the module's docstring)."""

    def __init__(self, seed: int, rate: float, stub: StripeStub) -> None:
        self.seed = seed
        self.rate = rate
        self.stub = stub
        self.enabled = True
        self._seen: Counter[tuple[str, str]] = Counter()
        self._decided: dict[int, str | None] = {}
        self._lock = threading.Lock()

    def install(self, proxy: FaultProxy) -> None:
        for name, (_, fault) in FAULTS.items():
            proxy.add_fault(self._matcher(name), fault, times=None)

    def _matcher(self, name: str) -> Callable[[ProxyRecord], bool]:
        return lambda record: self.fault_for(record) == name

    def fault_for(self, record: ProxyRecord) -> str | None:
        with self._lock:
            if record.seq not in self._decided:
                self._decided[record.seq] = self._decide(record)
            return self._decided[record.seq]

    def _decide(self, record: ProxyRecord) -> str | None:
        if not self.enabled:
            return None
        endpoint, order = self._identity(record)
        self._seen[(endpoint, order)] += 1
        nth = self._seen[(endpoint, order)]
        if _unit(self.seed, "fault?", endpoint, order, nth) >= self.rate:
            return None
        weights = {name: weight for name, (weight, _) in FAULTS.items()}
        return _draw(weights, _unit(self.seed, "fault", endpoint, order, nth))

    def _identity(self, record: ProxyRecord) -> tuple[str, str]:
        """(endpoint with ids blanked, the order the call is for, or else what names it)."""
        parts = record.path.strip("/").split("/")
        if len(parts) >= 3 and parts[1] == "payment_intents" and parts[2] != "search":
            intent_id, parts[2] = parts[2], "{id}"
            endpoint = f"{record.method} /{'/'.join(parts)}"
            with contextlib.suppress(KeyError):
                metadata = self.stub.payment_intent(intent_id).get("metadata") or {}
                return endpoint, str(metadata.get("orderpay_order_id"))
            return endpoint, intent_id
        endpoint = f"{record.method} {record.path}"
        order = record.params.get("metadata[orderpay_order_id]")
        if isinstance(order, str):
            return endpoint, order
        return endpoint, record.idempotency_key or repr(sorted(record.query.items()))

    def stop(self) -> None:
        self.enabled = False


# -- the customers ----------------------------------------------------------------------------


@dataclass
class Attempt:
    """One Create Payment request and its answer."""

    order_id: int
    behaviour: Behaviour
    key: str | None
    status: int | None  # None: no answer (connection lost, e.g. its worker was killed)
    retry_after: str | None = None
    code: str | None = None  # errors[0].code
    state: str | None = None  # the payment's state in a 201
    payment_id: str | None = None
    replayed: bool = False
    error: str | None = None


@dataclass
class Customer:
    order_id: int
    token: str
    behaviour: Behaviour
    card: str
    delay: float  # the impatient customer's: seconds before its second request
    rng: random.Random


def customer_for(seed: int, index: int, order_id: int, token: str) -> Customer:
    rng = random.Random(f"{seed}/customer/{index}")
    behaviour = _draw(BEHAVIOURS, rng.random())
    card = DECLINED if behaviour == "declined" else VISA
    return Customer(order_id, token, behaviour, card, rng.uniform(0.005, 0.15), rng)


class Shoppers:
    """Pays the seeded orders with the scripted customers and keeps every attempt."""

    def __init__(self, base_urls: list[str], *, seed: int, request_timeout: float = 60.0):
        self.base_urls = base_urls
        self.seed = seed
        self.request_timeout = request_timeout
        self.attempts: list[Attempt] = []
        self._round_robin = 0

    def _url(self) -> str:
        self._round_robin += 1
        return self.base_urls[self._round_robin % len(self.base_urls)] + PAYMENTS

    async def _send(
        self, session: aiohttp.ClientSession, who: Customer, key: str | None
    ) -> Attempt:
        body = {
            "data": {
                "type": "payments",
                "attributes": {"stripe_token": who.card},
                "relationships": {"order": {"type": "order", "id": str(who.order_id)}},
            }
        }
        headers = {
            "Authorization": f"Bearer {who.token}",
            "Content-Type": "application/vnd.api+json",
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        attempt = Attempt(who.order_id, who.behaviour, key, None)
        self.attempts.append(attempt)
        try:
            async with session.post(
                self._url(),
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            ) as response:
                attempt.status = response.status
                attempt.retry_after = response.headers.get("Retry-After")
                attempt.replayed = response.headers.get("Idempotent-Replayed") == "true"
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"[:200]
            return attempt
        if isinstance(document, dict):
            if "errors" in document and document["errors"]:
                attempt.code = document["errors"][0].get("code")
            data = document.get("data")
            if isinstance(data, dict):
                attempt.payment_id = data.get("id")
                attempt.state = (data.get("attributes") or {}).get("state")
        return attempt

    async def _keyed(self, session: aiohttp.ClientSession, who: Customer, key: str) -> None:
        """A client that follows API.md: the same key again after 503 (waiting Retry-After),
        after 409 idempotency_key_in_use, and after losing the connection."""
        for retry in range(KEYED_RETRIES + 1):
            attempt = await self._send(session, who, key)
            if attempt.status == 503:
                await asyncio.sleep(float(attempt.retry_after or 1))
            elif attempt.status == 409 and attempt.code == "idempotency_key_in_use":
                await asyncio.sleep(0.5 * (retry + 1))
            elif attempt.status is None:
                await asyncio.sleep(0.5)
            else:
                return

    async def _unkeyed(self, session: aiohttp.ClientSession, who: Customer) -> None:
        """A client without keys: tries once more after a 503 (a new attempt, which finds the
        first payment in progress or the order paid)."""
        attempt = await self._send(session, who, None)
        if attempt.status == 503:
            await asyncio.sleep(float(attempt.retry_after or 1))
            await self._send(session, who, None)

    async def pay(self, session: aiohttp.ClientSession, who: Customer) -> None:
        key = f"soak-{self.seed}-{who.order_id}"
        match who.behaviour:
            case "keyed" | "declined":
                await self._keyed(session, who, key)
            case "unkeyed":
                await self._unkeyed(session, who)
            case "twice_unkeyed":
                await asyncio.gather(self._unkeyed(session, who), self._unkeyed(session, who))
            case "twice_same_key":
                await asyncio.gather(self._keyed(session, who, key), self._keyed(session, who, key))
            case "twice_two_keys":
                await asyncio.gather(
                    self._keyed(session, who, key + "-a"), self._keyed(session, who, key + "-b")
                )
            case "impatient":

                async def later() -> None:
                    await asyncio.sleep(who.delay)
                    await self._keyed(session, who, key)

                await asyncio.gather(self._keyed(session, who, key), later())

    async def run(
        self,
        customers: Iterator[Customer],
        *,
        attempts: int,
        concurrency: int,
        time_limit: float,
    ) -> None:
        """Customers pay, `concurrency` at a time, until `attempts` were sent (or the time is
        up); the customers under way finish their retries."""
        deadline = time.monotonic() + time_limit
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def shopper() -> None:
                while len(self.attempts) < attempts and time.monotonic() < deadline:
                    try:
                        who = next(customers)
                    except StopIteration:
                        return
                    await self.pay(session, who)

            await asyncio.gather(*(shopper() for _ in range(concurrency)))


# -- the servers ------------------------------------------------------------------------------


@dataclass
class Kill:
    at: float  # seconds since the load began
    pid: int
    replaced_after: float | None = None  # seconds until the supervisor had N workers again


class Topology(Protocol):
    """Where orderpay runs (:class:`SingleHost`; the multi-host one in bench/soak.py): its
    database, its Stripe (the stub, and the fault proxy the servers call), its servers."""

    name: str
    database_url: str  # straight to PostgreSQL: the harness's own reads
    stripe_key: str
    stub: StripeStub
    proxy: FaultProxy

    def start(self, env: dict[str, str]) -> list[str]:
        """Start the Stripe stub, the proxy and the servers (`env` added to theirs); return
        the servers' base URLs."""
        ...

    def kill_a_worker(self, rng: random.Random) -> Kill | None: ...

    def failover(self) -> str | None:
        """Kill the database's primary (a standby takes over); None when this topology has
        no standby. Returns what happened, for the report."""
        ...

    def reconcile(self) -> dict[str, object]:
        """`orderpay reconcile --older-than 0`, as the operator runs it."""
        ...

    def output(self) -> str: ...

    def stop(self) -> None: ...


def _children(pid: int) -> list[int]:
    """uvicorn's worker processes under the supervisor `pid` (multiprocessing's spawn
    children; not its resource tracker)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] not in (b"Z", b"X") and b"spawn_main" in cmdline:
            found.append(int(entry))
    return sorted(found)


def wait_for_workers(server: OrderpayServer, workers: int, timeout: float = 60) -> bool:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if len(_children(server.pid)) >= workers:
            return True
        time.sleep(0.1)
    return False


def kill_a_worker_of(
    server: OrderpayServer, workers: int, rng: random.Random, *, since: float
) -> Kill | None:
    """SIGKILL one of `server`'s uvicorn workers (drawn with `rng`) and wait for the
    supervisor to start its replacement (uvicorn >= 0.30 does; `replaced_after` None: not
    within 30 s)."""
    alive = _children(server.pid)
    if not alive:
        return None
    victim = alive[rng.randrange(len(alive))]
    with contextlib.suppress(ProcessLookupError):
        os.kill(victim, signal.SIGKILL)
    kill = Kill(round(time.monotonic() - since, 1), victim)
    began = time.monotonic()
    while time.monotonic() - began < 30:
        alive = _children(server.pid)
        if victim not in alive and len(alive) >= workers:
            kill.replaced_after = round(time.monotonic() - began, 2)
            break
        time.sleep(0.1)
    return kill


def run_reconcile(
    env: dict[str, str], command_prefix: list[str] | None = None
) -> dict[str, object]:
    """`orderpay reconcile --older-than 0`, the operator's command, in its own process."""
    argv = [sys.executable, "-m", "orderpay", "reconcile", "--older-than", "0"]
    done = subprocess.run(
        [*(command_prefix or []), *argv],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise RuntimeError(f"orderpay reconcile failed: {done.stderr.strip()[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout)
    return result


class SingleHost:
    """One host: ``orderpay serve --workers N`` on this machine, on `database_url`
    (PostgreSQL), with the Stripe stub and the fault proxy in this process."""

    name = "single host"
    stripe_key = STRIPE_KEY

    def __init__(self, database_url: str, *, workers: int = 2) -> None:
        self.database_url = database_url
        self.workers = workers
        self.stub = StripeStub(record=False)
        self.proxy: FaultProxy  # in front of the stub, once started
        self.server: OrderpayServer | None = None
        self.env: dict[str, str] = {}
        self.started = time.monotonic()

    def start(self, env: dict[str, str]) -> list[str]:
        self.stub.start()
        self.proxy = FaultProxy(self.stub.url, upstream_timeout=30).start()
        self.env = {
            **env,
            "DATABASE_URL": self.database_url,
            "STRIPE_API_BASE": self.proxy.url,
            "STRIPE_SECRET_KEY": self.stripe_key,
        }
        self.server = OrderpayServer(self.env, workers=self.workers, startup_timeout=60)
        self.server.start()
        if not wait_for_workers(self.server, self.workers):
            raise RuntimeError(f"orderpay did not start {self.workers} workers")
        self.started = time.monotonic()
        return [self.server.url]

    def kill_a_worker(self, rng: random.Random) -> Kill | None:
        assert self.server is not None
        return kill_a_worker_of(self.server, self.workers, rng, since=self.started)

    def failover(self) -> str | None:
        return None  # one PostgreSQL, no standby

    def reconcile(self) -> dict[str, object]:
        return run_reconcile({**self.env, "DATABASE_POOL_SIZE": "2"})

    def output(self) -> str:
        return self.server.output() if self.server is not None else ""

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if hasattr(self, "proxy"):
            self.proxy.stop()
        self.stub.stop()


class NamespacedHosts:
    """tests/support/topology.py's hosts: each ``orderpay serve --workers N`` in a network
    namespace of its own (loopback ports where namespaces cannot be made), reconcile from
    another namespace; the database either one PostgreSQL through PgBouncer (transaction
    pooling; :meth:`failover` is None), or, with `patroni`, a Patroni primary + synchronous
    standby reached with the multi-host URL (``target_session_attrs=read-write``, no
    PgBouncer: it cannot follow a failover), whose primary :meth:`failover` SIGKILLs.

    With `patroni`, `network` is the one the cluster listens on (made first, the caller's to
    stop), as tests/support/topology.py asks."""

    stripe_key = TOPOLOGY_STRIPE_KEY

    def __init__(
        self,
        database: str,
        *,
        pg: PostgresCluster | None = None,
        patroni: PatroniCluster | None = None,
        network: Network | None = None,
        hosts: int = 3,
        workers: int = 2,
    ) -> None:
        self.pg = pg
        self.patroni = patroni
        self.network = network
        self.database = database
        if patroni is not None:
            self.database_url = patroni.url(database)
        elif pg is not None:
            self.database_url = pg.url(database)
        else:
            raise ValueError("a PostgreSQL cluster or a Patroni one")
        self.hosts = hosts
        self.workers = workers
        self.database_name = "Patroni primary + sync standby" if patroni else "PgBouncer"
        self.name = f"{hosts} hosts through {self.database_name}"
        self.topology: HostsTopology | None = None
        self.started = time.monotonic()

    def start(self, env: dict[str, str]) -> list[str]:
        self.topology = HostsTopology(
            self.pg,
            self.database,
            hosts_count=self.hosts,
            workers=self.workers,
            env=env,
            patroni=self.patroni,
            on_network=self.network,
        ).start()
        self.stub, self.proxy = self.topology.stub, self.topology.proxy
        isolation = "network namespaces" if self.topology.network.isolated else "loopback ports"
        self.name = f"{self.hosts} hosts ({isolation}) through {self.database_name}"
        for host in self.topology.hosts:
            if not wait_for_workers(host.server, self.workers):
                raise RuntimeError(f"orderpay did not start {self.workers} workers")
        self.started = time.monotonic()
        return [host.url for host in self.topology.hosts]

    def kill_a_worker(self, rng: random.Random) -> Kill | None:
        assert self.topology is not None
        host = self.topology.hosts[rng.randrange(len(self.topology.hosts))]
        return kill_a_worker_of(host.server, self.workers, rng, since=self.started)

    def failover(self) -> str | None:
        if self.patroni is None or self.topology is None:
            return None  # one PostgreSQL behind PgBouncer
        servers = [host.server for host in self.topology.hosts]
        pids = [server.pid for server in servers]
        killed_at = time.monotonic()
        old = self.patroni.kill_primary_postgres()
        new = self.patroni.wait_for_new_primary(old, timeout=120)
        same = sum(
            1
            for server, pid in zip(servers, pids, strict=True)
            if server.running and server.pid == pid
        )
        return (
            f"SIGKILLed {old.name}'s PostgreSQL at {killed_at - self.started:.0f}s; "
            f"{new.name} promoted after {time.monotonic() - killed_at:.1f}s; "
            f"{same} of {len(servers)} servers still the same processes (never restarted)"
        )

    def reconcile(self) -> dict[str, object]:
        assert self.topology is not None
        return self.topology.reconcile(timeout=900)

    def output(self) -> str:
        if self.topology is None:
            return ""
        return "\n".join(host.server.output() for host in self.topology.hosts)

    def stop(self) -> None:
        if self.topology is not None:
            self.topology.stop()


# -- the report -------------------------------------------------------------------------------


@dataclass
class SoakReport:
    seed: int
    topology: str
    workers: int
    seconds_load: float = 0.0
    seconds_total: float = 0.0
    attempts: int = 0
    orders: int = 0
    behaviours: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    codes_409: dict[str, int] = field(default_factory=dict)
    replays: int = 0
    answers_503: int = 0
    answers_503_without_retry_after: int = 0
    answers_stripe_failed: int = 0  # 502 payment_provider_error, see _stripe_failed
    answers_other_5xx: int = 0
    connection_lost: int = 0
    stripe_calls: int = 0
    stripe_posts: int = 0
    stripe_posts_without_key: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    kills: list[Kill] = field(default_factory=list)
    failover: str | None = None
    failover_wanted: bool = False
    reconcile_runs: list[dict[str, object]] = field(default_factory=list)
    payments_by_state: dict[str, int] = field(default_factory=dict)
    orders_paid: int = 0
    orders_charged_twice: int = 0
    charges_unrecorded: int = 0
    charge_problems: list[str] = field(default_factory=list)
    payments_in_doubt: int = 0
    acknowledged_not_succeeded: int = 0
    server_errors_logged: int = 0
    samples: list[str] = field(default_factory=list)

    def failures(self) -> dict[str, int]:
        """The columns that must all be 0."""
        return {
            "503 without Retry-After": self.answers_503_without_retry_after,
            "other 5xx": self.answers_other_5xx,
            "Stripe POSTs without an idempotency key": self.stripe_posts_without_key,
            "double charges (orders with >1 succeeded PaymentIntent)": self.orders_charged_twice,
            "charges unrecorded": self.charges_unrecorded,
            "payments left in doubt": self.payments_in_doubt,
            "201 succeeded, payment not succeeded": self.acknowledged_not_succeeded,
            "workers not replaced": sum(1 for k in self.kills if k.replaced_after is None),
            "failover asked for and not done": int(
                self.failover_wanted and not (self.failover or "").startswith("SIGKILLed")
            ),
        }

    @property
    def ok(self) -> bool:
        return not any(self.failures().values())

    def render(self) -> str:
        def counts(values: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(values.items())) or "none"

        lines = [
            f"soak: seed {self.seed} (replay: make soak SEED={self.seed}), topology "
            f"{self.topology}, {self.workers} workers",
            f"  attempts           {self.attempts} on {self.orders} orders in "
            f"{self.seconds_load:.0f} s of load ({self.attempts / max(self.seconds_load, 1e-9):.1f}"
            f"/s); {self.seconds_total:.0f} s in all",
            f"  customers          {counts(self.behaviours)}",
            f"  answers            {counts(self.statuses)}",
            f"    201              {self.statuses.get('201', 0)} "
            f"(of which {self.replays} replayed)",
            f"    402              {self.statuses.get('402', 0)}",
            f"    409              {self.statuses.get('409', 0)} ({counts(self.codes_409)})",
            f"    503              {self.answers_503} "
            f"({self.answers_503 - self.answers_503_without_retry_after} with Retry-After)",
            f"    502 provider     {self.answers_stripe_failed} (payment_provider_error: "
            "Stripe's stored 500 for the create replayed; failed, nothing charged)",
            f"    other 5xx        {self.answers_other_5xx}",
            f"    no answer        {self.connection_lost} "
            "(connection lost or client timeout: a killed worker's requests)",
            f"  Stripe calls       {self.stripe_calls} ({self.stripe_posts} POSTs, "
            f"{self.stripe_posts_without_key} without an idempotency key)",
            f"  faults injected    {sum(self.faults.values())}: {counts(self.faults)}",
            f"  workers killed     {len(self.kills)}: "
            + (
                ", ".join(
                    f"{k.pid}@{k.at:.0f}s "
                    + (
                        f"replaced in {k.replaced_after}s"
                        if k.replaced_after is not None
                        else "NOT REPLACED"
                    )
                    for k in self.kills
                )
                or "none"
            ),
        ]
        if self.failover is not None:
            lines.append(f"  primary failover   {self.failover}")
        for i, run in enumerate(self.reconcile_runs, 1):
            lines.append(f"  reconcile #{i}       {run}")
        lines += [
            f"  payments           {counts(self.payments_by_state)}; orders paid "
            f"{self.orders_paid}",
            f"  server log errors  {self.server_errors_logged} (tracebacks/ERROR lines)",
            "  failure columns (all must be 0):",
        ]
        width = max(len(name) for name in self.failures())
        for name, value in self.failures().items():
            lines.append(f"    {name:<{width}}  {value}{'' if not value else '   <-- FAILED'}")
        for problem in self.charge_problems[:10]:
            lines.append(f"    charge problem: {problem}")
        for sample in self.samples[:40]:
            lines.append(f"    sample: {sample}")
        lines.append("soak: OK" if self.ok else "soak: FAILED")
        return "\n".join(lines)


# -- the run ----------------------------------------------------------------------------------


@dataclass
class SoakConfig:
    seed: int
    attempts: int = 10_000
    concurrency: int = 48
    workers: int = 2
    fault_rate: float = 0.05
    kill_every_seconds: float = 30.0
    max_kills: int | None = None
    time_limit_seconds: float = 600.0
    customers: int = 200
    #: Fail the primary over once this many attempts were sent (topologies with a standby).
    failover_at_attempts: int | None = None
    log: Callable[[str], None] = print


async def _payments_by_state(db: Database) -> dict[str, int]:
    async with db.connect() as conn:
        rows = await conn.execute(text("SELECT state, count(*) AS n FROM payments GROUP BY state"))
        return {str(row.state): int(row.n) for row in rows}


async def _count(db: Database, sql: str) -> int:
    async with db.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


def run_soak(config: SoakConfig, topology: Topology) -> SoakReport:
    """One soak on `topology` (whose database is migrated and empty). Blocks; returns the
    report (see :meth:`SoakReport.ok`)."""
    return asyncio.run(_run_soak(config, topology))


async def _run_soak(config: SoakConfig, topology: Topology) -> SoakReport:
    log = config.log
    began = time.monotonic()
    report = SoakReport(config.seed, topology.name, config.workers)
    report.failover_wanted = config.failover_at_attempts is not None
    # Enough orders for every attempt to be a new customer's (most customers make 1-2).
    n_orders = config.attempts + 200
    # The bench's seeding: customers, a restaurant with a Connect account, orders in bulk.
    seeded = await seed(topology.database_url, users=config.customers, orders=n_orders)
    log(f"soak: seed {config.seed}; {n_orders} orders seeded in {time.monotonic() - began:.1f}s")
    db = Database(topology.database_url, pool_size=2)
    try:
        base_urls = topology.start(dict(SERVER_SETTINGS))
        report.topology = topology.name  # now it knows what it could build
        stub, proxy = topology.stub, topology.proxy
        plan = FaultPlan(config.seed, config.fault_rate, stub)
        plan.install(proxy)
        log(f"soak: orderpay up at {', '.join(base_urls)}; Stripe stub behind the fault proxy")

        def customers() -> Iterator[Customer]:
            for index, (order_id, token_index) in enumerate(seeded.orders):
                yield customer_for(config.seed, index, order_id, seeded.tokens[token_index])

        shoppers = Shoppers(base_urls, seed=config.seed)
        stop_killing = threading.Event()
        kill_rng = random.Random(f"{config.seed}/kills")

        def killer() -> None:
            while not stop_killing.wait(config.kill_every_seconds):
                if config.max_kills is not None and len(report.kills) >= config.max_kills:
                    return
                kill = topology.kill_a_worker(kill_rng)
                if kill is not None:
                    report.kills.append(kill)
                    log(
                        f"soak: {len(shoppers.attempts)} attempts; SIGKILLed worker {kill.pid}, "
                        f"replaced after {kill.replaced_after}s"
                    )

        def failer() -> None:
            if config.failover_at_attempts is None:
                return
            while len(shoppers.attempts) < config.failover_at_attempts:
                if stop_killing.wait(0.2):
                    return
            log(f"soak: {len(shoppers.attempts)} attempts; failing the primary over")
            try:
                report.failover = topology.failover() or "not possible here"
            except Exception as exc:  # reported: a failover that did not happen
                report.failover = f"FAILED: {type(exc).__name__}: {exc}"[:500]
            log(f"soak: failover: {report.failover}")

        killing = threading.Thread(target=killer, name="soak-killer", daemon=True)
        failing = threading.Thread(target=failer, name="soak-failover", daemon=True)
        load_began = time.monotonic()
        killing.start()
        failing.start()
        progress_stop = asyncio.Event()

        async def progress() -> None:
            while not progress_stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(progress_stop.wait(), 30)
                log(
                    f"soak: {time.monotonic() - load_began:.0f}s: {len(shoppers.attempts)} attempts"
                )

        reporter = asyncio.create_task(progress())
        try:
            await shoppers.run(
                customers(),
                attempts=config.attempts,
                concurrency=config.concurrency,
                time_limit=config.time_limit_seconds,
            )
        finally:
            stop_killing.set()
            progress_stop.set()
            await reporter
            await asyncio.to_thread(killing.join)
            await asyncio.to_thread(failing.join)
        report.seconds_load = time.monotonic() - load_began
        log(f"soak: load done: {len(shoppers.attempts)} attempts in {report.seconds_load:.0f}s")

        # Reconcile: once while Stripe still fails, then with Stripe healthy until nothing is
        # left in doubt (a 500 Stripe stored for a create settles once the search lag passed).
        for run in range(6):
            if run == 1:
                plan.stop()
                proxy.clear_faults()
            try:
                result = await asyncio.to_thread(topology.reconcile)
            except RuntimeError as exc:  # Stripe or the database failing it: run it again
                result = {"error": str(exc)[-500:]}
            report.reconcile_runs.append(result.get("payments", result))  # type: ignore[arg-type]
            left = await _count(
                db, "SELECT count(*) FROM payments WHERE state IN ('processing', 'requires_action')"
            )
            log(f"soak: reconcile #{run + 1}: {result.get('payments', result)}; in doubt {left}")
            if run >= 1 and left == 0:
                break
            await asyncio.sleep(float(SERVER_SETTINGS["STRIPE_SEARCH_LAG_SECONDS"]))

        _count_answers(report, shoppers.attempts)
        _count_stripe(report, proxy.requests)
        await _count_money(report, db, stub, topology.stripe_key, shoppers.attempts)
        output = topology.output()
        report.server_errors_logged = output.count("Traceback") + sum(
            1 for line in output.splitlines() if line.startswith("ERROR")
        )
    finally:
        await db.dispose()
        topology.stop()
    report.seconds_total = time.monotonic() - began
    return report


def _count_answers(report: SoakReport, attempts: list[Attempt]) -> None:
    report.attempts = len(attempts)
    report.orders = len({a.order_id for a in attempts})
    seen_orders: dict[int, str] = {a.order_id: a.behaviour for a in attempts}
    report.behaviours = dict(Counter(seen_orders.values()))
    report.statuses = dict(Counter(str(a.status) if a.status else "none" for a in attempts))
    report.codes_409 = dict(Counter(str(a.code) for a in attempts if a.status == 409))
    report.replays = sum(1 for a in attempts if a.status == 201 and a.replayed)
    report.answers_503 = sum(1 for a in attempts if a.status == 503)
    report.answers_503_without_retry_after = sum(
        1 for a in attempts if a.status == 503 and not a.retry_after
    )
    report.answers_stripe_failed = sum(1 for a in attempts if _stripe_failed(a))
    other = [
        a
        for a in attempts
        if a.status is not None and a.status >= 500 and a.status != 503 and not _stripe_failed(a)
    ]
    report.answers_other_5xx = len(other)
    report.connection_lost = sum(1 for a in attempts if a.status is None)
    unexpected = [
        a
        for a in attempts
        if a.status is not None and a.status not in (201, 402, 409, 503) and not _stripe_failed(a)
    ]
    for a in unexpected[:10]:
        report.samples.append(f"order {a.order_id} ({a.behaviour}) got {a.status} {a.code}")


def _stripe_failed(attempt: Attempt) -> bool:
    """README's "Every charge accounted for": Stripe answered the payment's create with the
    5xx it stored for the key, and its search shows nothing: the payment is `failed`, nothing
    charged, the order payable again -- a final answer (502), not a server error."""
    return attempt.status == 502 and attempt.code == "payment_provider_error"


def _count_stripe(report: SoakReport, records: list[ProxyRecord]) -> None:
    names = {fault: name for name, (_, fault) in FAULTS.items()}
    report.stripe_calls = len(records)
    posts = [r for r in records if r.method == "POST"]
    report.stripe_posts = len(posts)
    report.stripe_posts_without_key = sum(1 for r in posts if not r.idempotency_key)
    report.faults = dict(Counter(names[r.fault] for r in records if r.fault is not None))


async def _count_money(
    report: SoakReport, db: Database, stub: StripeStub, stripe_key: str, attempts: list[Attempt]
) -> None:
    async with db.connect() as conn:
        ours = await installation_id(conn)
    charged: Counter[str] = Counter()
    for intent in stub.payment_intents():
        metadata = intent.get("metadata") or {}
        if intent["status"] == "succeeded" and metadata.get(METADATA_INSTALLATION_ID) == ours:
            charged[str(metadata.get("orderpay_order_id"))] += 1
    report.orders_charged_twice = sum(1 for n in charged.values() if n > 1)
    report.charge_problems = await charge_problems(stub.url, stripe_key, db)
    report.charges_unrecorded = len(report.charge_problems)
    report.payments_by_state = await _payments_by_state(db)
    report.payments_in_doubt = sum(
        n
        for state, n in report.payments_by_state.items()
        if state in ("processing", "requires_action")
    )
    if report.payments_in_doubt:
        # What the lead needs to tell why: the rows, and what Stripe holds for their orders.
        async with db.connect() as conn:
            rows = list(
                await conn.execute(
                    text(
                        "SELECT id, order_id, state, stripe_payment_intent_id, "
                        "stripe_payment_method_id, created_at, updated_at FROM payments "
                        "WHERE state IN ('processing', 'requires_action') ORDER BY id LIMIT 5"
                    )
                )
            )
            held = await conn.execute(
                text("SELECT * FROM idempotency_keys WHERE resource_id = ANY(:ids)"),
                {"ids": [int(row.id) for row in rows]},
            )
            keys = list(held)
        intents = stub.payment_intents()
        for row in rows:
            report.samples.append(f"in doubt: {dict(row._mapping)}")
            for intent in intents:
                metadata = intent.get("metadata") or {}
                if metadata.get("orderpay_order_id") == str(row.order_id) or metadata.get(
                    "orderpay_payment_id"
                ) == str(row.id):
                    fields = ("id", "status", "amount", "currency", "customer", "metadata")
                    report.samples.append(
                        f"  its order's PaymentIntent: { {k: intent.get(k) for k in fields} }"
                    )
        for key in keys:
            report.samples.append(f"  key: {dict(key._mapping)}")
    report.orders_paid = await _count(db, "SELECT count(*) FROM orders WHERE state = 'paid'")
    acknowledged = {
        int(a.payment_id)
        for a in attempts
        if a.status == 201 and a.state == "succeeded" and a.payment_id
    }
    if acknowledged:
        async with db.connect() as conn:
            answered = await conn.execute(
                text("SELECT id, state FROM payments WHERE id = ANY(:ids)"),
                {"ids": sorted(acknowledged)},
            )
            states = {int(row.id): str(row.state) for row in answered}
        missing = [pid for pid in acknowledged if states.get(pid) != "succeeded"]
        report.acknowledged_not_succeeded = len(missing)
        for pid in missing[:5]:
            report.samples.append(f"payment {pid} answered 201 succeeded, now {states.get(pid)}")
