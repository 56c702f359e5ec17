"""Properties of the request parsers, driven directly with Hypothesis: the form decoder
(api/forms.decode_form), the JSON:API helpers (api/documents) and each feature's schemas
either return a well-formed value or refuse with a JSON:API 4xx error, whatever they are
given; and a form of a document decodes back to that document.

(tests/api/test_random_requests_never_500.py sends the same kind of input through HTTP.)
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orderpay.api.documents import (
    MAX_DOCUMENT_DEPTH,
    integer,
    parse_id,
    pointer_token,
    relationship_id,
)
from orderpay.api.forms import FormDecodeError, FormTooDeep, decode_form
from orderpay.errors import OrderpayError
from orderpay.money import MAX_CHARGE_CENTS
from orderpay.orders import schemas as orders_schemas
from orderpay.payments import schemas as payments_schemas
from orderpay.refunds import schemas as refunds_schemas
from tests.support.forms import bracketed_pairs
from tests.support.strategies import (
    form_keys,
    json_values,
    mutated,
    property_settings,
    scalars,
    texts,
)

# Pure Python: a few hundred examples cost about a second each (on an idle machine).
SETTINGS = property_settings(max_examples=200)


def depth(node: Any) -> int:
    if isinstance(node, dict):
        return 1 + max((depth(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((depth(v) for v in node), default=0)
    return 0


def assert_a_4xx(error: OrderpayError) -> None:
    assert 400 <= error.status < 500, error
    for item in error.all_errors():
        rendered = item.to_json()
        assert rendered["status"] == str(item.status)
        assert re.fullmatch(r"[a-z0-9_]+", rendered["code"]), rendered
        assert rendered["title"] and rendered["detail"], rendered
        if item.pointer is not None:
            assert item.pointer == "" or item.pointer.startswith("/"), rendered


# -- the form decoder ---------------------------------------------------------------------


@SETTINGS
@given(st.lists(st.tuples(form_keys(), texts()), max_size=8))
def test_decode_form_gives_a_document_or_a_form_error(pairs):
    try:
        document = decode_form(pairs, max_depth=MAX_DOCUMENT_DEPTH)
    except FormTooDeep:
        assert any(key.count("[") >= MAX_DOCUMENT_DEPTH for key, _ in pairs)
        return
    except FormDecodeError:
        return
    assert isinstance(document, dict)
    assert depth(document) <= MAX_DOCUMENT_DEPTH
    leaves = {value for _, value in pairs}

    def check(node):
        if isinstance(node, dict):
            assert all(isinstance(k, str) for k in node)
            for child in node.values():
                check(child)
        elif isinstance(node, list):
            for child in node:
                check(child)
        else:
            assert node in leaves

    check(document)


# Member names a form can carry as they are: no brackets, not empty (`[]` appends), and not
# ASCII digits alone (an index). Non-ASCII digits ("²", "١") are names.
names = st.sampled_from(["type", "id", "²", "١٢", "a b", "é"]) | st.text(
    st.characters(exclude_characters="[]", exclude_categories=["Cs"]), min_size=1, max_size=6
).filter(lambda name: not (name.isascii() and name.isdigit()))


def documents(max_depth: int) -> st.SearchStrategy[dict]:
    """Objects and non-empty lists with text leaves, at most `max_depth` levels deep."""
    leaves = st.text(st.characters(exclude_categories=["Cs"]), max_size=5)

    def level(remaining: int):
        if remaining == 1:
            return st.dictionaries(names, leaves, min_size=1, max_size=3)
        child = leaves | level(remaining - 1)
        return st.dictionaries(names, child, min_size=1, max_size=3) | st.lists(
            child, min_size=1, max_size=3
        )

    return st.dictionaries(names, leaves | level(max_depth - 1), min_size=1, max_size=3)


@SETTINGS
@given(
    documents(max_depth=6)
    | documents(max_depth=MAX_DOCUMENT_DEPTH).filter(lambda d: depth(d) <= MAX_DOCUMENT_DEPTH)
)
def test_the_indexed_form_of_a_document_decodes_to_it(document):
    assert decode_form(bracketed_pairs(document), max_depth=MAX_DOCUMENT_DEPTH) == document


@SETTINGS
@given(
    names,
    st.lists(st.text(max_size=4), min_size=1, max_size=4),
    st.lists(
        st.dictionaries(names, st.text(max_size=4), min_size=1, max_size=3), min_size=1, max_size=4
    ),
)
def test_the_append_form_of_a_list_decodes_to_it(name, texts_, objects):
    # `name[]=a&name[]=b`; and `name[][x]=…&name[][y]=…` per object, every object with the
    # same members in the same order (a repeated member starts the next object).
    fields = list(objects[0])
    objects = [{f: o.get(f, "") for f in fields} for o in objects]
    pairs = [(f"{name}[]", t) for t in texts_]
    pairs += [(f"{name}2[][{f}]", o[f]) for o in objects for f in fields]

    document = decode_form(pairs, max_depth=MAX_DOCUMENT_DEPTH)

    assert document == {name: texts_, f"{name}2": objects}


# -- JSON:API helpers ---------------------------------------------------------------------


@SETTINGS
@given(st.text())
def test_pointer_token_is_one_reference_token_of_the_name(name):
    token = pointer_token(name)
    assert "/" not in token
    assert token.replace("~1", "/").replace("~0", "~") == name


@SETTINGS
@given(st.text() | st.sampled_from(["0", "7", "007", "9" * 18, "9" * 19, "²", "١", "-1"]))
def test_parse_id_is_one_of_our_ids_or_none(raw):
    parsed = parse_id(raw)
    if parsed is not None:
        assert raw.isascii() and raw.isdigit() and len(raw) <= 18
        assert int(raw) == parsed < 2**63


@SETTINGS
@given(scalars() | json_values(max_leaves=3, deep=False))
def test_integer_is_an_integer_in_range_or_a_422(value):
    try:
        result = integer(value, "/data/attributes/x", lo=1, hi=MAX_CHARGE_CENTS, code="bad")
    except OrderpayError as error:
        assert error.status == 422 and error.code == "bad"
        assert error.pointer == "/data/attributes/x"
        return
    assert type(result) is int and 1 <= result <= MAX_CHARGE_CENTS
    if isinstance(value, str):
        assert re.fullmatch(r"-?[0-9]+", value.strip()) and int(value.strip()) == result
    else:
        assert value == result and not isinstance(value, bool)


@SETTINGS
@given(json_values(max_leaves=8, deep=False), st.sampled_from(["order", "payment", "business"]))
def test_relationship_id_is_a_non_empty_string_or_a_4xx(relationships, name):
    if not isinstance(relationships, dict):
        relationships = {name: relationships}
    try:
        rel_id = relationship_id(relationships, name, name, missing_code="missing")
    except OrderpayError as error:
        assert_a_4xx(error)
        return
    assert isinstance(rel_id, str) and rel_id


# -- each feature's request schema --------------------------------------------------------


VALID_DATA = {
    "orders": {
        "type": "orders",
        "attributes": {
            "elements": [{"product_id": "1", "quantity": 2}],
            "shipping_cost_cents": 300,
            "notes": "no onions",
        },
        "relationships": {"business": {"data": {"type": "businesses", "id": "1"}}},
    },
    "reject": {
        "type": "orders",
        "id": "1",
        "attributes": {"reject_reason": "other", "other_rejection_reason": "closed"},
    },
    "payments": {
        "type": "payments",
        "attributes": {"stripe_token": "pm_card_visa"},
        "relationships": {"order": {"type": "order", "id": "1"}},
    },
    "refunds": {
        "type": "refunds",
        "attributes": {"amount_cents": 500, "reason": "requested_by_customer"},
        "relationships": {"payment": {"data": {"type": "payments", "id": "1"}}},
    },
}


def request_documents(endpoint: str) -> st.SearchStrategy[dict]:
    """What read_document hands a schema: an object whose `data` is an object; here mostly
    the valid one mutated, or anything at all."""
    valid = {"data": VALID_DATA[endpoint]}
    anything = st.builds(
        lambda data, meta: {"data": data, "meta": meta},
        st.dictionaries(texts(), json_values(6, deep=False), max_size=5),
        json_values(4, deep=False),
    )
    return (mutated(valid, deep=False) | anything).filter(lambda d: isinstance(d.get("data"), dict))


def parse(endpoint: str, document: dict):
    if endpoint == "orders":
        return orders_schemas.parse_create(document)
    if endpoint == "reject":
        return orders_schemas.parse_reject(document, "1")
    if endpoint == "payments":
        return payments_schemas.parse_create(document)
    return refunds_schemas.parse_create(document)


@SETTINGS
@given(st.one_of([st.tuples(st.just(e), request_documents(e)) for e in sorted(VALID_DATA)]))
def test_schemas_give_a_well_formed_request_or_a_4xx(endpoint_and_document):
    endpoint, document = endpoint_and_document
    try:
        parsed = parse(endpoint, document)
    except OrderpayError as error:
        assert_a_4xx(error)
        return
    if endpoint == "orders":
        assert parsed.business_id is None or 0 <= parsed.business_id < 2**63
        assert 1 <= len(parsed.lines) <= 100
        assert all(1 <= line.quantity <= 99 and line.product_id >= 0 for line in parsed.lines)
        assert 0 <= parsed.shipping_cost_cents <= 1_000_000
        assert parsed.notes is None or (isinstance(parsed.notes, str) and len(parsed.notes) <= 2000)
    elif endpoint == "reject":
        reason, other = parsed
        assert reason in (
            "other",
            "dishes_unavailable",
            "kitchen_full",
            "no_delivery_person",
            "almost_closing_time",
        )
        assert other is None or isinstance(other, str)
    elif endpoint == "payments":
        order_id, source = parsed
        assert order_id is None or 0 <= order_id < 2**63
        assert (source.stripe_token is None) != (source.saved_payment_method_id is None)
        for value in (source.stripe_token, source.saved_payment_method_id):
            assert value is None or (isinstance(value, str) and 0 < len(value) <= 255)
    else:
        assert parsed.payment_id is None or 0 <= parsed.payment_id < 2**63
        assert parsed.amount_cents is None or 1 <= parsed.amount_cents <= MAX_CHARGE_CENTS
        assert parsed.reason in (None, "requested_by_customer", "duplicate", "fraudulent")
