"""Decoding of form bodies with bracketed keys into the JSON document they stand for.

The original Create Payment documentation marks its members *formData*, so clients may send
`data[attributes][stripe_token]=pm_…` or `data[attributes][elements][][product_id]=3`
(Rack/PHP conventions). This turns such pairs into `{"data": {"attributes": {...}}}`.
"""

from __future__ import annotations

import re
from typing import Any

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class FormDecodeError(ValueError):
    pass


class FormTooDeep(FormDecodeError):
    """A key names more levels than the caller allows."""


def _split_key(key: str, max_depth: int) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not head:
        raise FormDecodeError(f"form key {key!r:.100} has no name")
    if not bracket:
        return [head]
    rest = "[" + rest
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        raise FormDecodeError(f"form key {key!r:.100} is not of the form name[a][b]")
    # Each name is one level of the document: `data[type]` makes the document and `data`.
    if 1 + len(segments) > max_depth:
        raise FormTooDeep(f"form key {key!r:.100} nests more than {max_depth} levels")
    return [head, *segments]


_APPEND = object()  # marks a list built from `[]` segments


def _insert(container: dict[str, Any], path: list[str], value: Any, key: str) -> None:
    node: Any = container
    for i, segment in enumerate(path):
        last = i == len(path) - 1
        if segment == "":
            # `name[]...`: an array; `name[][field]` fills the last element until a field repeats.
            if not isinstance(node, _AppendList):
                raise FormDecodeError(f"form key {key!r:.100} mixes array and object forms")
            if last:
                node.append(value)
                return
            nxt = path[i + 1]
            if not node or not isinstance(node[-1], dict) or nxt in node[-1] or nxt == "":
                node.append({})
            node = node[-1]
            continue
        if not isinstance(node, dict):
            raise FormDecodeError(f"form key {key!r:.100} conflicts with another key")
        if last:
            if segment in node:
                raise FormDecodeError(f"form key {key!r:.100} is given twice")
            node[segment] = value
            return
        child_is_list = path[i + 1] == ""
        if segment not in node:
            node[segment] = _AppendList() if child_is_list else {}
        node = node[segment]


class _AppendList(list[Any]):
    pass


def _is_index(segment: str) -> bool:
    # ASCII digits only: str.isdigit() also takes "²" and "١", which are member names here
    # (and which int() refuses or reads as another number).
    return segment.isascii() and segment.isdigit()


def _index_order(segment: str) -> tuple[int, str]:
    """Numeric order of an index without int(), which refuses more than 4,300 digits: by
    length once leading zeros are gone, then by digits. An index only orders the elements."""
    digits = segment.lstrip("0")
    return len(digits), digits


def _finish(node: Any) -> Any:
    """Turn `{"0": …, "1": …}` into lists (indexed form) and plain-list the append lists."""
    if isinstance(node, list):
        return [_finish(v) for v in node]
    if isinstance(node, dict):
        if node and all(_is_index(k) for k in node):
            return [_finish(node[k]) for k in sorted(node, key=_index_order)]
        return {k: _finish(v) for k, v in node.items()}
    return node


def decode_form(pairs: list[tuple[str, Any]], *, max_depth: int) -> Any:
    """The document the pairs stand for; FormDecodeError (FormTooDeep for a key naming more
    than `max_depth` levels, the document itself included) when they stand for none. Like
    decoded JSON, not always an object: keys that are all indexes (`0=…&1=…`) are a list."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        _insert(document, _split_key(key, max_depth), value, key)
    # A list when every top-level key is an index (`0=a&1=b`): the caller refuses it.
    finished: dict[str, Any] | list[Any] = _finish(document)
    return finished
