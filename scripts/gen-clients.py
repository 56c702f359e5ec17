#!/usr/bin/env python3
"""`make clients`: the clients generated from the OpenAPI.

clients/openapi.json is /openapi.json as the code makes it (no server needed);
clients/python is what openapi-python-client (with clients/python-client.yaml) generates from
it, and clients/typescript/orderpay.d.ts what openapi-typescript does (the types of the js
examples; `npm ci` in clients/typescript installs it). `--check` regenerates them into a
temporary directory and fails when they differ from the committed ones
(tests/contract/test_the_docs_pages_are_generated.py runs it).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "clients"
BIN = Path(sys.executable).parent


def openapi_json() -> str:
    from orderpay.api.app import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"


def generate(target: Path) -> None:
    """clients/openapi.json and clients/python under `target`."""
    target.mkdir(parents=True, exist_ok=True)
    spec = target / "openapi.json"
    spec.write_text(openapi_json())
    output = target / "python"
    if output.exists():
        shutil.rmtree(output)
    # openapi-python-client formats what it writes with the ruff beside it.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--config",
            str(CLIENTS / "python-client.yaml"),
            "--meta",
            "setup",
            "--output-path",
            str(output),
            "--fail-on-warning",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(output / ".ruff_cache", ignore_errors=True)
    typescript = CLIENTS / "typescript"
    if not (typescript / "node_modules" / ".bin" / "openapi-typescript").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=typescript, check=True
        )
    (target / "typescript").mkdir(exist_ok=True)
    subprocess.run(
        [
            str(typescript / "node_modules" / ".bin" / "openapi-typescript"),
            str(spec),
            "-o",
            str(target / "typescript" / "orderpay.d.ts"),
            "--default-non-nullable",
            "false",
        ],
        check=True,
        capture_output=True,
    )


def differences(left: Path, right: Path) -> list[str]:
    found = []
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found += [f"only in {left}: {name}" for name in comparison.left_only]
    found += [f"only in {right}: {name}" for name in comparison.right_only]
    found += [str(left / name) for name in comparison.diff_files]
    for name in comparison.common_dirs:
        found += differences(left / name, right / name)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed ones differ")
    args = parser.parse_args()
    if not args.check:
        generate(CLIENTS)
        print(f"wrote {CLIENTS}: openapi.json, python/, typescript/orderpay.d.ts")
        return 0
    with tempfile.TemporaryDirectory() as directory:
        fresh = Path(directory)
        generate(fresh)
        found = differences(CLIENTS / "python", fresh / "python")
        for name in ("openapi.json", "typescript/orderpay.d.ts"):
            if (CLIENTS / name).read_text() != (fresh / name).read_text():
                found.append(str(CLIENTS / name))
    if found:
        print("The committed client is not what the OpenAPI generates; run `make clients`:")
        print("\n".join(f"  {line}" for line in found))
        return 1
    print("clients/ is what the OpenAPI generates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
