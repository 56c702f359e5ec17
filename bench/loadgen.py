"""The load generator: Create Payment requests for distinct orders at a fixed concurrency.

Run as its own process (``python -m bench.loadgen SPEC.json``) so that its CPU is not the
server's. It is a deliberately small HTTP/1.1 client: one keep-alive connection per
concurrent "user", requests pre-built as bytes, responses parsed only as far as the status
line, Content-Length and the payment's state. That keeps its own cost per request in the
tens of microseconds (it reports it), so on a 2-core machine it takes as little CPU as
possible away from the server it measures.

Protocol on stdout, one line each, for the orchestrator (bench/__main__.py)::

    WARMUP_START            load begins (the warm-up is not measured)
    WINDOW_START            the measured window begins
    WINDOW_END              the measured window ends; no new requests are sent
    RESULT {json}           after every request in flight has been answered
"""

from __future__ import annotations

import asyncio
import itertools
import json
import resource
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Spec:
    host: str
    port: int
    path: str
    concurrency: int
    warmup_seconds: float
    duration_seconds: float
    orders: list[tuple[int, int]]  # (order id, index into tokens)
    tokens: list[str]
    idempotency_keys: bool = True
    key_prefix: str = "bench"
    request_timeout_seconds: float = 30.0
    cycle_orders: bool = False  # reuse the orders (only for an app without a database)


@dataclass
class Totals:
    """Everything sent, warm-up and drain included (for the exactly-once check)."""

    by_status: dict[str, int] = field(default_factory=dict)
    succeeded: int = 0  # 201 whose payment state is `succeeded`
    sent: int = 0


class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
            elif name == b"transfer-encoding":
                raise RuntimeError("chunked responses are not supported by the load generator")
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def build_request(spec: Spec, order_id: int, token: str) -> bytes:
    body = (
        b'{"data":{"type":"payments","attributes":{"stripe_token":"pm_card_visa"},'
        b'"relationships":{"order":{"type":"order","id":"%d"}}}}' % order_id
    )
    head = [
        f"POST {spec.path} HTTP/1.1",
        f"Host: {spec.host}:{spec.port}",
        "Content-Type: application/vnd.api+json",
        f"Authorization: Bearer {token}",
        f"Content-Length: {len(body)}",
    ]
    if spec.idempotency_keys:
        head.append(f"Idempotency-Key: {spec.key_prefix}-order-{order_id}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def run(spec: Spec) -> dict:
    totals = Totals()
    window: dict = {"by_status": {}, "latencies": [], "succeeded": 0}
    phase = "warmup"  # warmup -> window -> drain
    orders = itertools.cycle(spec.orders) if spec.cycle_orders else iter(spec.orders)
    exhausted = False
    errors_sample: list[str] = []

    async def user(delay: float) -> None:
        nonlocal exhausted
        conn = Connection(spec.host, spec.port)
        # Users start spread over the ramp-up, not all at the same instant: with Stripe's
        # latency constant, a synchronised start would keep every request in one wave for
        # the whole run (a thundering herd no real client population makes).
        await asyncio.sleep(delay)
        try:
            while phase != "drain":
                try:
                    order_id, token_index = next(orders)
                except StopIteration:
                    exhausted = True
                    return
                raw = build_request(spec, order_id, spec.tokens[token_index])
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(spec.request_timeout_seconds):
                        status, body = await conn.request(raw)
                    label = str(status)
                except (OSError, asyncio.IncompleteReadError, TimeoutError, RuntimeError) as exc:
                    conn.close()
                    status, body, label = 0, b"", f"client_{exc.__class__.__name__}"
                    if len(errors_sample) < 5:
                        errors_sample.append(repr(exc))
                elapsed = time.perf_counter() - started
                ok = status == 201 and b'"state":"succeeded"' in body
                if status >= 400 and len(errors_sample) < 5:
                    errors_sample.append(body[:300].decode(errors="replace"))
                totals.sent += 1
                totals.by_status[label] = totals.by_status.get(label, 0) + 1
                totals.succeeded += ok
                # A request belongs to the window if it was answered within it.
                if phase == "window":
                    window["by_status"][label] = window["by_status"].get(label, 0) + 1
                    window["latencies"].append(elapsed)
                    window["succeeded"] += ok
        finally:
            conn.close()

    cpu0 = _cpu()
    print("WARMUP_START", flush=True)
    ramp = min(1.0, spec.warmup_seconds / 2)
    tasks = [
        asyncio.create_task(user(ramp * i / spec.concurrency)) for i in range(spec.concurrency)
    ]
    await asyncio.sleep(spec.warmup_seconds)
    phase = "window"
    window_cpu0 = _cpu()
    window_started = time.perf_counter()
    print("WINDOW_START", flush=True)
    await asyncio.sleep(spec.duration_seconds)
    phase = "drain"
    window_seconds = time.perf_counter() - window_started
    window_cpu = _cpu() - window_cpu0
    print("WINDOW_END", flush=True)
    await asyncio.gather(*tasks)
    latencies = sorted(window["latencies"])
    return {
        "window_seconds": window_seconds,
        "window": {
            "requests": len(latencies),
            "succeeded": window["succeeded"],
            "by_status": window["by_status"],
            "latency_ms": {
                "p50": _percentile(latencies, 50),
                "p95": _percentile(latencies, 95),
                "p99": _percentile(latencies, 99),
                "p99.9": _percentile(latencies, 99.9),
                "max": latencies[-1] * 1000 if latencies else None,
                "slowest": [round(v * 1000, 1) for v in latencies[-10:]],
                "mean": sum(latencies) / len(latencies) * 1000 if latencies else None,
            },
        },
        "totals": {
            "sent": totals.sent,
            "succeeded": totals.succeeded,
            "by_status": totals.by_status,
        },
        "exhausted": exhausted,
        "loadgen_cpu_seconds": {"window": window_cpu, "total": _cpu() - cpu0},
        "errors_sample": errors_sample,
    }


def _percentile(sorted_values: list[float], pct: float) -> float | None:
    if not sorted_values:
        return None
    # nearest-rank
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1] * 1000


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as f:
        raw = json.load(f)
    raw["orders"] = [tuple(o) for o in raw["orders"]]
    spec = Spec(**raw)
    try:
        import uvloop

        result = uvloop.run(run(spec))
    except ImportError:  # pragma: no cover
        result = asyncio.run(run(spec))
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
