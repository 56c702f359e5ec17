"""The Conventions of API.md, through the HTTP API, on both databases.

Every bad input is sent to `POST /api/v1/payments` and `POST /api/v1/orders`; each answer is
checked for its status, error code and pointer, and for having changed nothing: no order, no
payment, no PaymentIntent in localstripe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import orjson
import pytest

from tests.support.forms import multipart
from tests.support.jsonapi import JSONAPI, assert_error, assert_jsonapi

VISA = "4242424242424242"
MIB = 1024 * 1024


# -- helpers ------------------------------------------------------------------------------


@dataclass
class Scene:
    """A customer with a pending order (one product, quantity 1, shipping 300) and a fresh
    PaymentMethod: everything a good request to either endpoint needs."""

    api: Any
    customer: Any
    business: dict
    product: dict
    order: dict
    pm: str

    def document(self, endpoint: str) -> dict:
        if endpoint == "payments":
            return {
                "data": {
                    "type": "payments",
                    "attributes": {"stripe_token": self.pm},
                    "relationships": {"order": {"type": "order", "id": self.order["id"]}},
                }
            }
        return {
            "data": {
                "type": "orders",
                "attributes": {
                    "elements": [{"product_id": self.product["id"], "quantity": 2}],
                    "shipping_cost_cents": 300,
                },
                "relationships": {
                    "business": {"data": {"type": "businesses", "id": self.business["id"]}}
                },
            }
        }

    def form_pairs(self, endpoint: str) -> list[tuple[str, str]]:
        if endpoint == "payments":
            return [
                ("data[type]", "payments"),
                ("data[attributes][stripe_token]", self.pm),
                ("data[relationships][order][id]", self.order["id"]),
                ("data[relationships][order][type]", "order"),
            ]
        return [
            ("data[type]", "orders"),
            ("data[attributes][elements][][product_id]", self.product["id"]),
            ("data[attributes][elements][][quantity]", "2"),
            ("data[relationships][business][data][type]", "businesses"),
            ("data[relationships][business][data][id]", self.business["id"]),
        ]

    async def send(
        self,
        endpoint: str,
        *,
        content: Any = None,
        content_type: str | None = JSONAPI,
        headers: dict | None = None,
        customer=None,
    ) -> httpx.Response:
        all_headers = dict((customer or self.customer).headers)
        if content_type is not None:
            all_headers["Content-Type"] = content_type
        all_headers.update(headers or {})
        return await self.api.client.post(
            f"/api/v1/{endpoint}", content=content, headers=all_headers
        )

    async def state(self) -> dict:
        """What a rejected request must not change."""
        orders = await self.api.get("/api/v1/orders", self.customer)
        assert orders.status_code == 200, orders.text
        payments = await self.api.get(f"/api/v1/orders/{self.order['id']}/payments", self.customer)
        assert payments.status_code == 200, payments.text
        order = await self.api.get(f"/api/v1/orders/{self.order['id']}", self.customer)
        intents = await self.api.stripe_get("/v1/payment_intents", limit=100)
        return {
            "orders": orders.json()["meta"]["total"],
            "payments": payments.json()["meta"]["total"],
            "order_state": order.json()["data"]["attributes"]["state"],
            "intents": len(intents["data"]),
        }


async def make_scene(api) -> Scene:
    customer = await api.user()
    business = await api.business()
    product = await api.product(business, 1000)
    order = await api.order(customer, business, [(product, 1)], shipping_cost_cents=300)
    return Scene(api, customer, business, product, order, await api.payment_method(VISA))


# The scene's state before, and after any refused request.
UNCHANGED = {"orders": 1, "payments": 0, "order_state": "pending_payment", "intents": 0}
ENDPOINTS = ["payments", "orders"]


@pytest.fixture
async def scene(api) -> Scene:
    scene = await make_scene(api)
    assert await scene.state() == UNCHANGED
    return scene


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


# -- both JSON media types and both form encodings work --------------------------------------


JSON_MEDIA_TYPES = [
    JSONAPI,
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
]


async def test_json_media_types_create_payments(api, scene, subtests):
    for media_type in JSON_MEDIA_TYPES:
        with subtests.test(media_type=media_type):
            order = await api.order(
                scene.customer, scene.business, [(scene.product, 1)], shipping_cost_cents=300
            )
            document = scene.document("payments")
            document["data"]["relationships"]["order"]["id"] = order["id"]

            response = await scene.send(
                "payments", content=dumps(document), content_type=media_type
            )

            assert response.status_code == 201, response.text
            assert_jsonapi(response)
            payment = response.json()["data"]
            assert payment["attributes"]["state"] == "succeeded"
            assert payment["attributes"]["amount_cents"] == 1300
            paid = await api.get(f"/api/v1/orders/{order['id']}", scene.customer)
            assert paid.json()["data"]["attributes"]["state"] == "paid"


async def test_json_media_types_create_orders(api, scene, subtests):
    for i, media_type in enumerate(JSON_MEDIA_TYPES):
        with subtests.test(media_type=media_type):
            response = await scene.send(
                "orders", content=dumps(scene.document("orders")), content_type=media_type
            )

            assert response.status_code == 201, response.text
            assert_jsonapi(response)
            assert response.json()["data"]["attributes"]["total_cents"] == 2300
            assert (await scene.state())["orders"] == 2 + i


async def test_urlencoded_form_of_the_api_md_example_pays_the_order(api, scene):
    # Exactly the example of API.md, with this test's ids.
    body = (
        f"data[type]=payments&data[attributes][stripe_token]={scene.pm}"
        f"&data[relationships][order][id]={scene.order['id']}"
        f"&data[relationships][order][type]=order"
    )

    response = await scene.send(
        "payments", content=body.encode(), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 201, response.text
    assert_jsonapi(response)
    payment = response.json()["data"]
    assert payment["attributes"]["state"] == "succeeded"
    assert payment["attributes"]["amount_cents"] == 1300
    assert payment["relationships"]["order"]["data"]["id"] == scene.order["id"]
    intent = await api.stripe_get(
        f"/v1/payment_intents/{payment['attributes']['stripe_payment_intent_id']}"
    )
    assert intent["status"] == "succeeded" and intent["amount"] == 1300
    assert (await scene.state())["order_state"] == "paid"


async def test_percent_encoded_form_pays_the_order(api, scene):
    # The same document as a browser would encode it (brackets percent-encoded).
    body = urlencode(scene.form_pairs("payments"))
    assert "%5B" in body

    response = await scene.send(
        "payments", content=body.encode(), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["state"] == "succeeded"


async def test_multipart_form_pays_the_order(api, scene):
    body, content_type = multipart(scene.form_pairs("payments"))

    response = await scene.send("payments", content=body, content_type=content_type)

    assert response.status_code == 201, response.text
    assert_jsonapi(response)
    assert response.json()["data"]["attributes"]["state"] == "succeeded"
    assert (await scene.state())["order_state"] == "paid"


def _order_form(
    scene: Scene, lines: list[tuple[dict, int]], *, indexed: bool, reverse_keys: bool = False
) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = [("data[type]", "orders")]
    element_pairs = []
    for i, (product, quantity) in enumerate(lines):
        slot = f"[{i}]" if indexed else "[]"
        element_pairs.append(
            [
                (f"data[attributes][elements]{slot}[product_id]", product["id"]),
                (f"data[attributes][elements]{slot}[quantity]", str(quantity)),
            ]
        )
    if reverse_keys:
        element_pairs.reverse()
    for pair in element_pairs:
        pairs.extend(pair)
    pairs += [
        ("data[attributes][shipping_cost_cents]", "250"),
        ("data[attributes][notes]", "no onions"),
        ("data[relationships][business][type]", "business"),
        ("data[relationships][business][id]", scene.business["id"]),
    ]
    return pairs


async def test_form_creates_orders_with_elements(api, scene, subtests):
    # 12 lines, so that `elements[10]` must come after `elements[9]` (numeric, not textual
    # order); indexed keys are even sent in reverse order.
    products = [await api.product(scene.business, 100 + i) for i in range(12)]
    lines = [(product, i % 3 + 1) for i, product in enumerate(products)]
    created = 1
    for encoding in ("urlencoded", "multipart"):
        for indexed in (False, True):
            with subtests.test(encoding=encoding, indexed=indexed):
                created += await _check_form_order(api, scene, lines, encoding, indexed, created)


async def _check_form_order(api, scene, lines, encoding, indexed, created) -> int:
    pairs = _order_form(scene, lines, indexed=indexed, reverse_keys=indexed)
    if encoding == "urlencoded":
        content, content_type = urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    else:
        content, content_type = multipart(pairs)

    response = await scene.send("orders", content=content, content_type=content_type)

    assert response.status_code == 201, response.text
    assert_jsonapi(response)
    attributes = response.json()["data"]["attributes"]
    assert [(e["product_id"], e["quantity"]) for e in attributes["elements"]] == [
        (p["id"], q) for p, q in lines
    ]
    for element, (product, quantity) in zip(attributes["elements"], lines, strict=True):
        assert element["unit_price_cents"] == product["price_cents"]
        assert element["total_cents"] == product["price_cents"] * quantity
        assert element["name"] == product["name"]
    subtotal = sum(p["price_cents"] * q for p, q in lines)
    assert attributes["subtotal_cents"] == subtotal
    assert attributes["shipping_cost_cents"] == 250
    assert attributes["total_cents"] == subtotal + 250
    assert attributes["notes"] == "no onions"
    assert (await scene.state())["orders"] == created + 1
    return 1


async def test_form_order_with_two_elements_as_in_api_md(api, scene):
    other = await api.product(scene.business, 450)
    body = (
        f"data[type]=orders"
        f"&data[attributes][elements][][product_id]={scene.product['id']}"
        f"&data[attributes][elements][][quantity]=2"
        f"&data[attributes][elements][][product_id]={other['id']}"
        f"&data[attributes][elements][][quantity]=1"
        f"&data[relationships][business][data][type]=businesses"
        f"&data[relationships][business][data][id]={scene.business['id']}"
    )

    response = await scene.send(
        "orders", content=body.encode(), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 201, response.text
    attributes = response.json()["data"]["attributes"]
    assert [(e["product_id"], e["quantity"], e["total_cents"]) for e in attributes["elements"]] == [
        (scene.product["id"], 2, 2000),
        (other["id"], 1, 450),
    ]
    assert attributes["subtotal_cents"] == 2450
    assert attributes["total_cents"] == 2450


# -- bad transport and bad documents: status, code, pointer, and nothing changed -------------


def _form(pairs: list[tuple[str, str]]) -> tuple[bytes, str]:
    return "&".join(f"{k}={v}" for k, v in pairs).encode(), "application/x-www-form-urlencoded"


async def _chunks(total: int):
    chunk = b" " * 65536
    sent = 0
    while sent < total:
        yield chunk
        sent += len(chunk)


BAD_INPUTS: dict[str, tuple] = {
    # name: (content, content type, status, code, pointer)
    "text_plain": (
        lambda s, e: dumps(s.document(e)),
        "text/plain",
        415,
        "unsupported_media_type",
        None,
    ),
    "no_content_type": (
        lambda s, e: dumps(s.document(e)),
        None,
        415,
        "unsupported_media_type",
        None,
    ),
    "xml": (lambda s, e: b"<data/>", "application/xml", 415, "unsupported_media_type", None),
    "not_json": (lambda s, e: b'{"data": {"type": ', JSONAPI, 400, "invalid_json", None),
    "not_json_plain_json_type": (
        lambda s, e: b"data=1",
        "application/json",
        400,
        "invalid_json",
        None,
    ),
    "empty_json_body": (lambda s, e: b"", JSONAPI, 400, None, None),
    "empty_form_body": (lambda s, e: b"", "application/x-www-form-urlencoded", 400, None, None),
    "json_array": (lambda s, e: b"[]", JSONAPI, 400, "invalid_document", None),
    "json_string": (lambda s, e: b'"x"', JSONAPI, 400, "invalid_document", None),
    "json_null": (lambda s, e: b"null", JSONAPI, 400, "invalid_document", None),
    "no_data": (lambda s, e: b'{"meta": {}}', JSONAPI, 400, "invalid_document", None),
    "data_array": (lambda s, e: b'{"data": []}', JSONAPI, 400, "invalid_document", "/data"),
    "data_string": (lambda s, e: b'{"data": "x"}', JSONAPI, 400, "invalid_document", "/data"),
    "data_null": (lambda s, e: b'{"data": null}', JSONAPI, 400, "invalid_document", "/data"),
    "attributes_array": (
        lambda s, e: dumps({"data": {**s.document(e)["data"], "attributes": []}}),
        JSONAPI,
        400,
        "invalid_document",
        "/data/attributes",
    ),
    "attributes_string": (
        lambda s, e: dumps({"data": {**s.document(e)["data"], "attributes": "x"}}),
        JSONAPI,
        400,
        "invalid_document",
        "/data/attributes",
    ),
    "relationships_array": (
        lambda s, e: dumps({"data": {**s.document(e)["data"], "relationships": []}}),
        JSONAPI,
        400,
        "invalid_document",
        "/data/relationships",
    ),
    "form_conflicting_keys": (
        lambda s, e: _form([("data[type]", "x"), ("data[type][y]", "z")])[0],
        "application/x-www-form-urlencoded",
        400,
        "invalid_form",
        None,
    ),
    "form_key_twice": (
        lambda s, e: _form([*s.form_pairs(e), ("data[type]", e)])[0],
        "application/x-www-form-urlencoded",
        400,
        "invalid_form",
        None,
    ),
    "form_unbalanced_bracket": (
        lambda s, e: _form([*s.form_pairs(e), ("data[attributes", "x")])[0],
        "application/x-www-form-urlencoded",
        400,
        "invalid_form",
        None,
    ),
    "form_array_and_object": (
        lambda s, e: _form(
            [("data[type]", e), ("data[attributes][]", "x"), ("data[attributes][a]", "y")]
        )[0],
        "application/x-www-form-urlencoded",
        400,
        "invalid_form",
        None,
    ),
    "form_not_utf8": (
        lambda s, e: b"data[type]=\xff\xfe",
        "application/x-www-form-urlencoded",
        400,
        "invalid_form",
        None,
    ),
    "form_without_data": (
        lambda s, e: b"type=payments&id=1",
        "application/x-www-form-urlencoded",
        400,
        "invalid_document",
        None,
    ),
    "form_too_many_fields": (
        lambda s, e: _form([*s.form_pairs(e), *((f"x{i}", "1") for i in range(1001))])[0],
        "application/x-www-form-urlencoded",
        400,
        "invalid_form",
        None,
    ),
    "form_not_a_form": (
        lambda s, e: b"data[type]=a&&=&=b",
        "application/x-www-form-urlencoded",
        400,
        "invalid_form",
        None,
    ),
    "multipart_conflicting_keys": (
        lambda s, e: multipart([("data[type]", "x"), ("data[type][y]", "z")], boundary="b0undary")[
            0
        ],
        "multipart/form-data; boundary=b0undary",
        400,
        "invalid_form",
        None,
    ),
    "multipart_with_a_file": (
        lambda s, e: multipart(
            [*s.form_pairs(e), (("upload", "a.txt"), "hello")], boundary="b0undary"
        )[0],
        "multipart/form-data; boundary=b0undary",
        400,
        "invalid_form",
        None,
    ),
    "multipart_without_boundary": (
        lambda s, e: multipart(s.form_pairs(e))[0],
        "multipart/form-data",
        400,
        "invalid_form",
        None,
    ),
    "multipart_garbage": (
        lambda s, e: b"--b0undary\r\nnonsense\r\n\r\n",
        "multipart/form-data; boundary=b0undary",
        400,
        "invalid_form",
        None,
    ),
    "multipart_part_without_name": (
        lambda s, e: b"--b0undary\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b0undary--\r\n",
        "multipart/form-data; boundary=b0undary",
        400,
        "invalid_form",
        None,
    ),
    "json_too_deep": (
        lambda s, e: b'{"data": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        JSONAPI,
        400,
        None,
        None,
    ),
    "wrong_type": (
        lambda s, e: dumps({"data": {**s.document(e)["data"], "type": "refunds"}}),
        JSONAPI,
        409,
        "type_mismatch",
        "/data/type",
    ),
    "singular_type": (
        lambda s, e: dumps({"data": {**s.document(e)["data"], "type": e[:-1]}}),
        JSONAPI,
        409,
        "type_mismatch",
        "/data/type",
    ),
    "missing_type": (
        lambda s, e: dumps(
            {"data": {k: v for k, v in s.document(e)["data"].items() if k != "type"}}
        ),
        JSONAPI,
        422,
        "missing_type",
        "/data/type",
    ),
    "unknown_attribute": (
        lambda s, e: dumps(
            {
                "data": {
                    **s.document(e)["data"],
                    "attributes": {**s.document(e)["data"]["attributes"], "amount_cents": 1},
                }
            }
        ),
        JSONAPI,
        422,
        "unknown_attribute",
        "/data/attributes/amount_cents",
    ),
    "relationship_id_number": (
        lambda s, e: dumps(
            {
                "data": {
                    **s.document(e)["data"],
                    "relationships": {
                        "order" if e == "payments" else "business": {
                            "type": "order" if e == "payments" else "business",
                            "id": int(s.order["id"] if e == "payments" else s.business["id"]),
                        }
                    },
                }
            }
        ),
        JSONAPI,
        422,
        "invalid_id",
        None,
    ),
    "relationship_wrong_type": (
        lambda s, e: dumps(
            {
                "data": {
                    **s.document(e)["data"],
                    "relationships": {
                        "order" if e == "payments" else "business": {
                            "data": {"type": "users", "id": "1"}
                        }
                    },
                }
            }
        ),
        JSONAPI,
        409,
        "type_mismatch",
        None,
    ),
    "form_wrong_type": (
        lambda s, e: _form([("data[type]", "refunds"), *s.form_pairs(e)[1:]])[0],
        "application/x-www-form-urlencoded",
        409,
        "type_mismatch",
        "/data/type",
    ),
}


async def test_pointers_of_relationship_and_attribute_errors(api, scene, subtests):
    for endpoint in ENDPOINTS:
        for check in (
            _relationship_pointers,
            _two_unknown_attributes_are_two_errors,
            _unknown_attribute_pointer_is_a_json_pointer,
            _form_with_unknown_attribute_is_422_with_pointer,
        ):
            with subtests.test(endpoint=endpoint, check=check.__name__):
                await check(scene, endpoint)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_bad_input_is_refused_and_changes_nothing(api, scene, subtests, endpoint):
    for case in sorted(BAD_INPUTS):
        make_body, content_type, status, code, pointer = BAD_INPUTS[case]
        with subtests.test(case=case):
            response = await scene.send(
                endpoint, content=make_body(scene, endpoint), content_type=content_type
            )

            assert_error(response, status, code, pointer)
            assert await scene.state() == UNCHANGED


async def _relationship_pointers(scene, endpoint):
    name = "order" if endpoint == "payments" else "business"
    ident = scene.order["id"] if endpoint == "payments" else scene.business["id"]
    document = scene.document(endpoint)

    document["data"]["relationships"] = {name: {"type": name, "id": int(ident)}}
    flat = await scene.send(endpoint, content=dumps(document))
    assert_error(flat, 422, "invalid_id", f"/data/relationships/{name}/id")

    document["data"]["relationships"] = {name: {"data": {"type": name, "id": int(ident)}}}
    nested = await scene.send(endpoint, content=dumps(document))
    assert_error(nested, 422, "invalid_id", f"/data/relationships/{name}/data/id")

    document["data"]["relationships"] = {name: {"data": {"type": "users", "id": ident}}}
    wrong = await scene.send(endpoint, content=dumps(document))
    assert_error(wrong, 409, "type_mismatch", f"/data/relationships/{name}/data/type")

    assert await scene.state() == UNCHANGED


async def _two_unknown_attributes_are_two_errors(scene, endpoint):
    document = scene.document(endpoint)
    document["data"]["attributes"].update({"amount_cents": 1, "currency": "usd"})

    response = await scene.send(endpoint, content=dumps(document))

    assert_error(response, 422, "unknown_attribute")
    errors = response.json()["errors"]
    assert len(errors) == 2
    assert {e["code"] for e in errors} == {"unknown_attribute"}
    assert sorted(e["source"]["pointer"] for e in errors) == [
        "/data/attributes/amount_cents",
        "/data/attributes/currency",
    ]
    assert await scene.state() == UNCHANGED


async def _unknown_attribute_pointer_is_a_json_pointer(scene, endpoint):
    # RFC 6901: "~" is written "~0" and "/" is written "~1" in a pointer's reference token.
    document = scene.document(endpoint)
    document["data"]["attributes"]["price/total~cents"] = 1

    response = await scene.send(endpoint, content=dumps(document))

    assert_error(response, 422, "unknown_attribute", "/data/attributes/price~1total~0cents")
    assert await scene.state() == UNCHANGED


async def _form_with_unknown_attribute_is_422_with_pointer(scene, endpoint):
    content, content_type = _form(
        [*scene.form_pairs(endpoint), ("data[attributes][total_cents]", "1")]
    )

    response = await scene.send(endpoint, content=content, content_type=content_type)

    assert_error(response, 422, "unknown_attribute", "/data/attributes/total_cents")
    assert await scene.state() == UNCHANGED


async def test_body_over_one_mib_is_413(api, scene, subtests):
    for endpoint in ENDPOINTS:
        for chunked in (False, True):
            with subtests.test(endpoint=endpoint, chunked=chunked):
                await _check_413(scene, endpoint, chunked)


async def _check_413(scene, endpoint, chunked):
    # A valid document padded with whitespace to 2 MiB: only its size is wrong.
    document = dumps(scene.document(endpoint))
    if chunked:

        async def body():
            yield document
            async for chunk in _chunks(2 * MIB):
                yield chunk

        content = body()
    else:
        content = document + b" " * (2 * MIB)

    response = await scene.send(endpoint, content=content)

    if chunked:
        assert "content-length" not in response.request.headers
        assert response.request.headers["transfer-encoding"] == "chunked"
    else:
        assert int(response.request.headers["content-length"]) > 2 * MIB
    assert_error(response, 413, "payload_too_large")
    assert await scene.state() == UNCHANGED


async def test_body_of_one_mib_is_accepted(api, scene, subtests):
    for endpoint in ENDPOINTS:
        with subtests.test(endpoint=endpoint):
            document = dumps(scene.document(endpoint))
            content = document + b" " * (MIB - len(document))
            assert len(content) == MIB

            response = await scene.send(endpoint, content=content)

            assert response.status_code == 201, response.text


# -- relationships in both forms, type singular or plural -------------------------------------


RELATIONSHIP_FORMS = {
    "jsonapi_plural": lambda name, ident: {
        "data": {"type": name + "s" if name == "order" else "businesses", "id": ident}
    },
    "jsonapi_singular": lambda name, ident: {"data": {"type": name, "id": ident}},
    "flat_singular": lambda name, ident: {"type": name, "id": ident},
    "flat_plural": lambda name, ident: {
        "type": name + "s" if name == "order" else "businesses",
        "id": ident,
    },
    "flat_without_type": lambda name, ident: {"id": ident},
}


async def test_payment_relationship_forms(api, scene, subtests):
    for form in sorted(RELATIONSHIP_FORMS):
        with subtests.test(form=form):
            order = await api.order(scene.customer, scene.business, [(scene.product, 1)])
            document = scene.document("payments")
            document["data"]["relationships"] = {
                "order": RELATIONSHIP_FORMS[form]("order", order["id"])
            }

            response = await scene.send("payments", content=dumps(document))

            assert response.status_code == 201, response.text
            payment = response.json()["data"]
            assert payment["attributes"]["state"] == "succeeded"
            assert payment["attributes"]["amount_cents"] == 1000
            assert payment["relationships"]["order"]["data"]["id"] == order["id"]


async def test_order_relationship_forms(api, scene, subtests):
    for form in sorted(RELATIONSHIP_FORMS):
        with subtests.test(form=form):
            document = scene.document("orders")
            document["data"]["relationships"] = {
                "business": RELATIONSHIP_FORMS[form]("business", scene.business["id"])
            }

            response = await scene.send("orders", content=dumps(document))

            assert response.status_code == 201, response.text
            order = response.json()["data"]
            assert order["relationships"]["business"]["data"] == {
                "type": "businesses",
                "id": scene.business["id"],
            }


# -- authentication ---------------------------------------------------------------------------


AUTH_HEADERS = {
    "missing": None,
    "unknown": "Bearer not-a-token-of-anyone",
    "empty_bearer": "Bearer ",
    "basic": "Basic dXNlcjpwYXNz",
    "bare_token": "sometoken",
}


async def test_missing_or_unknown_token_is_401(api, scene, subtests):
    for endpoint in ENDPOINTS:
        for auth in sorted(AUTH_HEADERS):
            with subtests.test(endpoint=endpoint, auth=auth):
                headers = {"Content-Type": JSONAPI}
                if AUTH_HEADERS[auth] is not None:
                    headers["Authorization"] = AUTH_HEADERS[auth]

                response = await api.client.post(
                    f"/api/v1/{endpoint}", content=dumps(scene.document(endpoint)), headers=headers
                )

                assert_error(response, 401, "unauthorized")
                assert await scene.state() == UNCHANGED


async def test_unknown_token_is_401_on_reads(api, scene):
    headers = {"Authorization": "Bearer nope"}
    for path in (
        "/api/v1/orders",
        f"/api/v1/orders/{scene.order['id']}",
        f"/api/v1/orders/{scene.order['id']}/payments",
        "/api/v1/cards",
    ):
        assert_error(await api.client.get(path, headers=headers), 401, "unauthorized")
        assert_error(await api.client.get(path), 401, "unauthorized")


async def test_an_order_of_someone_else_cannot_be_paid(api, scene):
    stranger = await api.user()

    response = await scene.send(
        "payments", content=dumps(scene.document("payments")), customer=stranger
    )

    assert_error(response, 404, "not_found")
    assert await scene.state() == UNCHANGED


# -- X-Request-Id -------------------------------------------------------------------------


async def test_request_id_on_every_response_and_echoed(api, scene):
    responses = [
        await scene.send("orders", content=dumps(scene.document("orders"))),  # 201
        await scene.send("payments", content=b"[]"),  # 400
        await scene.send("payments", content=b"{}", content_type="text/plain"),  # 415
        await api.client.get("/api/v1/orders"),  # 401
        await api.get("/api/v1/orders/999999", scene.customer),  # 404
        await api.get("/api/v1/nowhere", scene.customer),  # unmatched route
        await api.get("/api/v1/orders", scene.customer),  # 200
    ]
    ids = set()
    for response in responses:
        assert response.status_code != 500, response.text
        request_id = response.headers.get("x-request-id")
        assert request_id, (response.status_code, response.headers)
        ids.add(request_id)
    assert len(ids) == len(responses), "each request gets its own id"

    sent = "client-chosen-id-42"
    echoed = [
        await scene.send(
            "orders", content=dumps(scene.document("orders")), headers={"X-Request-Id": sent}
        ),
        await scene.send("payments", content=b"[]", headers={"X-Request-Id": sent}),
        await api.client.get("/api/v1/orders", headers={"X-Request-Id": sent}),
        await api.client.get(
            "/api/v1/orders", headers={**scene.customer.headers, "X-Request-Id": sent}
        ),
    ]
    for response in echoed:
        assert response.headers.get_list("x-request-id") == [sent], response.headers


# -- responses are JSON:API ---------------------------------------------------------------


async def test_responses_are_jsonapi(api, scene):
    for response in (
        await scene.send("orders", content=dumps(scene.document("orders"))),
        await api.get("/api/v1/orders", scene.customer),
        await api.get(f"/api/v1/orders/{scene.order['id']}", scene.customer),
        await api.get(f"/api/v1/orders/{scene.order['id']}/payments", scene.customer),
        await scene.send("payments", content=dumps(scene.document("payments"))),
        await api.get("/api/v1/nowhere", scene.customer),
    ):
        assert response.status_code != 500, response.text
        assert_jsonapi(response)
        document = response.json()
        assert ("data" in document) != ("errors" in document), document


async def test_ids_are_strings(api, scene):
    order = (await api.get(f"/api/v1/orders/{scene.order['id']}", scene.customer)).json()
    assert isinstance(order["data"]["id"], str)
    assert isinstance(order["data"]["relationships"]["business"]["data"]["id"], str)
    for element in order["data"]["attributes"]["elements"]:
        assert isinstance(element["product_id"], str)
    payment = await scene.send("payments", content=dumps(scene.document("payments")))
    assert isinstance(payment.json()["data"]["id"], str)
    assert isinstance(payment.json()["data"]["relationships"]["order"]["data"]["id"], str)


# -- pagination ---------------------------------------------------------------------------


def _query(link: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(link)
    return parts.path, parse_qs(parts.query)


async def test_orders_are_paginated(api):
    customer = await api.user()
    business = await api.business()
    product = await api.product(business, 500)
    created = [(await api.order(customer, business, [(product, 1)]))["id"] for _ in range(30)]
    newest_first = list(reversed(created))
    # Someone else's orders are not counted.
    await api.order(await api.user(), business, [(product, 1)])

    first = await api.get("/api/v1/orders", customer)
    assert first.status_code == 200, first.text
    assert_jsonapi(first)
    document = first.json()
    assert document["meta"]["total"] == 30
    assert [o["id"] for o in document["data"]] == newest_first[:25]
    assert document["links"]["prev"] is None
    path, query = _query(document["links"]["next"])
    assert path == "/api/v1/orders"
    assert query == {"page[number]": ["2"], "page[size]": ["25"]}

    # Following links.next gives the rest.
    second = (await api.get(document["links"]["next"], customer)).json()
    assert [o["id"] for o in second["data"]] == newest_first[25:]
    assert second["links"]["next"] is None
    assert _query(second["links"]["prev"])[1] == {"page[number]": ["1"], "page[size]": ["25"]}

    middle = await api.get(
        "/api/v1/orders", customer, params={"page[size]": "10", "page[number]": "2"}
    )
    assert middle.status_code == 200, middle.text
    middle = middle.json()
    assert middle["meta"]["total"] == 30
    assert [o["id"] for o in middle["data"]] == newest_first[10:20]
    assert _query(middle["links"]["next"])[1] == {"page[number]": ["3"], "page[size]": ["10"]}
    assert _query(middle["links"]["prev"])[1] == {"page[number]": ["1"], "page[size]": ["10"]}
    prev = (await api.get(middle["links"]["prev"], customer)).json()
    assert [o["id"] for o in prev["data"]] == newest_first[:10]

    largest = (await api.get("/api/v1/orders", customer, params={"page[size]": "100"})).json()
    assert len(largest["data"]) == 30 and largest["links"]["next"] is None

    beyond = (
        await api.get("/api/v1/orders", customer, params={"page[size]": "10", "page[number]": "4"})
    ).json()
    assert beyond["data"] == [] and beyond["meta"]["total"] == 30


BAD_PAGES = [
    {"page[size]": "101"},
    {"page[size]": "0"},
    {"page[size]": "-1"},
    {"page[size]": "ten"},
    {"page[number]": "0"},
    {"page[number]": "-2"},
    {"page[number]": "1.5"},
    {"page[number]": ""},
]


async def test_bad_page_parameters_are_400(api, subtests):
    customer = await api.user()
    for params in BAD_PAGES:
        with subtests.test(params=params):
            response = await api.get("/api/v1/orders", customer, params=params)

            assert_error(response, 400, "invalid_page")
