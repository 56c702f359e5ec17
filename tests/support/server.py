"""Run the real ``python -m orderpay serve`` as a subprocess for end-to-end tests.

Why a subprocess instead of an in-process ASGI client: the end-to-end tests and
the benchmark must exercise what production runs -- the CLI, uvicorn, several
worker processes, real sockets -- and the crash tests must be able to kill the
server abruptly (SIGKILL, mid-request) and start a new one on the same
database, which is only meaningful for a separate process.

The server runs in its own session / process group (``start_new_session``), so
that

* a Ctrl-C aimed at pytest does not reach it before the fixture teardown, and
* :meth:`OrderpayServer.stop` / :meth:`OrderpayServer.kill` can signal the
  supervisor *and all its workers* at once with ``killpg``.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from .ports import ServiceStartError, free_port, wait_for_http

__all__ = ["OrderpayServer", "SESSION_LOG_DIR_ENV", "session_log_dir"]

# Set by tests/conftest.py for the whole run: every server's output is written there, and
# kept, so that the last test of the run can read every log line for secrets
# (tests/operations/test_no_secret_in_any_log.py).
SESSION_LOG_DIR_ENV = "ORDERPAY_TEST_LOG_DIR"


def session_log_dir() -> Path | None:
    directory = os.environ.get(SESSION_LOG_DIR_ENV)
    return Path(directory) if directory else None


def _group_members(pgid: int) -> list[int]:
    """PIDs of live (non-zombie) processes in process group *pgid*.

    Read from /proc rather than probed with ``killpg(pgid, 0)``: that probe
    also succeeds for zombies, and orphaned worker zombies may wait a while for
    init (PID 1 of a container) to reap them.
    """
    members = []
    try:
        entries = os.listdir("/proc")
    except OSError:  # no procfs: fall back to the signal probe
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may contain spaces/parens.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) >= 3 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            members.append(int(entry))
    return members


class OrderpayServer:
    """``python -m orderpay serve`` on 127.0.0.1, ready once ``/healthz`` is 200.

    ::

        with OrderpayServer({"DATABASE_URL": pg.url("t1"), ...}, workers=2) as srv:
            httpx.get(srv.url + "/healthz")

    :meth:`start` may be called again after :meth:`stop` or :meth:`kill`; it
    restarts on the same port (what a crash-recovery test wants).
    """

    host = "127.0.0.1"

    def __init__(
        self,
        env: Mapping[str, str | None],
        workers: int = 1,
        port: int | None = None,
        *,
        startup_timeout: float = 30.0,
        stop_timeout: float = 5.0,
        access_log: bool = False,
    ) -> None:
        """*env* is applied on top of ``os.environ``; a ``None`` value unsets
        that variable in the child (e.g. to test a missing setting)."""
        self.env = dict(env)
        self.workers = workers
        self.access_log = access_log
        self.port: int | None = port
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None  # of the last stopped/killed run
        self.log_path: Path | None = None
        self._keep_log = False  # in the session's log directory: read at the end of the run
        self._owner_pid: int | None = None

    # -- properties --------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        """PID of the supervisor process (also its process-group id)."""
        if self.proc is None:
            raise RuntimeError("server not running")
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- lifecycle ---------------------------------------------------------

    def command(self) -> list[str]:
        """The command line used to start the server."""
        return [
            sys.executable,
            "-m",
            "orderpay",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            *(["--access-log"] if self.access_log else []),
        ]

    def start(self) -> OrderpayServer:
        """Start the server and block until ``GET /healthz`` returns 200."""
        if self.proc is not None:
            raise RuntimeError("server already running; stop() or kill() it first")
        auto_port = self.port is None
        if self.log_path is None:
            keep_in = session_log_dir()
            fd, log = tempfile.mkstemp(prefix="orderpay-server-", suffix=".log", dir=keep_in)
            os.close(fd)
            self.log_path = Path(log)
            self._keep_log = keep_in is not None
        if self._owner_pid is None:
            self._owner_pid = os.getpid()
            atexit.register(self._atexit)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for key, value in self.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        for attempt in range(3):
            if auto_port and (attempt or self.port is None):
                self.port = free_port()
            log_offset = self.log_path.stat().st_size
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            try:
                wait_for_http(
                    f"{self.url}/healthz",
                    timeout=self.startup_timeout,
                    proc=self.proc,
                    log_path=self.log_path,
                    expect_status={200},
                )
                return self
            except ServiceStartError as exc:
                self._shutdown(signal.SIGKILL)
                lost_port_race = (
                    auto_port
                    and attempt < 2
                    and "address already in use" in self._log_since(log_offset).lower()
                )
                if not lost_port_race:
                    # The exception carries the output; drop the log file.
                    self.stop()
                    raise ServiceStartError(f"orderpay server failed to start: {exc}") from None
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Graceful stop: SIGTERM to the whole group, SIGKILL after the timeout.

        Also deletes the log file, unless it is in the session's log directory.  Idempotent.
        """
        self._shutdown(signal.SIGTERM)
        atexit.unregister(self._atexit)
        self._owner_pid = None
        if self.log_path is not None and self._keep_log:
            self.log_path = None
        if self.log_path is not None:
            try:
                self.log_path.unlink()
            except FileNotFoundError:
                pass
            self.log_path = None

    def kill(self) -> None:
        """Crash the server: SIGKILL the supervisor and all workers at once.

        Nothing gets to clean up -- exactly like a machine losing power or the
        OOM killer.  Returns once every process of the group is gone.  The log
        is kept (see :meth:`output`) and :meth:`start` can restart the server.
        """
        self._shutdown(signal.SIGKILL)

    def __enter__(self) -> OrderpayServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def output(self) -> str:
        """Everything the server has printed so far (all runs since start)."""
        if self.log_path is None:
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    # -- internals ---------------------------------------------------------

    def _log_since(self, offset: int) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _shutdown(self, sig: signal.Signals) -> None:
        """Send *sig* to the process group and wait for every member to exit.

        With SIGTERM, escalate to SIGKILL after ``stop_timeout`` seconds.
        """
        proc, self.proc = self.proc, None
        if proc is None:
            return
        pgid = proc.pid  # start_new_session: the child leads its own group
        if proc.poll() is not None and not _group_members(pgid):
            # Already gone (and reaped, so its pid may be reused): no signals.
            self.returncode = proc.returncode
            return
        deadline = time.monotonic() + (self.stop_timeout if sig != signal.SIGKILL else 10.0)
        self._killpg(pgid, sig)
        while True:
            proc.poll()  # reap the leader as soon as it exits
            if proc.returncode is not None and not _group_members(pgid):
                break
            if time.monotonic() >= deadline:
                if sig == signal.SIGKILL:
                    raise RuntimeError(
                        f"processes {_group_members(pgid)} of group {pgid} survived SIGKILL"
                    )
                sig = signal.SIGKILL
                deadline = time.monotonic() + 10.0
                self._killpg(pgid, sig)
            time.sleep(0.02)
        self.returncode = proc.returncode

    @staticmethod
    def _killpg(pgid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:  # everything already exited
            pass

    def _atexit(self) -> None:
        if os.getpid() == self._owner_pid:
            self.stop()
