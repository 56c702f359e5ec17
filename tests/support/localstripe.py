"""A private localstripe (fake Stripe API) process for tests and the benchmark.

Why a subprocess rather than the real Stripe test mode: tests must run offline,
fast and deterministically, and must be able to receive webhooks on 127.0.0.1.
Each :class:`LocalStripe` gets its own free port and starts ``--from-scratch``
so no state leaks in from earlier runs.

Quirks of localstripe worth knowing (checked against its ``server.py`` and
``resources.py``):

* Its store is pickled to the hard-coded path ``/tmp/localstripe.pickle`` on
  every write.  ``--from-scratch`` only stops it *loading* that file; every
  instance on the machine still *overwrites* it, and the whole store is
  re-pickled on each change, so each write gets slower as the store grows
  (measured: ~2 ms per POST on an empty store, ~13 ms after 3000 payment
  intents).  ``LocalStripe(disk_store=False)`` patches the dump out for
  benchmarks; calling :meth:`LocalStripe.flush` between phases also helps.
* ``/v1/...`` endpoints answer 401 without ``Authorization: Bearer sk_...``;
  ``/_config/...`` endpoints need no auth.
* It binds ``::`` (dual-stack IPv6), so 127.0.0.1 works only where IPv6 is
  enabled in the kernel.
* Webhooks are delivered about one second after the triggering event
  (``asyncio.sleep(1)`` in ``webhooks.py``), and ``DELETE /_config/data``
  (:meth:`LocalStripe.flush`) clears objects but *not* registered webhooks.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .ports import ServiceStartError, free_port, tail, wait_for_http

__all__ = ["LOCALSTRIPE_BIN", "LocalStripe"]

#: The console script installed next to the interpreter running the tests.
LOCALSTRIPE_BIN = Path(sys.executable).parent / "localstripe"

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Runs localstripe's own entry point with the per-write pickling disabled.
_NO_DISK_BOOTSTRAP = """\
import sys
from localstripe.resources import Store
Store.dump_to_disk = lambda self: None
from localstripe.server import start
sys.argv[0] = "localstripe"
sys.exit(start())
"""


class LocalStripe:
    """A localstripe server on 127.0.0.1:``port``; ``url`` is its API base.

    Use as a context manager, or call :meth:`start` / :meth:`stop`::

        with LocalStripe() as ls:
            env = {"STRIPE_API_BASE": ls.url, "STRIPE_SECRET_KEY": ls.api_key}
    """

    host = "127.0.0.1"

    def __init__(
        self,
        port: int | None = None,
        *,
        api_key: str = "sk_test_x",
        startup_timeout: float = 20.0,
        disk_store: bool = True,
    ) -> None:
        """*api_key* is only used for the readiness probe (any ``sk_...`` works).

        ``disk_store=False`` runs the same server with its pickling to
        /tmp/localstripe.pickle disabled: O(1) writes and no shared file,
        which a benchmark wants.  The default runs the stock console script.
        """
        self.disk_store = disk_store
        self.port: int | None = port
        self.api_key = api_key
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self._owner_pid: int | None = None

    @property
    def url(self) -> str:
        """API base, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self.port is None:
            raise RuntimeError("localstripe not started")
        return f"http://{self.host}:{self.port}"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> LocalStripe:
        """Start localstripe and block until it answers HTTP."""
        if self.proc is not None:
            raise RuntimeError("localstripe already started")
        if self.disk_store and not LOCALSTRIPE_BIN.exists():
            raise ServiceStartError(f"{LOCALSTRIPE_BIN} not found (is localstripe installed?)")
        auto_port = self.port is None
        fd, log = tempfile.mkstemp(prefix="orderpay-localstripe-", suffix=".log")
        os.close(fd)
        self.log_path = Path(log)
        self._owner_pid = os.getpid()
        atexit.register(self._atexit)
        try:
            for attempt in range(3):
                if auto_port:
                    self.port = free_port()
                try:
                    self._spawn()
                    return self
                except ServiceStartError as exc:
                    # Lost the free_port() race: try another port.
                    if not (auto_port and attempt < 2 and "Address already in use" in str(exc)):
                        raise
                    self._terminate()
        except BaseException:
            self.stop()
            raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        if self.disk_store:
            cmd = [str(LOCALSTRIPE_BIN)]
        else:
            cmd = [sys.executable, "-c", _NO_DISK_BOOTSTRAP]
        cmd += ["--port", str(self.port), "--from-scratch"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                # Own session: a Ctrl-C aimed at pytest must not kill it before
                # the fixtures' teardown runs.
                start_new_session=True,
            )
        wait_for_http(
            f"{self.url}/v1/customers",
            timeout=self.startup_timeout,
            proc=self.proc,
            log_path=self.log_path,
            headers={"Authorization": f"Bearer {self.api_key}"},
        )

    def _terminate(self) -> None:
        """SIGTERM (aiohttp exits cleanly on it), SIGKILL after 5 s."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        """Stop the process and delete its log.  Idempotent."""
        atexit.unregister(self._atexit)
        self._terminate()
        if self.log_path is not None:
            try:
                self.log_path.unlink()
            except FileNotFoundError:
                pass
            self.log_path = None

    def __enter__(self) -> LocalStripe:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _atexit(self) -> None:
        if os.getpid() == self._owner_pid:
            self.stop()

    def output(self) -> str:
        """The tail of localstripe's log (access log, webhook delivery lines)."""
        return tail(self.log_path)

    # -- configuration API -------------------------------------------------

    def _request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> Any:
        """Send a request to localstripe; raise with its log tail on failure."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        if data is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with _OPENER.open(req, timeout=30) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")
            raise RuntimeError(
                f"localstripe {method} {path} -> HTTP {exc.code}: {detail}\n"
                f"--- localstripe log ---\n{self.output()}"
            ) from None
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return body.decode("utf-8", errors="replace")

    def flush(self) -> None:
        """Delete every object in localstripe's store (``DELETE /_config/data``).

        Registered webhooks survive a flush; re-register an id to replace it.
        """
        self._request("DELETE", "/_config/data")

    def register_webhook(
        self,
        id: str,
        url: str,
        secret: str,
        events: Iterable[str] | None = None,
    ) -> None:
        """Have localstripe POST events to *url*, signed with *secret*.

        *events* limits delivery to those event types (``None``: all).  They
        are sent as repeated ``events[]`` form fields: localstripe's form
        parser only builds a list from keys ending in ``[]`` -- a plain
        ``events`` field would arrive as a string and be rejected with 400.
        Registering the same *id* again replaces that webhook.
        """
        form = [("url", url), ("secret", secret)]
        if events is not None:
            events = list(events)
            if not events:
                # No events[] fields at all would be read as "no filter",
                # i.e. the opposite of what an empty list means.
                raise ValueError("events must be None (all events) or non-empty")
            form += [("events[]", event) for event in events]
        self._request("POST", f"/_config/webhooks/{urllib.parse.quote(id, safe='')}", form)
