"""Random requests, through the HTTP API, on both databases: valid documents mutated at
random, random documents and bytes, in JSON and in both form encodings, with random
Authorization, Idempotency-Key and Content-Type headers, ids and page parameters, to every
endpoint. Whatever the request:

- the answer is never a 5xx, and is a JSON:API document (an error document for a 4xx, with
  the members API.md requires);
- a missing or unknown token is 401;
- a refused request writes nothing: no row in orders, order_elements, payments, refunds,
  cards or idempotency_keys, and no call to Stripe. The exceptions are the refusals Stripe
  itself makes: a declined or refused payment attempt is kept (`meta.payment`, API.md), and
  a card Stripe refuses at attach has been sent to Stripe (`invalid_payment_source`, 402).

Stripe here is the recording stub (tests/support/stripe_stub.py), which counts every call.
(tests/api/test_bad_input_never_500.py holds what these found, as plain regression tests.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from tests.conftest import make_settings, running_api
from tests.support.forms import bracketed_pairs, multipart, urlencoded
from tests.support.jsonapi import JSONAPI
from tests.support.rows import row_counts
from tests.support.strategies import (
    form_pairs,
    json_values,
    mutated,
    property_settings,
    texts,
)
from tests.support.stripe_stub import StripeStub
from tests.support.world import World, make_world, paid_payment, saved_card, valid_document

# Each example is a few database round trips (about 25 ms on an idle machine): the three
# tests' 440 examples take about 12 s per database. PROPERTY_EXAMPLES=5000 hunts further.

BODY_PATHS = {
    "orders": "/api/v1/orders",
    "reject": "/api/v1/orders/{id}/reject",
    "cards": "/api/v1/cards",
    "payments": "/api/v1/payments",
    "refunds": "/api/v1/refunds",
}
# method, path, kind of the object in the path
READS = [
    ("GET", "/api/v1/orders", "order"),
    ("GET", "/api/v1/orders/{id}", "order"),
    ("GET", "/api/v1/orders/{id}/payments", "order"),
    ("GET", "/api/v1/cards", "card"),
    ("DELETE", "/api/v1/cards/{id}", "card"),
    ("GET", "/api/v1/payments/{id}", "payment"),
]
ANONYMOUS = [None, "Bearer op_unknown", "Bearer ", "Basic dXNlcjpwYXNz", "op_bare_token"]
CONTENT_TYPES = [
    JSONAPI,
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=B; charset=utf-7",
    "multipart/form-data; boundary=B; charset=idna",
    "multipart/form-data; boundary=B; charset=utf-16",
    "text/plain",
    "",
    None,
]
# Including codecs Python has that are no text encodings, or that decode to lone surrogates.
CHARSETS = ["utf-8", "UTF-8", "latin-1", "utf-16", "utf-7", "idna", "punycode", "rot13", "nope"]
IDEMPOTENCY_KEYS = [None, None, None, "key-1", "key-2", "", " ", "k" * 255, "k" * 256, "é".encode()]
# Responses in which Stripe refused, after being asked: the only refusals that may have
# called Stripe (cards) or written (a payment attempt is kept, with its key's response).
STRIPE_REFUSAL_CODES = {"invalid_payment_source"}


# Header values as bytes: what a client may put on the wire (printable Latin-1), which
# httpx would otherwise refuse to encode.
header_bytes = st.binary(max_size=40).map(
    lambda b: bytes(c for c in b if 0x20 <= c <= 0x7E or c >= 0xA0)
)


# A URL carries no lone surrogate.
query_texts = texts().filter(lambda t: "\ud800" not in t)


@pytest.fixture(scope="module")
def stripe_stub():
    with StripeStub() as stub:
        yield stub


@pytest.fixture
async def stub_api(database_url, stripe_stub):
    stripe_stub.reset()
    async with running_api(make_settings(database_url, stripe_stub.url), stripe_stub.url) as api:
        yield api


@dataclass
class Scene:
    api: Any
    stub: StripeStub
    worlds: list[World]
    ids: dict[str, list[str]]  # kind -> ids of existing objects (both worlds')

    def tokens(self) -> list[str]:
        people = [p for w in self.worlds for p in (w.customer, w.member)]
        return [p.headers["Authorization"] for p in people]


@pytest.fixture
async def scene(stub_api, stripe_stub) -> Scene:
    worlds = [await make_world(stub_api), await make_world(stub_api)]
    ids = {"order": [], "payment": [], "card": []}
    for world in worlds:
        ids["order"].append(world.order["id"])
        ids["payment"].append((await paid_payment(stub_api, world))["id"])
        ids["card"].append((await saved_card(stub_api, world.customer))["id"])
    return Scene(stub_api, stripe_stub, worlds, ids)


def path_ids(scene: Scene, kind: str) -> st.SearchStrategy[str]:
    known = scene.ids[kind] + scene.ids["order"]
    odd = ["0", "01", "999999999", "9" * 19, "9" * 5000, "-1", "1.5", "²", "١", " 1", "%00"]
    # Any text but `/` (another route), `.` and `..` (the client resolves them).
    text = st.text(st.characters(exclude_characters="/", exclude_categories=["Cs"]), min_size=1)
    return (st.sampled_from(known + odd) | text.filter(lambda t: t not in (".", ".."))).map(
        lambda i: quote(i, safe="")
    )


def body_path(endpoint: str, world: World) -> str:
    return BODY_PATHS[endpoint].format(id=world.order["id"])


@st.composite
def encoded(draw, document: Any) -> tuple[bytes, str]:
    """(content, content type) of a document in JSON or one of the form encodings (its
    pairs changed at random, now and then under a charset), or random bytes as JSON."""
    encoding = draw(st.sampled_from(["json", "json", "urlencoded", "multipart", "bytes"]))
    if encoding == "json":
        return json.dumps(document).encode(), JSONAPI
    if encoding == "bytes":
        return draw(st.binary(max_size=200)), JSONAPI
    valid_pairs = bracketed_pairs(document) if isinstance(document, dict) else []
    pairs = draw(form_pairs(valid_pairs))
    encode = urlencoded if encoding == "urlencoded" else multipart
    content, content_type = encode(pairs)
    if draw(st.integers(0, 3)) == 0:
        content_type += "; charset=" + draw(st.sampled_from(CHARSETS))
    return content, content_type


@st.composite
def mutated_body_requests(draw, scene: Scene):
    """A body endpoint's valid document, mutated, sent by the one who may send it."""
    endpoint = draw(st.sampled_from(sorted(BODY_PATHS)))
    world = draw(st.sampled_from(scene.worlds))
    document = valid_document(
        endpoint,
        world,
        payment_id=scene.ids["payment"][scene.worlds.index(world)],
        order_id=world.order["id"],
    )
    anything = json_values(max_leaves=8)
    content, content_type = draw(encoded(draw(st.one_of([mutated(document)] * 5 + [anything]))))
    authorization = world.sender(endpoint).headers["Authorization"]
    headers = {"Authorization": authorization, "Content-Type": content_type}
    if draw(st.integers(0, 3)) == 0:
        headers["Idempotency-Key"] = draw(st.sampled_from(IDEMPOTENCY_KEYS[3:]) | header_bytes)
    method = "PATCH" if endpoint == "reject" else "POST"
    return method, body_path(endpoint, world), {}, headers, content, authorization


@st.composite
def random_header_requests(draw, scene: Scene):
    """A body endpoint's valid document under random Authorization, Content-Type and
    Idempotency-Key headers."""
    endpoint = draw(st.sampled_from(sorted(BODY_PATHS)))
    world = draw(st.sampled_from(scene.worlds))
    document = valid_document(
        endpoint,
        world,
        payment_id=scene.ids["payment"][scene.worlds.index(world)],
        order_id=world.order["id"],
    )
    content, content_type = draw(encoded(document))
    headers: dict[str, Any] = {}
    authorization = draw(
        st.sampled_from(scene.tokens()) | st.sampled_from(ANONYMOUS) | header_bytes
    )
    if authorization is not None:
        headers["Authorization"] = authorization
    content_type = draw(st.just(content_type) | st.sampled_from(CONTENT_TYPES) | header_bytes)
    if content_type is not None:
        headers["Content-Type"] = content_type
    key = draw(st.sampled_from(IDEMPOTENCY_KEYS) | header_bytes)
    if key is not None:
        headers["Idempotency-Key"] = key
    method = "PATCH" if endpoint == "reject" else "POST"
    return method, body_path(endpoint, world), {}, headers, content, authorization


@st.composite
def read_requests(draw, scene: Scene):
    """Reads and deletes with random ids, page parameters and Authorization."""
    method, template, kind = draw(st.sampled_from(READS))
    path = template.format(id=draw(path_ids(scene, kind)))
    params = {}
    for name in ("page[number]", "page[size]"):
        if draw(st.booleans()):
            params[name] = draw(st.sampled_from(["1", "2", "100", "101"]) | query_texts)
    authorization = draw(
        st.sampled_from(scene.tokens())
        | st.sampled_from(scene.tokens())
        | st.sampled_from(ANONYMOUS)
        | header_bytes
    )
    headers = {"Authorization": authorization} if authorization is not None else {}
    return method, path, params, headers, None, authorization


def assert_jsonapi_answer(response) -> dict | None:
    if response.status_code == 204:
        assert response.content == b""
        return None
    assert response.headers["content-type"] == JSONAPI, response.headers
    document = response.json()
    if response.status_code >= 400:
        assert "data" not in document, document
        assert isinstance(document["errors"], list) and document["errors"], document
        for error in document["errors"]:
            assert error["status"] == str(response.status_code), document
            for member in ("code", "title", "detail"):
                assert isinstance(error[member], str) and error[member], document
    else:
        assert "data" in document and "errors" not in document, document
    return document


async def check(scene: Scene, request) -> None:
    method, path, params, headers, content, authorization = request
    rows = await row_counts(scene.api.db)
    stripe_calls = scene.stub.stats()["requests_total"]

    response = await scene.api.client.request(
        method, path, params=params, headers=headers, content=content
    )

    event(f"{method} {path.split('/')[3]} {response.status_code}")
    assert response.status_code < 500, response.text
    document = assert_jsonapi_answer(response)
    if response.status_code >= 400:
        event(f"code {document['errors'][0]['code']}")
    if authorization not in scene.tokens():
        assert response.status_code == 401, response.text
    if response.status_code < 400:
        return
    codes = {error["code"] for error in document["errors"]}
    kept_attempt = "payment" in document.get("meta", {})
    stripe_refused = response.status_code == 402 or codes & STRIPE_REFUSAL_CODES or kept_attempt
    if not stripe_refused:
        assert scene.stub.stats()["requests_total"] == stripe_calls, response.text
    after = await row_counts(scene.api.db)
    if kept_attempt and response.headers.get("idempotent-replayed") != "true":
        assert after["payments"] == rows["payments"] + 1, response.text
        rows |= {"payments": after["payments"], "idempotency_keys": after["idempotency_keys"]}
    assert after == rows, response.text


@property_settings(200)
@given(data=st.data())
async def test_mutated_documents_are_never_500_and_refusals_write_nothing(scene, data):
    await check(scene, data.draw(mutated_body_requests(scene)))


@property_settings(120)
@given(data=st.data())
async def test_random_headers_are_never_500_and_anonymous_is_401(scene, data):
    await check(scene, data.draw(random_header_requests(scene)))


@property_settings(120)
@given(data=st.data())
async def test_random_ids_and_pages_are_never_500(scene, data):
    await check(scene, data.draw(read_requests(scene)))
