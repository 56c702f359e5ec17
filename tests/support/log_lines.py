"""Reading a server's JSON log: one object per line, nothing else."""

from __future__ import annotations

import json
from typing import Any


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line of *output* as a JSON object (a line that is not one fails the test)."""
    lines = []
    for number, line in enumerate(output.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from None
        assert isinstance(value, dict), f"line {number} is not a JSON object: {line!r}"
        lines.append(value)
    return lines


def lines_of_request(lines: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("request_id") == request_id]
