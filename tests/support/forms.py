"""Form bodies as clients send them: `application/x-www-form-urlencoded` and
`multipart/form-data`, with the bracketed keys API.md describes."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

URLENCODED = "application/x-www-form-urlencoded"


# Lone surrogates (which no UTF-8 text holds) are sent as the bytes a careless client would
# send for them, rather than making the test fail to encode its own request.
def urlencoded(pairs: list[tuple[str, str]]) -> tuple[bytes, str]:
    """The pairs percent-encoded, as a browser sends them (repeated keys kept, in order)."""
    return urlencode(pairs, errors="surrogatepass").encode(), URLENCODED


def multipart(pairs: list[tuple[str, str]], *, boundary: str = "") -> tuple[bytes, str]:
    """A multipart/form-data body of plain fields (repeated keys kept, in order). A name
    that is a tuple (name, filename) makes that part a file."""
    boundary = boundary or uuid.uuid4().hex
    parts = []
    for name, value in pairs:
        disposition = f'form-data; name="{name}"'
        if isinstance(name, tuple):
            disposition = f'form-data; name="{name[0]}"; filename="{name[1]}"'
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n")
    parts.append(f"--{boundary}--\r\n")
    body = "".join(parts).encode("utf-8", "surrogatepass")
    return body, f"multipart/form-data; boundary={boundary}"


def bracketed_pairs(document: dict, prefix: str = "") -> list[tuple[str, str]]:
    """The form pairs standing for a JSON document: `{"data": {"type": "x"}}` is
    `[("data[type]", "x")]`; list items get their index (`elements[0][quantity]`); numbers
    become their text, as a form carries them. Empty objects and lists have no pairs."""
    pairs: list[tuple[str, str]] = []
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for key, value in items:
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, dict | list):
            pairs += bracketed_pairs(value, name)
        else:
            pairs.append((name, str(value)))
    return pairs
