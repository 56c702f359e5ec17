"""`python -m orderpay.apidocs [--check] [--out docs/api]`: write docs/api/, or check it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orderpay.apidocs import pages

DEFAULT = Path(__file__).resolve().parents[3] / "docs" / "api"


def main() -> int:
    parser = argparse.ArgumentParser(description="The API's pages, from its OpenAPI.")
    parser.add_argument("--out", type=Path, default=DEFAULT)
    parser.add_argument("--check", action="store_true", help="fail if a page differs")
    args = parser.parse_args()
    generated = pages()
    if args.check:
        stale = [
            name
            for name, text in generated.items()
            if not (args.out / name).exists() or (args.out / name).read_text() != text
        ]
        stale += [p.name for p in args.out.glob("*.md") if p.name not in generated]
        if stale:
            print(f"docs/api differs from the OpenAPI in {', '.join(stale)}: run `make docs`.")
            return 1
        print(f"docs/api: {len(generated)} pages, as the OpenAPI makes them")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in generated.items():
        (args.out / name).write_text(text)
    print(f"wrote {len(generated)} pages to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
