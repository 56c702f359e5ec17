"""A missing or unknown bearer token is 401 whatever the request carries: an anonymous
caller learns nothing about how its body (or Idempotency-Key, or page) would be judged, and
nothing is written. The same requests with a known token get the body's own error.
Through the HTTP API, on both databases, on every endpoint that reads a body."""

from __future__ import annotations

import json

import pytest

from orderpay.api.documents import MAX_DOCUMENT_DEPTH
from tests.support.forms import URLENCODED
from tests.support.jsonapi import JSONAPI, assert_error
from tests.support.rows import written
from tests.support.world import BODY_ENDPOINTS, make_world, send, valid_document

MIB = 1024 * 1024
# The endpoints that read an Idempotency-Key (the others ignore the header).
KEYED = {"orders", "cards", "payments"}

ANONYMOUS = {
    "missing": None,
    "unknown": "Bearer op_nobody_has_this_token",
    "empty_bearer": "Bearer ",
    "basic": "Basic dXNlcjpwYXNz",
}


async def _chunked(head: bytes, total: int):
    yield head
    sent = 0
    while sent < total:
        yield b" " * 65536
        sent += 65536


def _deep(levels: int) -> list:
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


# name -> (make (content, content type, headers) from a valid document, status and code a
# known caller gets)
BAD_REQUESTS = {
    "not_json": (lambda d: (b'{"data": {"type": ', JSONAPI, {}), 400, "invalid_json"),
    "not_an_object": (lambda d: (b"[]", JSONAPI, {}), 400, "invalid_document"),
    "too_large": (
        lambda d: (json.dumps(d).encode() + b" " * (2 * MIB), JSONAPI, {}),
        413,
        "payload_too_large",
    ),
    "too_large_chunked": (
        lambda d: (_chunked(json.dumps(d).encode(), 2 * MIB), JSONAPI, {}),
        413,
        "payload_too_large",
    ),
    "unsupported_media_type": (
        lambda d: (json.dumps(d).encode(), "text/plain", {}),
        415,
        "unsupported_media_type",
    ),
    "malformed_form": (
        lambda d: (b"data[type]=x&data[type][y]=z", URLENCODED, {}),
        400,
        "invalid_form",
    ),
    "unknown_attribute": (
        lambda d: (
            json.dumps(
                {
                    "data": {
                        **d["data"],
                        "attributes": {**d["data"].get("attributes", {}), "total_cents": 1},
                    }
                }
            ).encode(),
            JSONAPI,
            {},
        ),
        422,
        "unknown_attribute",
    ),
    "type_mismatch": (
        lambda d: (json.dumps({"data": {**d["data"], "type": "users"}}).encode(), JSONAPI, {}),
        409,
        "type_mismatch",
    ),
    "too_deep_with_key": (
        lambda d: (
            json.dumps({**d, "meta": _deep(300)}).encode(),
            JSONAPI,
            {"Idempotency-Key": "deep"},
        ),
        400,
        "invalid_document",
    ),
    "invalid_idempotency_key": (
        lambda d: (json.dumps(d).encode(), JSONAPI, {"Idempotency-Key": "k" * 256}),
        422,
        "invalid_idempotency_key",
    ),
}


@pytest.fixture
async def world(api):
    return await make_world(api)


async def _send_bad(api, world, endpoint: str, case: str, authorization: str | None):
    make, _, _ = BAD_REQUESTS[case]
    content, content_type, headers = make(valid_document(endpoint, world))
    if authorization is not None:
        headers = {**headers, "Authorization": authorization}
    return await send(
        api,
        endpoint,
        world.path(endpoint),
        content=content,
        content_type=content_type,
        headers=headers,
    )


async def test_anonymous_bad_requests_are_401_and_write_nothing(api, world, subtests):
    before = await written(api)
    for endpoint in BODY_ENDPOINTS:
        for case in BAD_REQUESTS:
            for anonymous, authorization in ANONYMOUS.items():
                with subtests.test(endpoint=endpoint, case=case, anonymous=anonymous):
                    response = await _send_bad(api, world, endpoint, case, authorization)

                    assert_error(response, 401, "unauthorized")
    assert await written(api) == before


async def test_known_callers_get_the_bodys_own_error(api, world, subtests):
    before = await written(api)
    for endpoint in BODY_ENDPOINTS:
        token = world.sender(endpoint).headers["Authorization"]
        for case, (_, status, code) in BAD_REQUESTS.items():
            if case == "invalid_idempotency_key" and endpoint not in KEYED:
                continue
            with subtests.test(endpoint=endpoint, case=case):
                response = await _send_bad(api, world, endpoint, case, token)

                assert_error(response, status, code)
    assert await written(api) == before


async def test_a_depth_at_the_limit_is_not_what_is_refused(api, world):
    # The deep document above is refused for its depth, not for something else.
    document = {**valid_document("orders", world), "meta": _deep(MAX_DOCUMENT_DEPTH - 1)}

    response = await api.post(
        "/api/v1/orders", document, world.customer, headers={"Idempotency-Key": "deep-enough"}
    )

    assert response.status_code == 201, response.text


async def test_anonymous_bad_page_parameters_are_401(api, world, subtests):
    paths = ("/api/v1/orders", f"/api/v1/orders/{world.order['id']}/payments", "/api/v1/cards")
    for path in paths:
        for params in ({"page[size]": "0"}, {"page[number]": "x"}, {"page[size]": "9" * 5000}):
            for anonymous, authorization in ANONYMOUS.items():
                with subtests.test(path=path, params=str(params)[:30], anonymous=anonymous):
                    headers = {"Authorization": authorization} if authorization else {}

                    response = await api.client.get(path, params=params, headers=headers)

                    assert_error(response, 401, "unauthorized")
            with subtests.test(path=path, params=str(params)[:30], anonymous="known"):
                response = await api.get(path, world.customer, params=params)

                assert_error(response, 400, "invalid_page")
