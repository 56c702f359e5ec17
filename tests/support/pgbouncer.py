"""Debian's PgBouncer in transaction pooling mode in front of a test PostgreSQL.

What orderpay runs behind in production when many hosts share one database: each host keeps
its own SQLAlchemy pool, PgBouncer multiplexes all of them onto a few server connections, one
per transaction in flight.  Started as the unprivileged ``postgres`` user when we are root
(PgBouncer refuses to run as root), in a private temp dir, on a free port, with ``trust``
authentication for the one role the test cluster has, listening only on the addresses given.

Debian 12 ships PgBouncer 1.18: no support for protocol-level prepared statements (that came
with 1.21), so clients must not rely on a prepared statement outliving its transaction; see
``orderpay.db`` and docs/SCALING.md for what that means for asyncpg.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from .ports import ServiceStartError, free_port, tail

__all__ = ["PGBOUNCER_BIN", "PgBouncer"]

PGBOUNCER_BIN = Path(os.environ.get("ORDERPAY_PGBOUNCER_BIN", "/usr/sbin/pgbouncer"))


class PgBouncer:
    """``PgBouncer(backend_host, backend_port).start()``; ``url(db)``; ``stop()``."""

    def __init__(
        self,
        backend_host: str,
        backend_port: int,
        *,
        user: str = "orderpay",
        listen: Sequence[str] = ("127.0.0.1",),
        pool_mode: str = "transaction",
        default_pool_size: int = 20,
        port: int | None = None,
    ) -> None:
        self.backend_host = backend_host
        self.backend_port = backend_port
        self.user = user
        self.listen = list(listen)
        self.pool_mode = pool_mode
        self.default_pool_size = default_pool_size
        self.port = port
        self.base_dir: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return self.listen[0]

    def url(
        self, dbname: str, *, host: str | None = None, driver: str = "postgresql+asyncpg"
    ) -> str:
        """URL of *dbname* through PgBouncer, on *host* (one of the listen addresses)."""
        if self.port is None:
            raise RuntimeError("pgbouncer not started")
        return f"{driver}://{self.user}@{host or self.host}:{self.port}/{dbname}"

    def start(self) -> PgBouncer:
        if not PGBOUNCER_BIN.exists():
            raise ServiceStartError(
                f"{PGBOUNCER_BIN} not found: run scripts/install-test-deps.sh (Debian's pgbouncer)"
            )
        run_as = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        # A test run that dies leaves no PgBouncer behind.
        atexit.register(self._atexit, os.getpid())
        self.base_dir = Path(tempfile.mkdtemp(prefix="orderpay-pgbouncer-"))
        if run_as is not None:
            os.chown(self.base_dir, run_as.pw_uid, run_as.pw_gid)
            self.base_dir.chmod(0o755)
        if self.port is None:
            self.port = free_port()
        (self.base_dir / "users.txt").write_text(f'"{self.user}" ""\n')
        (self.base_dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={self.backend_host} port={self.backend_port}\n"
            "[pgbouncer]\n"
            f"listen_addr = {','.join(self.listen)}\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.base_dir / 'users.txt'}\n"
            f"pool_mode = {self.pool_mode}\n"
            f"default_pool_size = {self.default_pool_size}\n"
            "max_client_conn = 2000\n"
            # asyncpg sends no unusual startup parameters, but psql and others may.
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self.base_dir / 'pgbouncer.log'}\n"
            f"pidfile = {self.base_dir / 'pgbouncer.pid'}\n"
            "log_connections = 0\n"
            "log_disconnections = 0\n"
            # A dead server connection (the primary went away) is dropped, not reused.
            "server_check_delay = 1\n"
            "server_connect_timeout = 3\n"
            "server_login_retry = 1\n"
        )
        command = [str(PGBOUNCER_BIN), "-q", str(self.base_dir / "pgbouncer.ini")]
        if run_as is not None:
            command = ["runuser", "-u", run_as.pw_name, "--", *command]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.base_dir,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                error = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                log = tail(self.base_dir / "pgbouncer.log")
                self.stop()
                raise ServiceStartError(f"pgbouncer exited: {error}\n{log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise ServiceStartError("pgbouncer did not listen within 15 s")

    def log(self) -> str:
        return tail(self.base_dir / "pgbouncer.log") if self.base_dir else ""

    def stop(self) -> None:
        atexit.unregister(self._atexit)
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def _atexit(self, owner: int) -> None:
        # Only the process that started it tears it down (not a forked child exiting).
        if os.getpid() == owner:
            self.stop()

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
