"""Inputs that answered 500 are JSON:API 4xx errors that write nothing: no row, no Stripe
object. Through the HTTP API, on both databases, in every body encoding they apply to.

(The property-based search for more of them is tests/api/test_random_requests_never_500.py.)
"""

from __future__ import annotations

import copy
import json

import pytest

from orderpay.api.documents import MAX_DOCUMENT_DEPTH
from tests.support.forms import bracketed_pairs, multipart, urlencoded
from tests.support.jsonapi import JSONAPI, assert_error
from tests.support.rows import written
from tests.support.world import (
    BODY_ENDPOINTS,
    RELATIONSHIPS,
    make_world,
    paid_payment,
    refund_document,
    send,
    valid_document,
)

ENCODINGS = ("urlencoded", "multipart")


def dumps(document) -> bytes:
    # The standard library's encoder: orjson's stops at 254 levels, short of these tests.
    return json.dumps(document).encode()


def form(encoding: str, pairs: list[tuple[str, str]]) -> tuple[bytes, str]:
    return urlencoded(pairs) if encoding == "urlencoded" else multipart(pairs)


def nested(levels: int) -> list:
    """`levels` arrays, each inside the previous one."""
    value: list = []
    for _ in range(levels - 1):
        value = [value]
    return value


@pytest.fixture
async def world(api):
    return await make_world(api)


@pytest.fixture
async def payment(api, world):
    return await paid_payment(api, world)


async def documents_for(api, world, payment) -> dict[str, dict]:
    """A valid document for each body endpoint (each would succeed if sent as it is)."""
    return {
        endpoint: valid_document(
            endpoint, world, stripe_token=await api.payment_method(), payment_id=payment["id"]
        )
        for endpoint in BODY_ENDPOINTS
    }


# -- refund amounts -----------------------------------------------------------------------


REFUND_AMOUNTS = {
    # Digits to str.isdigit() that int() refuses ("²") or reads as another number ("١٢" is
    # 12 to int()): an amount of money is ASCII digits only.
    "superscript_two": "²",
    "arabic_indic_twelve": "١٢",
    # Past int()'s 4,300-digit limit for strings.
    "five_thousand_digits": "9" * 5000,
    "above_what_stripe_charges": "100000000",
    "zero": "0",
    "negative": "-5",
    "fraction": "1.5",
}


async def test_refund_amounts_that_are_not_amounts_are_422(api, world, payment, subtests):
    for case, amount in REFUND_AMOUNTS.items():
        for encoding in ("json_string", *ENCODINGS):
            with subtests.test(case=case, encoding=encoding):
                if encoding == "json_string":
                    content = dumps(refund_document(payment["id"], amount))
                    content_type = JSONAPI
                else:
                    content, content_type = form(
                        encoding,
                        [
                            ("data[type]", "refunds"),
                            ("data[attributes][amount_cents]", amount),
                            ("data[relationships][payment][data][type]", "payments"),
                            ("data[relationships][payment][data][id]", payment["id"]),
                        ],
                    )
                before = await written(api)

                response = await send(
                    api,
                    "refunds",
                    "/api/v1/refunds",
                    content=content,
                    content_type=content_type,
                    sender=world.member,
                )

                assert_error(response, 422, "invalid_amount", "/data/attributes/amount_cents")
                assert await written(api) == before


async def test_refund_amounts_that_are_not_integers_in_json_are_422(api, world, payment, subtests):
    # orjson reads integers past 64 bits as floats: never an amount either.
    for amount in (1e30, 10**30, 1.5, True, 100_000_000, [], {}):
        with subtests.test(amount=repr(amount)[:20]):
            before = await written(api)

            response = await api.post(
                "/api/v1/refunds", refund_document(payment["id"], amount), world.member
            )

            assert_error(response, 422, "invalid_amount", "/data/attributes/amount_cents")
            assert await written(api) == before


async def test_a_form_refund_amount_in_ascii_digits_refunds(api, world, payment):
    content, content_type = urlencoded(
        [
            ("data[type]", "refunds"),
            ("data[attributes][amount_cents]", "250"),
            ("data[relationships][payment][id]", payment["id"]),
        ]
    )

    response = await send(
        api,
        "refunds",
        "/api/v1/refunds",
        content=content,
        content_type=content_type,
        sender=world.member,
    )

    assert response.status_code == 201, response.text
    assert response.json()["data"]["attributes"]["amount_cents"] == 250


# -- page parameters ----------------------------------------------------------------------


async def test_page_parameters_past_int_limits_are_400(api, world, subtests):
    paths = ("/api/v1/orders", f"/api/v1/orders/{world.order['id']}/payments", "/api/v1/cards")
    for path in paths:
        for name in ("page[number]", "page[size]"):
            for raw in ("9" * 5000, "²", "١"):
                with subtests.test(path=path, name=name, raw=raw[:5]):
                    response = await api.get(path, world.customer, params={name: raw})

                    assert_error(response, 400, "invalid_page")


# -- relationship types that are not strings ----------------------------------------------


BAD_TYPES = {
    "list": lambda t: [t],
    "empty_list": lambda t: [],
    "object": lambda t: {"type": t},
    "empty_object": lambda t: {},
}


async def test_relationship_types_that_are_not_strings_are_409(api, world, payment, subtests):
    documents = await documents_for(api, world, payment)
    for endpoint, (name, singular) in RELATIONSHIPS.items():
        ident = {
            "orders": world.business["id"],
            "payments": world.order["id"],
            "refunds": payment["id"],
        }[endpoint]
        for shape, make in BAD_TYPES.items():
            for form_name in ("flat", "jsonapi"):
                with subtests.test(endpoint=endpoint, type=shape, form=form_name):
                    document = copy.deepcopy(documents[endpoint])
                    identifier = {"type": make(singular), "id": ident}
                    pointer = f"/data/relationships/{name}/type"
                    if form_name == "jsonapi":
                        identifier = {"data": identifier}
                        pointer = f"/data/relationships/{name}/data/type"
                    document["data"]["relationships"] = {name: identifier}
                    before = await written(api)

                    response = await send(
                        api,
                        endpoint,
                        world.path(endpoint),
                        content=dumps(document),
                        sender=world.sender(endpoint),
                    )

                    assert_error(response, 409, "type_mismatch", pointer)
                    assert await written(api) == before


async def test_form_relationship_types_that_are_not_strings_are_409(api, world, payment, subtests):
    documents = await documents_for(api, world, payment)
    for endpoint, (name, singular) in RELATIONSHIPS.items():
        ident = {
            "orders": world.business["id"],
            "payments": world.order["id"],
            "refunds": payment["id"],
        }[endpoint]
        for encoding in ENCODINGS:
            # A form has no pairs for an empty list or object: only these two shapes.
            for shape in ("list", "object"):
                for form_name in ("flat", "jsonapi"):
                    with subtests.test(
                        endpoint=endpoint, encoding=encoding, type=shape, form=form_name
                    ):
                        document = copy.deepcopy(documents[endpoint])
                        identifier = {"type": BAD_TYPES[shape](singular), "id": ident}
                        pointer = f"/data/relationships/{name}/type"
                        if form_name == "jsonapi":
                            identifier = {"data": identifier}
                            pointer = f"/data/relationships/{name}/data/type"
                        document["data"]["relationships"] = {name: identifier}
                        content, content_type = form(encoding, bracketed_pairs(document))
                        before = await written(api)

                        response = await send(
                            api,
                            endpoint,
                            world.path(endpoint),
                            content=content,
                            content_type=content_type,
                            sender=world.sender(endpoint),
                        )

                        assert_error(response, 409, "type_mismatch", pointer)
                        assert await written(api) == before


# -- documents nested too deep ------------------------------------------------------------


async def test_documents_nested_deeper_than_the_limit_are_400_with_or_without_key(
    api, world, payment, subtests
):
    documents = await documents_for(api, world, payment)
    for endpoint in BODY_ENDPOINTS:
        # 300: past orjson.dumps' 254 levels (the Idempotency-Key's request hash); the
        # limit + 1: just past the documented depth.
        for depth in (MAX_DOCUMENT_DEPTH + 1, 300):
            for key in (None, f"deep-{endpoint}-{depth}"):
                with subtests.test(endpoint=endpoint, depth=depth, key=key):
                    document = {**documents[endpoint], "meta": nested(depth - 1)}
                    headers = {"Idempotency-Key": key} if key else {}
                    before = await written(api)

                    response = await send(
                        api,
                        endpoint,
                        world.path(endpoint),
                        content=dumps(document),
                        headers=headers,
                        sender=world.sender(endpoint),
                    )

                    assert_error(response, 400, "invalid_document")
                    assert str(MAX_DOCUMENT_DEPTH) in response.json()["errors"][0]["detail"]
                    assert await written(api) == before


async def test_json_past_the_parsers_depth_is_the_same_400(api, world):
    before = await written(api)

    response = await send(
        api,
        "payments",
        "/api/v1/payments",
        content=b'{"data": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        sender=world.customer,
    )

    assert_error(response, 400, "invalid_document")
    assert await written(api) == before


async def test_a_document_as_deep_as_the_limit_is_accepted(api, world, subtests):
    for encoding in ("json", *ENCODINGS):
        with subtests.test(encoding=encoding):
            order = await api.order(world.customer, world.business, [(world.product, 1)])
            document = valid_document(
                "payments", world, stripe_token=await api.payment_method(), order_id=order["id"]
            )
            if encoding == "json":
                content = dumps({**document, "meta": nested(MAX_DOCUMENT_DEPTH - 1)})
                content_type = JSONAPI
            else:
                # `meta[a][a]…`: one level per name, the document itself included.
                content, content_type = form(
                    encoding,
                    [
                        ("data[type]", "payments"),
                        (
                            "data[attributes][stripe_token]",
                            document["data"]["attributes"]["stripe_token"],
                        ),
                        ("data[relationships][order][id]", order["id"]),
                        ("meta" + "[a]" * (MAX_DOCUMENT_DEPTH - 1), "x"),
                    ],
                )

            response = await send(
                api,
                "payments",
                "/api/v1/payments",
                content=content,
                content_type=content_type,
                sender=world.customer,
            )

            assert response.status_code == 201, response.text


# name -> (key, code in a urlencoded form, code in a multipart form)
DEEP_KEYS = {
    "limit_plus_one": ("meta" + "[a]" * MAX_DOCUMENT_DEPTH, "invalid_document", "invalid_document"),
    # The urlencoded one was a 500 (RecursionError). A multipart part header is at most 4 KiB,
    # which this key is past: python-multipart refuses the form as malformed before its keys
    # are read.
    "1500_segments": ("meta" + "[a]" * 1500, "invalid_document", "invalid_form"),
    "1500_empty_segments": ("meta" + "[]" * 1500, "invalid_document", "invalid_document"),
}


async def test_form_keys_deeper_than_the_limit_are_400(api, world, subtests):
    for encoding in ENCODINGS:
        for name, (deep_key, *codes) in DEEP_KEYS.items():
            for key in (None, f"deep-form-{encoding}-{name}"):
                with subtests.test(encoding=encoding, deep_key=name, key=key):
                    content, content_type = form(
                        encoding,
                        [
                            ("data[type]", "payments"),
                            ("data[attributes][stripe_token]", "pm_card_visa"),
                            ("data[relationships][order][id]", world.order["id"]),
                            (deep_key, "x"),
                        ],
                    )
                    headers = {"Idempotency-Key": key} if key else {}
                    before = await written(api)

                    response = await send(
                        api,
                        "payments",
                        "/api/v1/payments",
                        content=content,
                        content_type=content_type,
                        headers=headers,
                        sender=world.customer,
                    )

                    assert_error(response, 400, codes[ENCODINGS.index(encoding)])
                    assert await written(api) == before


# -- form key indexes ---------------------------------------------------------------------


async def test_a_non_ascii_digit_in_brackets_is_a_member_name_not_an_index(api, world, subtests):
    for encoding in ENCODINGS:
        with subtests.test(encoding=encoding, endpoint="payments"):
            content, content_type = form(
                encoding,
                [
                    ("data[type]", "payments"),
                    ("data[attributes][²]", "1"),
                    ("data[relationships][order][id]", world.order["id"]),
                ],
            )
            before = await written(api)

            response = await send(
                api,
                "payments",
                "/api/v1/payments",
                content=content,
                content_type=content_type,
                sender=world.customer,
            )

            assert_error(response, 422, "unknown_attribute", "/data/attributes/²")
            assert await written(api) == before

        with subtests.test(encoding=encoding, endpoint="orders"):
            content, content_type = form(
                encoding,
                [
                    ("data[type]", "orders"),
                    ("data[attributes][elements][²][product_id]", world.product["id"]),
                    ("data[attributes][elements][²][quantity]", "1"),
                    ("data[relationships][business][id]", world.business["id"]),
                ],
            )
            before = await written(api)

            response = await send(
                api,
                "orders",
                "/api/v1/orders",
                content=content,
                content_type=content_type,
                sender=world.customer,
            )

            # `elements` is then an object, not a list of elements.
            assert_error(response, 422, "empty_elements", "/data/attributes/elements")
            assert await written(api) == before


async def test_an_index_of_thousands_of_digits_orders_elements_like_any_index(api, world, subtests):
    other = await api.product(world.business, 700)
    # Past int()'s 4,300 digits in a urlencoded form; a multipart part header holds 4,000.
    for encoding, digits in (("urlencoded", 5000), ("multipart", 4000)):
        with subtests.test(encoding=encoding):
            huge = "9" * digits
            content, content_type = form(
                encoding,
                [
                    ("data[type]", "orders"),
                    (f"data[attributes][elements][{huge}][product_id]", other["id"]),
                    (f"data[attributes][elements][{huge}][quantity]", "1"),
                    ("data[attributes][elements][7][product_id]", world.product["id"]),
                    ("data[attributes][elements][7][quantity]", "2"),
                    ("data[relationships][business][id]", world.business["id"]),
                ],
            )

            response = await send(
                api,
                "orders",
                "/api/v1/orders",
                content=content,
                content_type=content_type,
                sender=world.customer,
            )

            assert response.status_code == 201, response.text
            elements = response.json()["data"]["attributes"]["elements"]
            assert [(e["product_id"], e["quantity"]) for e in elements] == [
                (world.product["id"], 2),
                (other["id"], 1),
            ]


# -- found by tests/api/test_random_requests_never_500.py ---------------------------------

# endpoint -> the attribute carrying text that reaches the database or Stripe
TEXT_ATTRIBUTES = {
    "orders": "notes",
    "reject": "other_rejection_reason",
    "cards": "stripe_token",
    "payments": "stripe_token",
    "refunds": "reason",
}


async def test_text_holding_nul_is_400_in_every_encoding(api, world, payment, subtests):
    # PostgreSQL's text cannot store U+0000: these were 500s there (and stored on SQLite).
    documents = await documents_for(api, world, payment)
    documents["reject"]["data"]["attributes"] = {
        "reject_reason": "other",
        "other_rejection_reason": "closed",
    }
    saved = copy.deepcopy(documents["payments"])
    saved["data"]["attributes"] = {"stripe_payment_method_id": "pm_saved"}
    cases = {e: (documents[e], TEXT_ATTRIBUTES[e]) for e in BODY_ENDPOINTS}
    cases["payments_saved_card"] = (saved, "stripe_payment_method_id")
    for case, (valid, attribute) in cases.items():
        endpoint = case.split("_")[0]
        for encoding in ("json", *ENCODINGS):
            with subtests.test(case=case, encoding=encoding):
                document = copy.deepcopy(valid)
                attributes = document["data"]["attributes"]
                attributes[attribute] = f"{attributes.get(attribute) or 'x'}\x00"
                if encoding == "json":
                    content, content_type = dumps(document), JSONAPI
                else:
                    content, content_type = form(encoding, bracketed_pairs(document))
                before = await written(api)

                response = await send(
                    api,
                    endpoint,
                    world.path(endpoint),
                    content=content,
                    content_type=content_type,
                    sender=world.sender(endpoint),
                )

                assert_error(response, 400, "invalid_document", f"/data/attributes/{attribute}")
                assert await written(api) == before


async def test_a_member_name_holding_nul_is_400(api, world):
    document = valid_document("orders", world)
    document["data"]["attributes"]["no\x00tes"] = "x"
    before = await written(api)

    response = await api.post("/api/v1/orders", document, world.customer)

    assert_error(response, 400, "invalid_document", "/data/attributes/no\x00tes")
    assert await written(api) == before


async def test_multipart_forms_in_another_charset_than_utf8_are_400(api, world, subtests):
    # Starlette decodes a part with the codec `charset` names: utf-7 gave lone surrogates,
    # punycode and idna raised UnicodeError (500s), utf-16 decoded into other text.
    for charset in ("utf-7", "punycode", "idna", "utf-16", "latin-1", "rot13", "nope"):
        with subtests.test(charset=charset):
            document = valid_document("orders", world)
            document["data"]["attributes"]["notes"] = "+2AA-.."
            content, content_type = multipart(bracketed_pairs(document))
            before = await written(api)

            response = await send(
                api,
                "orders",
                "/api/v1/orders",
                content=content,
                content_type=f"{content_type}; charset={charset}",
                headers={"Idempotency-Key": f"charset-{charset}"},
                sender=world.customer,
            )

            assert_error(response, 400, "invalid_form")
            assert await written(api) == before


async def test_multipart_forms_declared_utf8_are_accepted(api, world, subtests):
    for charset in ("utf-8", "UTF-8", "utf8", '"utf-8"'):
        with subtests.test(charset=charset):
            content, content_type = multipart(bracketed_pairs(valid_document("orders", world)))

            response = await send(
                api,
                "orders",
                "/api/v1/orders",
                content=content,
                content_type=f"{content_type}; charset={charset}",
                sender=world.customer,
            )

            assert response.status_code == 201, response.text
