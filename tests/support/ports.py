"""Port allocation and readiness polling for the test-suite's helper processes.

Every service the tests start (PostgreSQL, localstripe, the orderpay server)
listens on a port picked here instead of a fixed one, so several test runs (or a
test run and a developer's local services) can coexist on one machine.  And
every service is waited for with :func:`wait_for_http`, so that a test never
races a server that is still booting -- and so that a server which *crashes*
while booting produces an error showing its own output instead of a vague
"connection refused" twenty seconds later.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Container, Mapping

__all__ = ["ServiceStartError", "free_port", "tail", "wait_for_http"]


class ServiceStartError(RuntimeError):
    """A helper process did not come up (it died, or never answered in time)."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now.

    The kernel picks the port (bind to port 0) and we release it immediately.
    There is an unavoidable window in which another process could grab it before
    our child binds it, but the kernel hands out ephemeral ports round-robin, so
    in practice a just-released port is not handed out again soon.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: str | os.PathLike[str] | None, max_bytes: int = 8000) -> str:
    """Return (at most) the last *max_bytes* of a log file, for error messages.

    Never raises: this is only used while reporting another failure, and an
    unreadable log must not hide the original problem.
    """
    if path is None:
        return ""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError as exc:
        return f"<could not read {path}: {exc}>"
    text = data.decode("utf-8", errors="replace")
    if size > max_bytes:
        text = "...\n" + text.split("\n", 1)[-1]
    return text


def _captured_output(proc: subprocess.Popen | None, log_path) -> str:
    """Best-effort retrieval of what a (probably dead) process printed."""
    if log_path is not None:
        return tail(log_path)
    # If the caller used stdout=PIPE we can only read it without blocking once
    # the process has exited.
    if proc is not None and proc.poll() is not None and proc.stdout is not None:
        try:
            data = proc.stdout.read() or b""
        except (OSError, ValueError):
            return ""
        if isinstance(data, bytes):
            data = data.decode("utf-8", errors="replace")
        return data[-8000:]
    return ""


# A private opener without proxy support: CI machines often export http_proxy,
# and urllib would otherwise send our requests for 127.0.0.1 to the proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def wait_for_http(
    url: str,
    timeout: float = 20.0,
    proc: subprocess.Popen | None = None,
    *,
    log_path: str | os.PathLike[str] | None = None,
    headers: Mapping[str, str] | None = None,
    expect_status: Container[int] | None = None,
    interval: float = 0.05,
) -> int:
    """Poll *url* with GET until the server answers; return the HTTP status.

    By default *any* HTTP response counts as "up" -- a 401 or 404 proves the
    server is accepting and handling requests, which is all we need to know.
    Pass *expect_status* (e.g. ``{200}``) to keep polling until a specific
    status arrives (a health endpoint that reports 503 while warming up).

    If *proc* is given and exits while we wait, we fail at once rather than
    waiting out the timeout.  The :class:`ServiceStartError` raised on failure
    includes the process's captured output: the tail of *log_path* if given,
    otherwise whatever *proc* wrote to a ``stdout=PIPE`` if it has exited.
    """
    deadline = time.monotonic() + timeout
    last_problem = "no attempt made"
    request = urllib.request.Request(url, headers=dict(headers or {}))
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServiceStartError(
                f"process {proc.args!r} exited with status {proc.returncode} "
                f"before {url} answered.\n--- output ---\n"
                f"{_captured_output(proc, log_path)}"
            )
        status = None
        # Short per-attempt timeout: a socket that accepts but never answers
        # (e.g. someone else's listener on a stolen port) must not eat the
        # whole budget in one attempt.
        attempt_timeout = min(2.0, max(0.2, deadline - time.monotonic()))
        try:
            with _OPENER.open(request, timeout=attempt_timeout) as resp:
                status = resp.status
        except urllib.error.HTTPError as exc:  # 4xx/5xx: the server is answering
            status = exc.code
            exc.close()
        except (OSError, ValueError) as exc:  # refused, reset, timeout, bad HTTP...
            last_problem = f"{type(exc).__name__}: {exc}"
        if status is not None:
            if expect_status is None or status in expect_status:
                return status
            last_problem = f"HTTP {status} (waiting for {sorted(expect_status)})"
        if time.monotonic() >= deadline:
            if proc is not None and proc.poll() is not None:
                continue  # report the exit (top of loop) rather than a timeout
            output = _captured_output(proc, log_path)
            raise ServiceStartError(
                f"{url} did not answer within {timeout:.1f}s "
                f"(last problem: {last_problem})"
                + (f"\n--- output ---\n{output}" if output else "")
            )
        time.sleep(interval)
