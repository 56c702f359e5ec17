"""Where a payment's CPU goes: a CPU-time profile of one server worker during the measured
window, summarised by package (self time of the innermost Python frame) and by the
orderpay steps it passes through (inclusive time).

`make bench` (scenario p; alone: `python -m bench --only p`) records it with
bench/cpuprof.py (samples by CPU time, so preemption on a busy 2-core machine is not
mistaken for work); a py-spy recording (`py-spy record -f raw`, wall-clock samples) is
summarised the same way: `python -m bench.profile FILE`.
"""

from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")

# Inclusive time of these frames: the steps of one payment.
STEPS = {
    "RequestContextMiddleware.__call__ (orderpay/api/app.py)": "whole request below our middleware",
    "create_payment (orderpay/payments/endpoints.py)": "the endpoint function",
    "read_document (orderpay/api/documents.py)": "read and parse the JSON:API body",
    "PaymentCreation._begin (orderpay/payments/create.py)": "transaction 1 (any path)",
    "PaymentCreation._charge (orderpay/payments/create.py)": "Stripe: create + confirm",
    "StripeClient.raw_request_async (stripe/_stripe_client.py)": "  in the stripe SDK",
    "ClientSession._request (aiohttp/client.py)": "    of which aiohttp",
    "PaymentCreation._record_outcome_in_one_statement (orderpay/payments/create.py)": (
        "transaction 2 (one statement, PostgreSQL)"
    ),
    "PaymentCreation._record_outcome (orderpay/payments/create.py)": "transaction 2 (general path)",
    "render_outcome (orderpay/payments/schemas.py)": "render the payment document",
    "greenlet_spawn (sqlalchemy/util/concurrency.py)": "all SQL through SQLAlchemy",
    "Database.autocommit (orderpay/db.py)": "  pool checkout and return",
}


def package_of(path: str) -> str:
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1 :]
        return rest[0] if rest else "?"
    if "orderpay" in parts:
        return "orderpay"
    if len(parts) == 1 and path.endswith(".py"):
        return parts[0].removesuffix(".py")
    for marker in ("python3.11", "python3.12", "python3.13", "lib"):
        if marker in parts:
            return "stdlib:" + parts[parts.index(marker) + 1].removesuffix(".py")
    return parts[0] if parts[0] else "?"


def summarize(raw: str) -> dict:
    total = 0
    by_package: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = []
        for frame in stack.split(";"):
            m = FRAME.match(frame)
            if m is None:
                frames.append((frame, "?"))
                continue
            path = m.group("file")
            short = re.sub(r"^.*site-packages/", "", path)
            short = re.sub(r"^.*/src/", "", short)
            frames.append((f"{m.group('func')} ({short})", path))
        if not frames:
            continue
        for name in {f for f, _ in frames}:
            inclusive[name] += n
        name, path = frames[-1]
        leaf[name] += n
        by_package[package_of(path)] += n
    pct = (lambda n: round(100.0 * n / total, 1)) if total else (lambda n: 0.0)
    return {
        "samples": total,
        "self_by_package": {k: pct(v) for k, v in by_package.most_common(16)},
        "steps_inclusive": {
            f"{label} [{frame}]": pct(inclusive[frame]) for frame, label in STEPS.items()
        },
        "top_self": {k: pct(v) for k, v in leaf.most_common(25)},
        "top_inclusive": {k: pct(v) for k, v in inclusive.most_common(60)},
    }


def render(summary: dict) -> str:
    lines = [
        f"profile: {summary['samples']} samples of one worker, 1 sample per ms of CPU",
        "  self time by package:",
    ]
    lines += [f"    {v:5.1f}%  {k}" for k, v in summary["self_by_package"].items()]
    lines.append("  inclusive time of the payment's steps:")
    lines += [f"    {v:5.1f}%  {k}" for k, v in summary["steps_inclusive"].items()]
    lines.append("  hottest frames (self):")
    lines += [f"    {v:5.1f}%  {k}" for k, v in list(summary["top_self"].items())[:15]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(summarize(Path(sys.argv[1]).read_text())))
