"""A PostgreSQL 15 primary and a synchronous streaming standby managed by Patroni, for the
failover test (issue 11, part 3).

Debian's ``patroni`` (3.0.2) over a single-node Debian ``etcd-server`` (3.4, through its v3
API: Patroni's ``etcd3`` store), each node's PostgreSQL run by its Patroni as the unprivileged
``postgres`` user (PostgreSQL refuses root), everything on 127.0.0.1 on free ports, in one
temp dir deleted by :meth:`PatroniCluster.stop`.

Settings that matter for "a failover loses nothing" (see docs/SCALING.md):

* ``synchronous_mode: true``: Patroni names the standby in ``synchronous_standby_names``, so
  a COMMIT is acknowledged only once the standby has the WAL; and Patroni promotes only that
  synchronous standby. An acknowledged (201) payment therefore survives the primary's loss.
  Without ``synchronous_mode_strict``, Patroni drops the standby from the synchronous set when
  it is gone, so the primary keeps taking writes alone (availability first; a second failure
  in that window loses them). With ``synchronous_mode_strict: true`` writes block until a
  standby is back: nothing acknowledged ever lives on one node only.
* ``primary_start_timeout: 0``: when the primary's PostgreSQL dies, fail over at once rather
  than restarting it in place (Patroni's default waits up to 300 s for it to come back).
* ``ttl``/``loop_wait``/``retry_timeout`` short, so the test does not wait for Patroni's
  production defaults (30/10/10 s).
* ``fsync``/``full_page_writes`` are off as in tests/support/postgres.py: the test kills
  processes, not the machine, so the OS page cache keeps every write; ``synchronous_commit``
  stays ``on`` (the default) -- it is what waits for the standby.

Clients reach the primary with a libpq-style multi-host URL and
``target_session_attrs=read-write`` (:meth:`PatroniCluster.url`): asyncpg tries the hosts in
order and keeps the one that is not in recovery.
"""

from __future__ import annotations

import atexit
import ipaddress
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ports import ServiceStartError, free_port, tail
from .postgres import PG_BIN

__all__ = ["PatroniCluster", "PatroniNode"]

ETCD_BIN = Path(os.environ.get("ORDERPAY_ETCD_BIN", "/usr/bin/etcd"))
PATRONI_BIN = Path(os.environ.get("ORDERPAY_PATRONI_BIN", "/usr/bin/patroni"))
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "PYTHON"))}
    env["LC_ALL"] = "C.UTF-8"
    return env


def _get_json(url: str, timeout: float = 2.0) -> tuple[int, Any]:
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        exc.close()
        try:
            return exc.code, json.loads(body or b"null")
        except ValueError:
            return exc.code, None


@dataclass
class PatroniNode:
    name: str
    pg_port: int
    api_port: int
    data_dir: Path
    config_path: Path
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None


class PatroniCluster:
    """``PatroniCluster().start()``: etcd, then node0 (bootstraps the primary), then node1
    (a synchronous standby); ``url(db)``, ``primary()``, ``kill_primary_postgres()``,
    ``wait_for_new_primary(old)``, ``psql(sql, db)``, ``stop()``."""

    def __init__(
        self,
        nodes: int = 2,
        *,
        synchronous_mode_strict: bool = False,
        listen: Sequence[str] = (),
    ) -> None:
        """*listen*: addresses PostgreSQL listens on besides 127.0.0.1 (e.g. the bridge of
        tests/support/topology.py's namespaces, whose /24 is then trusted)."""
        self.node_count = nodes
        self.listen = [a for a in listen if a != "127.0.0.1"]
        self.synchronous_mode_strict = synchronous_mode_strict
        self.base_dir: Path | None = None
        self.nodes: list[PatroniNode] = []
        self.etcd: subprocess.Popen[bytes] | None = None
        self.etcd_port = 0
        self.user = "orderpay"
        self._run_as: pwd.struct_passwd | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> PatroniCluster:
        for binary in (ETCD_BIN, PATRONI_BIN, PG_BIN / "initdb"):
            if not binary.exists():
                raise ServiceStartError(
                    f"{binary} not found: run scripts/install-test-deps.sh "
                    "(Debian's patroni, etcd-server, postgresql-15)"
                )
        self._run_as = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        # A test run that dies leaves no cluster behind.
        atexit.register(self._atexit, os.getpid())
        self.base_dir = Path(tempfile.mkdtemp(prefix="orderpay-patroni-"))
        self.base_dir.chmod(0o755)
        try:
            self._start_etcd()
            self.nodes = [self._configure_node(i) for i in range(self.node_count)]
            deadline = time.monotonic() + timeout
            self._spawn(self.nodes[0])
            self._wait(lambda: self.primary() is self.nodes[0], deadline, "node0 to lead")
            for node in self.nodes[1:]:
                self._spawn(node)
            self._wait(self._standbys_in_sync, deadline, "the standby to stream in sync")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        atexit.unregister(self._atexit)
        for node in self.nodes:
            proc, node.proc = node.proc, None
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
            pid = node.postmaster_pid()  # Patroni stopped it; a crash may have left one
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        etcd, self.etcd = self.etcd, None
        if etcd is not None and etcd.poll() is None:
            etcd.terminate()
            try:
                etcd.wait(10)
            except subprocess.TimeoutExpired:
                etcd.kill()
                etcd.wait(10)
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def _atexit(self, owner: int) -> None:
        # Only the process that started it tears it down (not a forked child exiting).
        if os.getpid() == owner:
            self.stop()

    def __enter__(self) -> PatroniCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- clients ---------------------------------------------------------------------------

    def url(
        self, dbname: str, *, host: str = "127.0.0.1", driver: str = "postgresql+asyncpg"
    ) -> str:
        """A multi-host URL that finds the current primary (``target_session_attrs``), on
        *host* (127.0.0.1 or one of the *listen* addresses)."""
        hosts = "&".join(f"host={host}:{node.pg_port}" for node in self.nodes)
        return f"{driver}://{self.user}@/{dbname}?{hosts}&target_session_attrs=read-write"

    def node_url(self, node: PatroniNode, dbname: str) -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{node.pg_port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres", node: PatroniNode | None = None) -> str:
        node = node or self.primary()
        if node is None:
            raise RuntimeError("no primary")
        cmd = [
            str(PG_BIN / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
            "-h", "127.0.0.1", "-p", str(node.pg_port), "-U", self.user, "-d", dbname, "-c", sql,
        ]  # fmt: skip
        result = subprocess.run(
            cmd, capture_output=True, text=True, env=_clean_env(), timeout=60,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {result.stderr}")
        return result.stdout.rstrip("\n")

    # -- roles and failover ----------------------------------------------------------------

    def members(self) -> list[dict[str, Any]]:
        """Patroni's view of the cluster (``GET /cluster`` of any node that answers)."""
        for node in self.nodes:
            try:
                status, body = _get_json(f"{node.api}/cluster")
            except OSError:
                continue
            if status == 200 and isinstance(body, dict):
                members: list[dict[str, Any]] = body.get("members", [])
                return members
        return []

    def primary(self) -> PatroniNode | None:
        """The node whose PostgreSQL is the running leader, per Patroni."""
        for member in self.members():
            if member.get("role") == "leader" and member.get("state") == "running":
                return next((n for n in self.nodes if n.name == member["name"]), None)
        return None

    def _standbys_in_sync(self) -> bool:
        members = self.members()
        sync = [m for m in members if m.get("role") == "sync_standby"]
        return len(sync) == self.node_count - 1 and all(
            m.get("state") in ("streaming", "running") for m in sync
        )

    def kill_primary_postgres(self) -> PatroniNode:
        """SIGKILL the primary's postmaster and every backend of it at once (Patroni itself
        lives on, as it would on a host whose database process crashed)."""
        primary = self.primary()
        if primary is None:
            raise RuntimeError("no primary to kill")
        pid = primary.postmaster_pid()
        if pid is None:
            raise RuntimeError(f"{primary.name} has no postmaster.pid")
        children = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
        for victim in [pid, *map(int, children)]:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return primary

    def wait_for_new_primary(self, old: PatroniNode, timeout: float = 60.0) -> PatroniNode:
        deadline = time.monotonic() + timeout
        self._wait(lambda: self.primary() not in (None, old), deadline, "a new primary")
        new = self.primary()
        assert new is not None
        return new

    # -- internals -------------------------------------------------------------------------

    def _wait(self, ready: Any, deadline: float, what: str) -> None:
        while time.monotonic() < deadline:
            if ready():
                return
            for node in self.nodes:
                if node.proc is not None and node.proc.poll() is not None:
                    raise ServiceStartError(f"patroni {node.name} exited:\n{tail(node.log_path)}")
            time.sleep(0.2)
        logs = "\n".join(f"--- {n.name} ---\n{tail(n.log_path, 4000)}" for n in self.nodes)
        raise ServiceStartError(f"timed out waiting for {what}: {self.members()}\n{logs}")

    def _chown(self, path: Path) -> None:
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _start_etcd(self) -> None:
        assert self.base_dir is not None
        self.etcd_port, peer_port = free_port(), free_port()
        log = open(self.base_dir / "etcd.log", "wb")  # noqa: SIM115 - the child keeps it
        self.etcd = subprocess.Popen(
            [
                str(ETCD_BIN),
                "--name", "etcd0",
                "--data-dir", str(self.base_dir / "etcd"),
                "--listen-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                "--advertise-client-urls", f"http://127.0.0.1:{self.etcd_port}",
                "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
                "--initial-cluster", f"etcd0=http://127.0.0.1:{peer_port}",
                "--initial-cluster-state", "new",
                "--unsafe-no-fsync",
            ],  # fmt: skip
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.etcd.poll() is not None:
                raise ServiceStartError(f"etcd exited:\n{tail(self.base_dir / 'etcd.log')}")
            try:
                if _get_json(f"http://127.0.0.1:{self.etcd_port}/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise ServiceStartError(f"etcd did not start:\n{tail(self.base_dir / 'etcd.log')}")

    def _configure_node(self, index: int) -> PatroniNode:
        assert self.base_dir is not None
        node_dir = self.base_dir / f"node{index}"
        node_dir.mkdir(mode=0o700)
        self._chown(node_dir)
        node = PatroniNode(
            name=f"node{index}",
            pg_port=free_port(),
            api_port=free_port(),
            data_dir=node_dir / "data",
            config_path=node_dir / "patroni.yml",
            log_path=node_dir / "patroni.log",
        )
        config = {
            "scope": f"orderpay-{os.getpid()}",
            "name": node.name,
            "restapi": {
                "listen": f"127.0.0.1:{node.api_port}",
                "connect_address": f"127.0.0.1:{node.api_port}",
            },
            "etcd3": {"hosts": [f"127.0.0.1:{self.etcd_port}"]},
            "bootstrap": {
                "dcs": {
                    "ttl": 20,
                    "loop_wait": 1,
                    "retry_timeout": 5,
                    "primary_start_timeout": 0,
                    "synchronous_mode": True,
                    "synchronous_mode_strict": self.synchronous_mode_strict,
                    "maximum_lag_on_failover": 1048576,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": {
                            "max_connections": 300,
                            "wal_log_hints": "on",
                            "wal_keep_size": "256MB",
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "hot_standby": "on",
                            "fsync": "off",
                            "full_page_writes": "off",
                            "timezone": "UTC",
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C"}, {"username": self.user}],
            },
            "postgresql": {
                "listen": f"{','.join(['127.0.0.1', *self.listen])}:{node.pg_port}",
                "connect_address": f"127.0.0.1:{node.pg_port}",
                "data_dir": str(node.data_dir),
                "bin_dir": str(PG_BIN),
                "pgpass": str(node_dir / "pgpass"),
                "use_unix_socket": False,
                "authentication": {
                    "superuser": {"username": self.user},
                    "replication": {"username": self.user},
                    "rewind": {"username": self.user},
                },
                "pg_hba": [
                    *(
                        f"host all all {ipaddress.ip_network(f'{a}/24', strict=False)} trust"
                        for a in self.listen
                    ),
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                    "local all all trust",
                ],
                "parameters": {"unix_socket_directories": str(node_dir)},
            },
        }
        # JSON is YAML: no YAML writer needed.
        node.config_path.write_text(json.dumps(config, indent=2))
        self._chown(node.config_path)
        return node

    def _spawn(self, node: PatroniNode) -> None:
        command = [str(PATRONI_BIN), str(node.config_path)]
        if self._run_as is not None:
            command = ["runuser", "-u", self._run_as.pw_name, "--", *command]
        log = open(node.log_path, "wb")  # noqa: SIM115 - the child keeps it
        node.proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=node.config_path.parent, env=_clean_env(), start_new_session=True,
        )  # fmt: skip
        log.close()
