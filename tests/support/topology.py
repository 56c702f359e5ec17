"""Many hosts, one database: orderpay as it runs past one machine, built on this one.

::

    PostgreSQL (throwaway, tests/support/postgres.py, on 127.0.0.1)
      <- PgBouncer (Debian's 1.18, transaction pooling; tests/support/pgbouncer.py)
           <- host 0, host 1, host 2: each a Linux network namespace with its own address,
              running `orderpay serve --workers 2`
           <- a fourth place (`reconcile_place`), another namespace, running
              `orderpay reconcile` on demand
    the Stripe stub (+ the fault proxy in front of it), reachable from every namespace

The namespaces hang off a bridge in the root namespace (veth pairs); the bridge's address is
the "gateway" where PgBouncer, the stub and the proxy listen, besides 127.0.0.1. Where
namespaces cannot be made (not root, no CAP_NET_ADMIN, no `ip`), every host is a server on
its own loopback port instead, and the same tests run, nothing skipped:
:attr:`Network.isolated` says which one this run got (``ORDERPAY_TOPOLOGY_LOOPBACK=1``
forces the fallback, to check it).

Use::

    with Topology(pg_cluster, database="t1", hosts=3, workers=2) as topo:
        topo.hosts[0].url                  # http://10.213.N.10:PORT
        topo.stripe_url                    # what the hosts call (the fault proxy)
        topo.proxy.add_fault(...)          # faults on the hosts' Stripe calls
        topo.stub                          # the Stripe stub itself (the money's truth)
        topo.reconcile()                   # `orderpay reconcile --older-than 0`, 4th place
        topo.database_url                  # direct to PostgreSQL, for assertions

The API above is kept stable for the soak (issue 11, part 4).
"""

from __future__ import annotations

import atexit
import ipaddress
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from .fault_proxy import FaultProxy
from .patroni import PatroniCluster
from .pgbouncer import PgBouncer
from .postgres import PostgresCluster
from .server import OrderpayServer
from .stripe_stub import StripeStub

__all__ = [
    "STRIPE_KEY",
    "Host",
    "NamespacedServer",
    "Network",
    "Place",
    "Shop",
    "Topology",
    "intents_for_order",
    "payment_document",
]

#: The stub's secret key (any ``sk_`` key works with it); the same as tests/conftest.py's.
STRIPE_KEY = "sk_test_orderpay"
WEBHOOK_SECRET = "whsec_test_orderpay"

_IP = shutil.which("ip") or "/usr/sbin/ip"
_networks = itertools.count()


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_IP, *args], capture_output=True, text=True, check=check, stdin=subprocess.DEVNULL
    )


def _addresses_in_use() -> set[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        shown = json.loads(_ip("-j", "-4", "addr", "show").stdout or "[]")
    except (OSError, subprocess.CalledProcessError, ValueError):
        return set()
    return {
        ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}").network
        for link in shown
        for a in link.get("addr_info", [])
    }


@dataclass
class Place:
    """Where a process runs: a network namespace (or None: the root one, on loopback)."""

    name: str
    address: str
    namespace: str | None

    def command(self, argv: Sequence[str]) -> list[str]:
        """*argv* run inside this place."""
        if self.namespace is None:
            return list(argv)
        return [_IP, "netns", "exec", self.namespace, *argv]


class Network:
    """A bridge in the root namespace and *places* namespaces on it, each with an address.

    ``Network(4).start()``: ``places[i].address``, ``gateway`` (the bridge's address, where
    services in the root namespace must listen to be reached). :attr:`isolated` is False
    when namespaces could not be made: then every place is 127.0.0.1 (loopback fallback).
    """

    def __init__(self, places: int) -> None:
        self.count = places
        # Unique per process and per network in it (names are global to the machine, and
        # at most 15 characters: "op" + 6 digits + "v9").
        tag = f"{os.getpid() % 100000:05d}{next(_networks) % 10}"
        self.bridge = f"opb{tag}"
        self.places: list[Place] = []
        self.gateway = "127.0.0.1"
        self.isolated = False
        self.fallback_reason = ""
        self._tag = tag
        self._made: list[str] = []  # namespaces to delete

    def start(self) -> Network:
        # A test run that dies leaves no namespace behind.
        atexit.register(self._atexit, os.getpid())
        try:
            self._make()
            self.isolated = True
        except (OSError, subprocess.CalledProcessError) as exc:
            self.stop()
            stderr = getattr(exc, "stderr", "") or ""
            self.fallback_reason = f"{exc} {stderr}".strip()
            self.gateway = "127.0.0.1"
            self.places = [Place(f"host{i}", "127.0.0.1", None) for i in range(self.count)]
        return self

    def _make(self) -> None:
        if os.environ.get("ORDERPAY_TOPOLOGY_LOOPBACK") == "1":
            raise OSError("ORDERPAY_TOPOLOGY_LOOPBACK=1")
        if os.geteuid() != 0:
            raise OSError("network namespaces need root")
        used = _addresses_in_use()
        subnet = None
        # A /24 of its own per test run (several runs share this machine).
        for step in range(250):
            third = (int(self._tag) + step) % 250 + 1
            candidate = ipaddress.ip_network(f"10.213.{third}.0/24")
            if not any(candidate.overlaps(n) for n in used):
                subnet = candidate
                break
        if subnet is None:
            raise OSError("no free 10.213.x.0/24 subnet")
        hosts = list(subnet.hosts())
        self.gateway = str(hosts[0])
        _ip("link", "add", self.bridge, "type", "bridge")
        self._made.append("bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for i in range(self.count):
            namespace, veth = f"op{self._tag}h{i}", f"op{self._tag}v{i}"
            _ip("netns", "add", namespace)
            self._made.append(namespace)
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            _ip("link", "set", veth, "master", self.bridge, "up")
            address = str(hosts[9 + i])
            _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", namespace, "link", "set", "eth0", "up")
            _ip("-n", namespace, "link", "set", "lo", "up")
            self.places.append(Place(f"host{i}", address, namespace))

    def stop(self) -> None:
        for made in reversed(self._made):
            if made == "bridge":
                _ip("link", "del", self.bridge, check=False)
            else:
                # Deleting the namespace deletes its end of the veth pair, and so both ends.
                _ip("netns", "del", made, check=False)
        self._made.clear()
        self.places = []
        atexit.unregister(self._atexit)

    def _atexit(self, owner: int) -> None:
        # Only the process that started it tears it down (not a forked child exiting).
        if os.getpid() == owner:
            self.stop()


class NamespacedServer(OrderpayServer):
    """``orderpay serve`` inside a :class:`Place`, listening on the place's address."""

    def __init__(self, place: Place, env: Mapping[str, str | None], workers: int = 2) -> None:
        super().__init__(env, workers=workers, startup_timeout=60.0)
        self.place = place
        self.host = place.address

    def command(self) -> list[str]:
        return self.place.command(super().command())


@dataclass
class Host:
    """One orderpay host: its place and its server (``url``)."""

    place: Place
    server: NamespacedServer

    @property
    def url(self) -> str:
        return self.server.url


@dataclass
class Topology:
    """PostgreSQL <- PgBouncer (transaction pooling) <- *hosts* hosts, plus a place for
    reconcile; the Stripe stub behind the fault proxy, both reachable from every host.

    *database* must exist in *pg* (migrated). *env* is added to every host's environment
    (e.g. ``{"DATABASE_POOL_SIZE": "5"}``). With *stub_latency*, Stripe answers that slowly.

    With *patroni* instead (a :class:`~tests.support.patroni.PatroniCluster` listening on
    the network's gateway, ``pg=None``), the hosts reach whichever node is primary with a
    multi-host URL, no PgBouncer (which cannot follow a failover); then pass the *network*
    the cluster listens on, made beforehand, as *on_network*::

        network = Network(4).start()
        with PatroniCluster(listen=[network.gateway]) as patroni:
            ...create and migrate the database...
            with Topology(None, "orderpay", patroni=patroni, on_network=network) as topo:
                ...

    A network passed in is the caller's to stop.
    """

    pg: PostgresCluster | None
    database: str
    hosts_count: int = 3
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    stub_latency: float = 0.0
    pgbouncer_pool_size: int = 20
    #: False: the hosts call the stub directly (the scaling bench: no proxy hop to measure).
    stripe_through_proxy: bool = True
    patroni: PatroniCluster | None = None
    #: A network made beforehand (the caller stops it); by default the topology makes its own.
    on_network: Network | None = None

    network: Network = field(init=False)
    #: Only without *patroni*.
    pgbouncer: PgBouncer = field(init=False)
    stub: StripeStub = field(init=False)
    proxy: FaultProxy = field(init=False)
    hosts: list[Host] = field(init=False, default_factory=list)
    reconcile_place: Place = field(init=False)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Topology:
        self._own_network = self.on_network is None
        self.network = self.on_network or Network(self.hosts_count + 1).start()
        if len(self.network.places) < self.hosts_count + 1:
            raise ValueError(f"the network needs {self.hosts_count + 1} places")
        try:
            gateway = self.network.gateway
            listen = ["127.0.0.1"] if gateway == "127.0.0.1" else ["127.0.0.1", gateway]
            if self.patroni is None:
                if self.pg is None or self.pg.port is None:
                    raise RuntimeError("PostgreSQL cluster not started")
                self.pgbouncer = PgBouncer(
                    self.pg.host,
                    self.pg.port,
                    listen=listen,
                    default_pool_size=self.pgbouncer_pool_size,
                ).start()
            self.stub = StripeStub(self.stub_latency, host=gateway).start()
            self.proxy = FaultProxy(self.stub.url, host=gateway).start()
            *host_places, self.reconcile_place = self.network.places[: self.hosts_count + 1]
            self.hosts = [
                Host(place, NamespacedServer(place, self.host_env(), self.workers))
                for place in host_places
            ]
            with ThreadPoolExecutor(len(self.hosts)) as pool:
                for started in [pool.submit(h.server.start) for h in self.hosts]:
                    started.result()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.hosts:
            with ThreadPoolExecutor(len(self.hosts)) as pool:
                list(pool.map(lambda host: host.server.stop(), self.hosts))
        for name in ("proxy", "stub", "pgbouncer"):
            service = getattr(self, name, None)
            if service is not None:
                service.stop()
        if hasattr(self, "network") and getattr(self, "_own_network", False):
            self.network.stop()

    def __enter__(self) -> Topology:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what the hosts see ----------------------------------------------------------------

    @property
    def pooled_database_url(self) -> str:
        """DATABASE_URL of the hosts: PgBouncer on the gateway, asyncpg's statement cache
        off (PgBouncer 1.18 in transaction mode; see orderpay.db); or, over Patroni, every
        node on the gateway with ``target_session_attrs=read-write``."""
        if self.patroni is not None:
            return self.patroni.url(self.database, host=self.network.gateway)
        return (
            self.pgbouncer.url(self.database, host=self.network.gateway) + "?statement_cache_size=0"
        )

    @property
    def database_url(self) -> str:
        """Straight to PostgreSQL (the primary, over Patroni), for the test's own reads."""
        if self.patroni is not None:
            return self.patroni.url(self.database)
        assert self.pg is not None
        return self.pg.url(self.database)

    def psql(self, sql: str) -> str:
        """*sql* on the database (on the primary, over Patroni): psql's unaligned output."""
        if self.patroni is not None:
            return self.patroni.psql(sql, self.database)
        assert self.pg is not None
        return self.pg.psql(sql, self.database)

    @property
    def stripe_url(self) -> str:
        """The Stripe the hosts call: the fault proxy in front of the stub (or the stub)."""
        return self.proxy.url if self.stripe_through_proxy else self.stub.url

    def host_env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.pooled_database_url,
            "STRIPE_API_BASE": self.stripe_url,
            "STRIPE_SECRET_KEY": STRIPE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "DATABASE_POOL_SIZE": "5",
            **self.env,
        }

    def reconcile(self, *extra_args: str, timeout: float = 120.0) -> dict[str, object]:
        """`orderpay reconcile --older-than 0` from the fourth place, through PgBouncer and
        the proxy like the hosts; returns its JSON."""
        argv = [sys.executable, "-m", "orderpay", "reconcile", "--older-than", "0", *extra_args]
        result = subprocess.run(
            self.reconcile_place.command(argv),
            capture_output=True,
            text=True,
            env={**os.environ, **self.host_env()},
            cwd=Path(__file__).resolve().parents[2],
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise RuntimeError(f"orderpay reconcile failed: {result.stderr}{result.stdout}")
        parsed: dict[str, object] = json.loads(result.stdout)
        return parsed

    def output(self) -> str:
        """The last lines of every host's log, for assertion messages."""
        return "\n".join(f"--- {h.place.name} ---\n{h.server.output()[-3000:]}" for h in self.hosts)


# -- a shop to pay in, and what Stripe holds -------------------------------------------------


@dataclass
class Shop:
    """A customer (bearer token) and a business with one product, seeded straight into the
    database (`seed`); orders are created through the API of any host."""

    token: str
    business_id: str
    product_id: str

    @classmethod
    async def seed(cls, database_url: str, *, price_cents: int = 2350) -> Shop:
        from orderpay.businesses.service import create_business, create_product
        from orderpay.db import Database
        from orderpay.users.service import create_user

        db = Database(database_url, pool_size=2)
        try:
            _, _, token = await create_user(db, email=f"shopper-{os.urandom(4).hex()}@example.test")
            business = await create_business(db, name="Topology Bistro")
            product = await create_product(
                db, business_id=int(business["id"]), name="Dish", price_cents=price_cents
            )
        finally:
            await db.dispose()
        return cls(token, str(business["id"]), str(product["id"]))

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def order(self, client: httpx.AsyncClient) -> str:
        response = await client.post(
            "/api/v1/orders",
            headers=self.auth,
            json={
                "data": {
                    "type": "orders",
                    "attributes": {"elements": [{"product_id": self.product_id, "quantity": 1}]},
                    "relationships": {"business": {"type": "business", "id": self.business_id}},
                }
            },
        )
        assert response.status_code == 201, response.text
        order_id: str = response.json()["data"]["id"]
        return order_id

    async def pay(
        self,
        client: httpx.AsyncClient,
        order_id: str,
        *,
        key: str | None = None,
        payment_method: str = "pm_card_visa",
    ) -> httpx.Response:
        headers = {**self.auth, **({"Idempotency-Key": key} if key else {})}
        return await client.post(
            "/api/v1/payments", headers=headers, json=payment_document(order_id, payment_method)
        )


def payment_document(order_id: str, payment_method: str) -> dict[str, object]:
    return {
        "data": {
            "type": "payments",
            "attributes": {"stripe_token": payment_method},
            "relationships": {"order": {"type": "order", "id": order_id}},
        }
    }


def intents_for_order(stub: StripeStub, order_id: str) -> list[dict[str, Any]]:
    """The PaymentIntents Stripe (the stub itself, not through the proxy) holds for an order."""
    return [
        pi
        for pi in stub.payment_intents()
        if (pi.get("metadata") or {}).get("orderpay_order_id") == order_id
    ]
