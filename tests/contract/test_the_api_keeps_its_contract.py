"""Schemathesis against the running server, on each database: every operation of
/openapi.json, its examples, the coverage phase's boundary and invalid cases, positive and
negative fuzzing, and stateful sequences along the documented links (create order → pay →
read → refund); every check, so 0 server errors and 0 responses that do not match the
documented statuses, media types, headers and schemas.

Seeded and bounded (`MAX_EXAMPLES` per operation and phase, deterministic generation): the
same cases on every run, about 40 s per database. Set SCHEMATHESIS_EXAMPLES=500 in the
environment to hunt for longer.

Ids and payment sources come from a small world made first (tests/support/fuzz.py), so that
positive cases reach real code paths (orders paid, refunds made), not only refusals.
Exclusions, each with its reason: `positive_data_acceptance` is replaced by a stricter check
of our own (tests/support/schemathesis_hooks.py); nothing else is excluded.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from tests.support import fuzz

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).parent / "st"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 50))
SEED = 20260504
METHODS = {"GET", "POST", "PATCH", "DELETE"}


async def test_schemathesis_finds_no_server_error_and_no_undocumented_response(any_site, tmp_path):
    world = await fuzz.seed_world(any_site)
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        fuzz.config(world, seed=SEED, max_examples=MAX_EXAMPLES, report_dir=str(tmp_path))
    )
    junit = tmp_path / "junit.xml"
    command = [
        str(ST),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{any_site.url}/openapi.json",
        "--workers",
        "1",
        # Test tokens only: show them, so that a failure can be reproduced from the output.
        "--output-sanitize",
        "false",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
        "ORDERPAY_FUZZ_WORLD": world.json(),
    }

    run = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=600
    )

    summary = run.stdout[run.stdout.find("SUMMARY") :]
    phases = run.stdout[run.stdout.find("Examples (") : run.stdout.find("SUMMARY")]
    print(f"schemathesis on {any_site.database_url.split(':', 1)[0]}:\n{phases}{summary}")
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    tests = ElementTree.parse(junit).getroot()
    names = {case.get("name") for case in tests.iter("testcase")}
    operations = {name for name in names if name.split(" ")[0] in METHODS}
    assert len(operations) == 15, sorted(names)  # 14, and GET /readyz (issue 11)
    assert "15 selected / 15 total" in run.stdout
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in summary, summary
