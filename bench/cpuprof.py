"""A CPU-time sampling profiler for one server process.

Why not only py-spy: on a 2-core machine that the server shares with PostgreSQL, the Stripe
stub and the load generator, a wall-clock sampler counts the time a worker is runnable but
not running (preempted right after writing to a socket, which wakes the process that reads
it) as if it were CPU spent on that line: socket writes look hot. This sampler is driven by
ITIMER_PROF, which ticks with the process's own CPU time (user + system), so each sample
stands for the same amount of CPU actually spent.

    python -m bench.cpuprof OUT.txt -m orderpay serve --workers 1 --port 8000

runs the module with the sampler armed; SIGUSR1 starts sampling, SIGUSR2 stops it and writes
the samples to OUT.txt as collapsed stacks ("frame;frame;... count", the format of py-spy's
raw output and flamegraph.pl), which bench/profile.py summarises. SQLAlchemy's greenlets are
stitched back onto the coroutine that spawned them, so SQL compilation is charged to the
step that ran it.
"""

from __future__ import annotations

import collections
import runpy
import signal
import sys

INTERVAL = 0.001  # seconds of CPU per sample

_samples: collections.Counter[tuple[str, ...]] = collections.Counter()
_out_path = ""


def _frames(frame) -> list[str]:
    out = []
    while frame is not None:
        code = frame.f_code
        out.append(f"{code.co_qualname} ({code.co_filename}:{frame.f_lineno})")
        frame = frame.f_back
    return out


def _on_tick(_signum, frame) -> None:
    stack = _frames(frame)
    greenlet = sys.modules.get("greenlet")
    if greenlet is not None:
        current = greenlet.getcurrent()
        parent = current.parent
        while parent is not None:
            stack.extend(_frames(parent.gr_frame))
            parent = parent.parent
    _samples[tuple(reversed(stack))] += 1


def _start(_signum, _frame) -> None:
    _samples.clear()
    signal.signal(signal.SIGPROF, _on_tick)
    signal.siginterrupt(signal.SIGPROF, False)  # SA_RESTART: no EINTR for the event loop
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)


def _stop(_signum, _frame) -> None:
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    with open(_out_path, "w") as f:
        for stack, count in _samples.most_common():
            f.write(";".join(stack) + f" {count}\n")


def main() -> None:
    global _out_path
    _out_path = sys.argv[1]
    if sys.argv[2] != "-m":
        raise SystemExit("usage: python -m bench.cpuprof OUT.txt -m MODULE [ARGS...]")
    module = sys.argv[3]
    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _stop)
    sys.argv = [module, *sys.argv[4:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
