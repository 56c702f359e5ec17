"""`/openapi.json` is a valid OpenAPI 3.1 document from which a client can be written alone:
every operation documents its request document, every status it answers with the error
codes of each, the headers, and auth; its examples are valid instances of its own schemas;
and every error code the code can raise is in it."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

from orderpay.api.app import create_app
from orderpay.api.contract import decimal_text
from orderpay.api.documents import integer
from orderpay.api.openapi import CODES
from orderpay.errors import OrderpayError

SRC = Path(__file__).resolve().parents[2] / "src" / "orderpay"
JSON_TYPES = {"application/vnd.api+json", "application/json"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Operations that read a JSON:API request document (method, path).
DOCUMENT_OPERATIONS = {
    ("post", "/api/v1/payments"),
    ("post", "/api/v1/orders"),
    ("patch", "/api/v1/orders/{order_id}/reject"),
    ("post", "/api/v1/cards"),
    ("post", "/api/v1/refunds"),
}
# Codes the code raises that the OpenAPI rightly does not list, and why.
UNLISTED_CODES = {
    # Operator CLI only (`orderpay businesses …`, `orderpay users create`): not the HTTP API.
    "invalid_name": "CLI",
    "invalid_currency": "CLI",
    "invalid_commission": "CLI",
    "invalid_stripe_account": "CLI",
    "already_member": "CLI",
    "invalid_price": "CLI",
    "email_taken": "CLI",
    # The checkout page's session cookie (not part of the JSON API's contract: bearer only).
    "cross_site_request": "checkout page",
    "checkout_not_configured": "checkout page",
    "checkout_session_expired": "checkout page",
    "checkout_session_changed": "checkout page",
    # Rendered by api/app.py for paths and methods that are no operation, and for FastAPI's own
    # validation, which no operation's parameters can fail (they are all plain strings).
    "method_not_allowed": "no operation",
    "http_error": "no operation",
    "invalid_request": "no operation",
    # Stripe's own codes, carried by the open sets (402 decline codes, refunds' 422).
    "idempotency_error": "Stripe gateway, never an HTTP answer",
    "unprocessable_entity": "the Unprocessable base class's default, always overridden",
    "conflict": "the Conflict base class's default, always overridden",
    "service_unavailable": "the ServiceUnavailable base class's default, always overridden",
}


@pytest.fixture(scope="module")
async def spec() -> dict:
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://orderpay.test") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def validator(spec: dict, schema: dict) -> Draft202012Validator:
    """A validator of `schema`, whose `#/components/...` references resolve in `spec`."""
    return Draft202012Validator(
        {**schema, "components": spec["components"]}, format_checker=FormatChecker()
    )


def test_it_is_a_valid_openapi_3_1_document(spec):
    assert spec["openapi"].startswith("3.1.")
    validate(spec)


def test_it_has_the_fifteen_operations_and_not_the_checkout_page(spec):
    listed = {(method, path) for method, path, _ in operations(spec)}

    # 14, and GET /readyz (issue 11).
    assert len(listed) == 15, sorted(listed)
    assert not any(path.startswith(("/checkout", "/docs")) for _, path in listed)
    assert all(
        op["operationId"] and op["summary"] and op["description"] for _, _, op in operations(spec)
    )


def test_every_document_operation_describes_its_body_in_the_four_media_types(spec):
    for method, path, op in operations(spec):
        if (method, path) not in DOCUMENT_OPERATIONS:
            continue
        content = op["requestBody"]["content"]
        assert set(content) == JSON_TYPES | FORM_TYPES, (method, path)
        for media_type, media in content.items():
            assert media["examples"], (method, path, media_type)
            for name, example in media["examples"].items():
                errors = list(validator(spec, media["schema"]).iter_errors(example["value"]))
                assert not errors, (method, path, media_type, name, errors)


def test_create_payment_takes_both_relationship_forms_and_describes_the_original_members(spec):
    schemas = spec["components"]["schemas"]
    create = spec["paths"]["/api/v1/payments"]["post"]["requestBody"]["content"]
    examples = create["application/json"]["examples"]

    assert examples["original"]["value"]["data"]["relationships"]["order"] == {
        "type": "order",
        "id": "7",
    }
    assert examples["jsonapi"]["value"]["data"]["relationships"]["order"]["data"]["id"] == "7"
    attributes = schemas["CreatePaymentAttributes"]["properties"]
    assert "Stripe reusable Source/PaymentMethod token" in attributes["stripe_token"]["description"]
    assert (
        "saved before along with Card record"
        in (attributes["stripe_payment_method_id"]["description"])
    )
    order = schemas["CreatePaymentRelationships"]["properties"]["order"]
    assert order["description"].startswith("Add a order relationships link")
    assert {r["$ref"].rsplit("/", 1)[1] for r in order["anyOf"]} == {
        "OrderLinkage",
        "OrderReference",
    }
    assert schemas["OrderIdentifier"]["properties"]["id"]["description"] == "Related Order `id`."


def test_every_response_has_a_schema_headers_and_valid_examples(spec):
    for method, path, op in operations(spec):
        assert op["responses"], (method, path)
        for status, response in op["responses"].items():
            where = (method, path, status)
            assert response["description"], where
            assert response["headers"]["X-Request-Id"]["required"] is True, where
            if status in ("204",) or path == "/api/v1/stripe/webhooks" and status == "200":
                assert "content" not in response, where
                continue
            for media in response["content"].values():
                assert media["schema"], where
                for name, example in media.get("examples", {}).items():
                    errors = list(validator(spec, media["schema"]).iter_errors(example["value"]))
                    assert not errors, (*where, name, errors)


def test_every_error_response_lists_documented_codes_of_its_own_status(spec):
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            if int(status) < 400 or path == "/healthz":
                continue
            code = response["content"]["application/vnd.api+json"]["schema"]["properties"][
                "errors"
            ]["items"]["properties"]["code"]
            codes = code.get("enum") or code["examples"]
            for listed in codes:
                assert listed in CODES or int(status) in (402, 422), (method, path, listed)
                if listed in CODES:
                    assert CODES[listed][0] == int(status), (method, path, status, listed)
                assert f"`{listed}`" in response["description"], (method, path, listed)


def test_authentication_is_the_bearer_scheme_except_on_the_public_operations(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    public = {"/api/v1/stripe/webhooks", "/healthz", "/readyz", "/metrics"}
    for method, path, op in operations(spec):
        if path in public:
            assert op["security"] == [], (method, path)
        else:
            assert op["security"] == [{"bearerAuth": []}], (method, path)
            assert "401" in op["responses"], (method, path)


def test_the_idempotent_operations_document_the_key_and_the_replay_header(spec):
    idempotent = {
        ("post", "/api/v1/payments"),
        ("post", "/api/v1/orders"),
        ("post", "/api/v1/cards"),
        ("post", "/api/v1/refunds"),
    }
    for method, path, op in operations(spec):
        names = {p["name"] for p in op.get("parameters", [])}
        assert "X-Request-Id" in names, (method, path)
        assert ("Idempotency-Key" in names) == ((method, path) in idempotent), (method, path)
        if (method, path) in idempotent:
            for response in op["responses"].values():
                assert "Idempotent-Replayed" in response["headers"], (method, path)
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            if status == "503" and path != "/healthz":
                assert response["headers"]["Retry-After"]["required"] is True, (method, path)
    assert "Location" in spec["paths"]["/api/v1/payments"]["post"]["responses"]["201"]["headers"]


def test_every_error_code_the_code_raises_is_documented():
    raised = set()
    for source in SRC.rglob("*.py"):
        text = source.read_text()
        raised |= set(re.findall(r'\b(?:missing_)?code="([a-z_]+)"', text))
        raised |= set(re.findall(r'code, title = \d+, "([a-z_]+)"', text))
    assert raised, "no code found: the pattern is stale"
    undocumented = raised - set(CODES) - set(UNLISTED_CODES)
    assert not undocumented, undocumented


@pytest.mark.parametrize("lo, hi", [(1, 99), (0, 1_000_000), (1, 99_999_999)])
def test_an_integer_as_text_matches_its_pattern_exactly_when_the_parser_reads_it(lo, hi):
    # The pattern of a form's (or a JSON string's) integer is the parser's own rule: what it
    # accepts matches, and nothing else does (schemathesis relies on both).
    pattern = re.compile(decimal_text(lo, hi))
    texts = [str(n) for n in range(0, 1200)]
    texts += [str(n) for n in (lo - 1, lo, hi, hi + 1, hi * 7, 10**17, 10**18, 10**19)]
    texts += ["0" * k + str(n) for k in range(20) for n in (0, 1, 9, 10, 99, 100, hi)]
    texts += ["-0", "-00", "-1", "- 1", "+5", " 5 ", "\x1c7\x85", "\u20008", "1e3", "5.0"]
    texts += ["٣", "²", "", "-", " ", "0x10", "1_000", "9" * 18, "9" * 19]

    def parser_reads(text: str) -> bool:
        try:
            integer(text, "/x", lo=lo, hi=hi, code="c")
        except OrderpayError:
            return False
        return True

    assert [t for t in texts if bool(pattern.fullmatch(t)) != parser_reads(t)] == []
