"""A throwaway PostgreSQL 15 cluster for tests and the benchmark.

Why not a shared database server?  Each test run gets its own cluster on a free
port with settings tuned for speed (no fsync, no synchronous commit), plus
``pg_stat_statements`` preloaded so the benchmark can inspect query counts --
and nothing is left behind afterwards: :meth:`PostgresCluster.stop` shuts the
server down and deletes its data directory, with an ``atexit`` fallback in case
a test run dies with an exception before reaching its teardown.

Root handling: the ``postgres`` server binary refuses to run as root, and CI
runs as root.  In that case every server-side binary (``initdb``, ``pg_ctl``)
runs as the unprivileged ``postgres`` system user via ``runuser``, and the temp
directory is ``chown``-ed to that user.  Client programs (``psql``) just
connect over TCP and run as whoever we are.

Authentication is ``trust``, but only for the unix socket (inside a private
temp dir) and for 127.0.0.1; the server listens on nothing else.  The
superuser role is ``orderpay``, so application URLs look like
``postgresql+asyncpg://orderpay@127.0.0.1:PORT/DBNAME``.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from .ports import ServiceStartError, free_port, tail

__all__ = ["PG_BIN", "PostgresCluster"]

#: Directory holding the PostgreSQL 15 binaries (Debian layout: not on PATH).
#: ``ORDERPAY_PG_BIN`` overrides it for machines with another layout.
PG_BIN = Path(os.environ.get("ORDERPAY_PG_BIN", "/usr/lib/postgresql/15/bin"))

#: System user the server runs as when we are root.
_UNPRIVILEGED_USER = "postgres"

#: Settings appended to postgresql.conf (the port and socket dir are added per
#: cluster).  Durability is traded for speed: this data is thrown away anyway.
_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_preload_libraries": "'pg_stat_statements'",
    # Deterministic server-side defaults regardless of the host's /etc/localtime.
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
}

_HBA = """\
# Written by tests/support/postgres.py: trust, but only locally.
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
"""


def _quote_ident(name: str) -> str:
    """Quote an SQL identifier (database names may contain '-' etc.)."""
    return '"' + name.replace('"', '""') + '"'


def _clean_env() -> dict[str, str]:
    """Our environment minus libpq's PG* variables.

    A developer's PGHOST/PGPORT/PGDATA/PGOPTIONS must not redirect or alter the
    commands we run against our private cluster.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"  # stable, untranslated messages from the PG tools
    return env


def _can_traverse(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether *user* can reach *path* (x permission on it and every ancestor).

    We are root, so ``os.access`` would answer for root; compute it from the
    mode bits the way the kernel does for an unprivileged user instead.
    """
    groups = {user.pw_gid} | set(os.getgrouplist(user.pw_name, user.pw_gid))
    for p in [path, *path.parents]:
        try:
            st = p.stat()
        except OSError:
            return False
        if st.st_uid == user.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


class PostgresCluster:
    """A private PostgreSQL server: ``start()``, use ``url(db)``, ``stop()``.

    Also usable as a context manager::

        with PostgresCluster() as pg:
            pg.create_database("t1")
            engine = create_async_engine(pg.url("t1"))
    """

    host = "127.0.0.1"

    def __init__(
        self,
        port: int | None = None,
        *,
        user: str = "orderpay",
        bin_dir: str | os.PathLike[str] = PG_BIN,
        settings: dict[str, str] | None = None,
    ) -> None:
        """Configure (but do not start) a cluster.

        *port* defaults to a free port chosen at :meth:`start`.  *settings* are
        extra ``postgresql.conf`` lines (values verbatim, so quote strings:
        ``{"work_mem": "'64MB'"}``) that override the defaults.
        """
        self.port: int | None = port
        self.user = user
        self.bin_dir = Path(bin_dir)
        self.settings = {**_SETTINGS, **(settings or {})}
        self.base_dir: Path | None = None  # temp dir: data/, sockets, log
        self.data_dir: Path | None = None
        self.log_path: Path | None = None
        self._owner_pid: int | None = None  # process that started the server
        self._running = False
        self._run_as: pwd.struct_passwd | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> PostgresCluster:
        """initdb a fresh cluster in a temp dir and start it (blocks until up)."""
        if self._running:
            raise RuntimeError("cluster already started")
        for tool in ("initdb", "pg_ctl", "psql"):
            if not (self.bin_dir / tool).exists():
                raise ServiceStartError(f"{self.bin_dir / tool} not found")
        auto_port = self.port is None
        if auto_port:
            self.port = free_port()

        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam(_UNPRIVILEGED_USER)
            except KeyError:
                raise ServiceStartError(
                    "running as root, but there is no "
                    f"{_UNPRIVILEGED_USER!r} user to run PostgreSQL as"
                ) from None
        self.base_dir = self._make_base_dir()
        self.data_dir = self.base_dir / "data"
        self.log_path = self.base_dir / "postgres.log"
        # From here on, a failure must clean up the temp dir (and server).
        self._owner_pid = os.getpid()
        atexit.register(self._atexit)
        try:
            self._initdb()
            self._configure()
            self._pg_ctl_start(retry_ports=auto_port)
            self._running = True
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server immediately (no checkpoint) and delete the temp dir.

        Idempotent, and safe to call on a half-started cluster.
        """
        atexit.unregister(self._atexit)
        if self.data_dir is not None and (self.data_dir / "postmaster.pid").exists():
            try:
                self._server_cmd(
                    "pg_ctl",
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "10",
                    "-s",
                    "stop",
                    what="pg_ctl stop",
                )
            except ServiceStartError:
                self._kill_postmaster()
        self._running = False
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = self.data_dir = self.log_path = None

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running

    # -- client helpers ----------------------------------------------------

    def url(self, dbname: str, driver: str = "postgresql+asyncpg") -> str:
        """SQLAlchemy-style URL for *dbname*.

        ``driver="postgresql"`` gives a plain libpq/asyncpg DSN.
        """
        if self.port is None:
            raise RuntimeError("cluster not started")
        return f"{driver}://{self.user}@{self.host}:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run *sql* with ``psql`` and return its unaligned, tuples-only output.

        Handy for assertions and benchmark bookkeeping, e.g.
        ``pg.psql("select count(*) from orders", "t1")``.
        """
        if not self._running:
            raise RuntimeError("cluster not running")
        cmd = [
            str(self.bin_dir / "psql"),
            "-X",
            "-q",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.host,
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            dbname,
            "-c",
            sql,
        ]
        res = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
        if res.returncode != 0:
            raise RuntimeError(
                f"psql failed ({res.returncode}) for {sql!r} on {dbname!r}:\n"
                f"{res.stderr}{res.stdout}"
            )
        return res.stdout.rstrip("\n")

    def create_database(self, name: str, template: str | None = None) -> None:
        """CREATE DATABASE *name* (optionally cloned from *template*)."""
        sql = f"CREATE DATABASE {_quote_ident(name)}"
        if template is not None:
            sql += f" TEMPLATE {_quote_ident(template)}"
        self.psql(sql)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE *name* if it exists, disconnecting any sessions.

        ``WITH (FORCE)`` terminates lingering connections (e.g. a pool a test
        forgot to dispose of) instead of failing the teardown.
        """
        self.psql(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")

    # -- internals ---------------------------------------------------------

    def _make_base_dir(self) -> Path:
        """mkdtemp somewhere the server's user can reach, owned by that user."""
        candidates = [tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"]
        if self._run_as is None:
            return Path(tempfile.mkdtemp(prefix="orderpay-pg-"))
        for parent in dict.fromkeys(candidates):  # dedupe, keep order
            parent_path = Path(parent)
            if parent_path.is_dir() and _can_traverse(parent_path, self._run_as):
                base = Path(tempfile.mkdtemp(prefix="orderpay-pg-", dir=parent))
                os.chown(base, self._run_as.pw_uid, self._run_as.pw_gid)
                return base
        raise ServiceStartError(
            f"none of {candidates} is traversable by user "
            f"{self._run_as.pw_name!r}; set TMPDIR to a directory it can reach"
        )

    def _server_cmd(self, tool: str, *args: str, what: str) -> None:
        """Run a server-side PG binary, as the ``postgres`` user if we are root."""
        cmd = [str(self.bin_dir / tool), *args]
        if self._run_as is not None:
            cmd = ["runuser", "-u", self._run_as.pw_name, "--", *cmd]
        # cwd: the tools chdir-check their cwd, and root's (e.g. /root) is not
        # readable by the postgres user.
        res = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=_clean_env(),
            cwd=self.base_dir,
            stdin=subprocess.DEVNULL,
            timeout=90,
        )
        if res.returncode != 0:
            log = tail(self.log_path) if self.log_path and self.log_path.exists() else ""
            raise ServiceStartError(
                f"{what} failed with status {res.returncode}: {' '.join(cmd)}\n"
                f"--- output ---\n{res.stdout}{res.stderr}"
                + (f"--- server log ---\n{log}" if log else "")
            )

    def _initdb(self) -> None:
        self._server_cmd(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",  # fsync of the fresh cluster is pointless here
            "--no-instructions",
            what="initdb",
        )

    def _configure(self) -> None:
        """Append our settings and replace pg_hba.conf.

        Opening the existing files for writing keeps their owner (postgres),
        so this works when we are root.
        """
        settings = {
            **self.settings,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base_dir}'",
        }
        with open(self.data_dir / "postgresql.conf", "a") as f:
            f.write("\n# --- tests/support/postgres.py ---\n")
            for key, value in settings.items():
                f.write(f"{key} = {value}\n")
        with open(self.data_dir / "pg_hba.conf", "w") as f:
            f.write(_HBA)

    def _pg_ctl_start(self, retry_ports: bool) -> None:
        """``pg_ctl start -w``; on a lost port race, retry on a new free port.

        free_port() only promises the port was free a moment ago; if we chose
        it ourselves and something grabbed it meanwhile, pick another rather
        than failing the whole test run.
        """
        for attempt in range(3):
            try:
                self._server_cmd(
                    "pg_ctl",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_path),
                    "-w",
                    "-t",
                    "30",
                    "-s",
                    "start",
                    what="pg_ctl start",
                )
                return
            except ServiceStartError as exc:
                if not (retry_ports and attempt < 2 and "Address already in use" in str(exc)):
                    raise
            self.port = free_port()
            # A later line overrides an earlier one in postgresql.conf.
            with open(self.data_dir / "postgresql.conf", "a") as f:
                f.write(f"port = {self.port}\n")

    def _kill_postmaster(self) -> None:
        """Last resort if pg_ctl could not stop the server: signal it directly."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return
        for sig, grace in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)

    def _atexit(self) -> None:
        # Only the process that started the server may stop it (a forked child
        # exiting normally must not tear down its parent's cluster).
        if os.getpid() == self._owner_pid:
            try:
                self.stop()
            except Exception as exc:  # noqa: BLE001 - interpreter is exiting
                import sys

                print(f"PostgresCluster atexit cleanup failed: {exc}", file=sys.stderr)
