"""Hypothesis strategies for what clients may send: JSON values, form keys, and valid
documents mutated at random; and the settings every property test runs with."""

from __future__ import annotations

import copy
import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def property_settings(max_examples: int) -> settings:
    """Reproducible (derandomize: the same examples on every run and machine, no example
    database) and bounded (the suite's time budget); no deadline, since one example is a
    few database round trips whose time depends on the machine's load. The fixtures of a
    test (its database and the scene in it) are shared by its examples on purpose: each
    example checks what it changed, not the state it started from.

    To hunt for more than the suite's budget allows, run the property tests with
    PROPERTY_EXAMPLES=5000 (examples per test) in the environment."""
    return settings(
        max_examples=int(os.environ.get("PROPERTY_EXAMPLES", max_examples)),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def nested(levels: int) -> list:
    """`levels` arrays, each inside the previous one."""
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


# Text that tripped, or could trip, a parser, a database or Stripe.
INTERESTING_TEXT = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "01",
    "1.5",
    "1e3",
    "--5",
    "²",
    "١٢",
    "٣",
    "Ⅻ",
    "9" * 19,
    "9" * 5000,
    "\x00",
    "a\x00b",
    "pm_\x00",
    "pm_",
    "tok_",
    "src_",
    "card_",
    "pm_card_visa",
    "pm_" + "a" * 300,
    "order",
    "orders",
    "payment",
    "payments",
    "business",
    "businesses",
    "refunds",
    "cards",
    "users",
    "kitchen_full",
    "other",
    "requested_by_customer",
    "[]",
    "[0]",
    "a[b]",
    "~0",
    "~1/",
    "/",
    "\ud800",
    "\u2028",
    "é",
    "🙂",
    "null",
    "true",
    "{}",
]
INTERESTING_NUMBERS = [
    0,
    1,
    -1,
    99,
    100,
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    -(2**63),
    99_999_999,
    100_000_000,
    1.5,
    -0.0,
    1e308,
    1e-300,
]


def texts() -> st.SearchStrategy[str]:
    return st.sampled_from(INTERESTING_TEXT) | st.text(max_size=12)


def scalars() -> st.SearchStrategy[Any]:
    return (
        st.none()
        | st.booleans()
        | st.sampled_from(INTERESTING_NUMBERS)
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | texts()
    )


def json_values(max_leaves: int = 12, *, deep: bool = True) -> st.SearchStrategy[Any]:
    """Any JSON value orjson encodes: integers within 64 bits, finite floats, no lone
    surrogates (orjson refuses them both ways), and (`deep`) deep nestings now and then."""
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**63), max_value=2**64 - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.sampled_from([t for t in INTERESTING_TEXT if "\ud800" not in t])
        | st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
    )
    if deep:
        # Built afresh for each draw: a mutation may change what it was given.
        leaves |= st.sampled_from([31, 32, 33, 40, 300]).map(nested)
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(["type", "id", "data", "attributes", "relationships", "0"])
                | st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
                children,
                max_size=4,
            )
        ),
        max_leaves=max_leaves,
    )


def segments() -> st.SearchStrategy[str]:
    """What may stand between brackets in a form key."""
    return st.sampled_from(
        ["", "0", "1", "10", "007", "9" * 40, "²", "١", "a", "type", "id", "data", "x y"]
    ) | st.text(st.characters(exclude_characters="[]", exclude_categories=["Cs"]), max_size=6)


@st.composite
def form_keys(draw, heads=None) -> str:
    """Bracketed keys, mostly well formed (`name[a][]`), sometimes deep, sometimes not."""
    head = draw(heads or st.sampled_from(["data", "meta", "meta", "x", "²"]))
    key = head + "".join(f"[{s}]" for s in draw(st.lists(segments(), max_size=5)))
    shape = draw(st.sampled_from(["plain"] * 6 + ["deep", "broken"]))
    if shape == "deep":
        key += "[a]" * draw(st.sampled_from([30, 31, 32, 40, 1500]))
    elif shape == "broken":
        key = draw(st.sampled_from([key + "[", key + "]", "[" + key, key + "[a]b", "", "[]"]))
    return key


# Characters that a parser, a database or Stripe may take badly, put into a valid value.
NASTY_CHARACTERS = [
    "\x00",
    "\x00",
    "\ud800",
    "²",
    "١",
    "\u2028",
    " ",
    "/",
    "?",
    "%",
    "~",
    "é",
    "🙂",
]


@st.composite
def nasty_variants(draw, original: Any) -> Any:
    """A value close to a valid one: its text with a nasty character in it, cut short,
    repeated long, or another number's text; or something else entirely."""
    text = str(original)
    how = draw(st.sampled_from(["insert", "insert", "cut", "long", "number", "other"]))
    if how == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(NASTY_CHARACTERS)) + text[at:]
    if how == "cut":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if how == "long":
        return text + text[-1:] * draw(st.sampled_from([255, 300, 5000]))
    if how == "number":
        return draw(st.sampled_from(INTERESTING_NUMBERS) | st.sampled_from(INTERESTING_TEXT))
    return draw(scalars() | json_values(max_leaves=4, deep=False))


@st.composite
def form_pairs(draw, valid: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Pairs of a valid form, some dropped, some changed, some added."""
    pairs = list(valid or [])
    if pairs and draw(st.booleans()):
        pairs = [p for p in pairs if draw(st.integers(0, 5))]  # drop about one in six
    for i in range(len(pairs)):
        if draw(st.integers(0, 5)) == 0:
            pairs[i] = (pairs[i][0], str(draw(nasty_variants(pairs[i][1]))))
    extra = (
        draw(st.lists(st.tuples(form_keys(), texts()), max_size=2))
        if draw(st.integers(0, 2)) == 0
        else []
    )
    for pair in extra:
        pairs.insert(draw(st.integers(0, len(pairs))), pair)
    return pairs


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every member and item of a document, the document's own first."""
    found = [path]
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _paths(child, (*path, i))
    return found


def _at(document: Any, path: tuple) -> Any:
    for step in path:
        document = document[step]
    return document


@st.composite
def mutated(draw, document: dict, *, deep: bool = True) -> dict:
    """`document` with up to three changes: a value made nasty (see nasty_variants) or
    replaced by anything, a member or item removed, or one added."""
    others = scalars() | json_values(max_leaves=6, deep=deep)
    document = copy.deepcopy(document)
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3]))):
        paths = _paths(document)
        leaves = [p for p in paths if not isinstance(_at(document, p), dict | list)]
        # Values more often than structure: most rules are about values.
        path = draw(st.sampled_from(leaves or paths) | st.sampled_from(paths))
        if not path:
            document[draw(texts())] = draw(others)
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        key, value = path[-1], parent[path[-1]]
        operation = draw(st.sampled_from(["nasty", "nasty", "nasty", "other", "remove", "add"]))
        if operation == "nasty" and not isinstance(value, dict | list):
            parent[key] = draw(nasty_variants(value))
        elif operation == "remove":
            del parent[key]
        elif operation == "add" and isinstance(value, dict):
            value[draw(texts())] = draw(others)
        elif operation == "add" and isinstance(value, list):
            value.insert(draw(st.integers(0, len(value))), draw(others))
        else:
            parent[key] = draw(others)
    return document
