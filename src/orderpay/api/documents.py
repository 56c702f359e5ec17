"""JSON:API request documents in, response documents out.

Reading a body enforces the transport rules of API.md (size, media types, form encodings)
before anything is parsed; the helpers below then check the document's shape and report each
problem with a JSON:API `source.pointer`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncGenerator, Collection, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse
from python_multipart.multipart import parse_options_header
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from orderpay.api.forms import FormDecodeError, FormTooDeep, decode_form
from orderpay.errors import (
    BadRequest,
    Conflict,
    Field,
    OrderpayError,
    PayloadTooLarge,
    Unprocessable,
    UnsupportedMediaType,
)

MAX_BODY_BYTES = 1024 * 1024
# How deeply a request document may nest objects and arrays, the document itself being the
# first level (`data` is the second). Ours need 5 (`data.attributes.elements[i]`,
# `data.relationships.order.data`); 32 leaves clients room in `meta` while keeping every
# document far inside the limits of what handles it: orjson.dumps stops at 254 levels (the
# Idempotency-Key's request hash, which made a deep document a 500 with a key and a 201
# without), orjson.loads at 1024 and Python's recursion at about 1000 (the form decoder).
# Deeper is a 400 invalid_document in every encoding, with or without Idempotency-Key: a
# document is judged by what it is, not by how it was sent.
MAX_DOCUMENT_DEPTH = 32
JSONAPI_MEDIA_TYPE = "application/vnd.api+json"
JSON_TYPES = {JSONAPI_MEDIA_TYPE, "application/json"}
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class JSONAPIResponse(JSONResponse):
    # A JSONResponse (rather than a plain Response) only so that FastAPI documents its
    # routes' responses as JSON documents (api/openapi.py); rendering is orjson's, below.
    media_type = JSONAPI_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        return orjson.dumps(content)


async def read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY_BYTES:
                raise PayloadTooLarge(f"The body may be at most {MAX_BODY_BYTES} bytes.")
        except ValueError:
            raise BadRequest("Content-Length is not a number.") from None
    chunks: list[bytes] = []
    size = 0
    # Chunked bodies have no Content-Length: count while reading and stop at the limit.
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The body may be at most {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _invalid_document(detail: str, pointer: str = "") -> BadRequest:
    return BadRequest(
        detail, code="invalid_document", title="Invalid JSON:API document", pointer=pointer
    )


async def read_document(request: Request) -> dict[str, Any]:
    """The request's JSON:API document as a dict with an object `data`, whatever its encoding."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in JSON_TYPES and media_type not in FORM_TYPES:
        raise UnsupportedMediaType(
            "Send application/vnd.api+json, application/json, "
            "application/x-www-form-urlencoded or multipart/form-data."
        )
    body = await read_body(request)
    if media_type in JSON_TYPES:
        document = _decoded_json(body)
    elif media_type == "multipart/form-data":
        document = _decoded_form(await _multipart_pairs(request, body))
    else:
        document = _decoded_form(_urlencoded_pairs(body))
    if not isinstance(document, dict):
        raise _invalid_document("The document must be a JSON object.")
    if "data" not in document:
        raise _invalid_document("The document must have a `data` member.")
    if not isinstance(document["data"], dict):
        raise _invalid_document("`data` must be a resource object.", "/data")
    return document


def _too_deep() -> BadRequest:
    return _invalid_document(
        f"The document nests more than {MAX_DOCUMENT_DEPTH} levels of objects and arrays."
    )


def _deeper_than(node: Any, levels: int) -> bool:
    """Whether `node` nests more than `levels` levels of objects and arrays (recursion
    bounded by `levels`)."""
    children: Iterable[Any]
    if isinstance(node, dict):
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return False
    if levels == 0:
        return True
    return any(_deeper_than(child, levels - 1) for child in children)


def _decoded_json(body: bytes) -> Any:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        # orjson's own limit (1024 levels) is past ours: the same answer as for 33 levels.
        if str(exc).startswith("depth limit exceeded"):
            raise _too_deep() from None
        raise BadRequest(
            "The body is not valid JSON.", code="invalid_json", title="Malformed JSON"
        ) from None
    # Cheap guards before each walk (this is Create Payment's path): a document cannot nest
    # deeper than it has brackets, nor hold U+0000 without its escape.
    if body.count(b"{") + body.count(b"[") > MAX_DOCUMENT_DEPTH:
        if _deeper_than(document, MAX_DOCUMENT_DEPTH):
            raise _too_deep()
    if b"\\u0000" in body:
        _refuse_nul(document)
    return document


def _nul_path(node: Any) -> list[str | int] | None:
    """The path to the first member name or text holding U+0000, if any."""
    if isinstance(node, str):
        return [] if "\x00" in node else None
    items: Iterable[tuple[Any, Any]]
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return None
    for key, child in items:
        if isinstance(key, str) and "\x00" in key:
            return [key]
        found = _nul_path(child)
        if found is not None:
            return [key, *found]
    return None


def _refuse_nul(document: Any) -> None:
    """No text of a document holds U+0000 (NUL): PostgreSQL's text cannot store it (it was
    a 500 there, and stored on SQLite), nor is it in any name, note or Stripe id. Refused
    for the whole document, in every encoding, so that no field can forget it."""
    path = _nul_path(document)
    if path is not None:
        raise _invalid_document(
            "Text in a document cannot hold U+0000 (NUL).",
            "".join(f"/{pointer_token(str(step))}" for step in path),
        )


def _invalid_form(reason: str) -> BadRequest:
    return BadRequest(
        f"The form does not decode: {reason}", code="invalid_form", title="Malformed form"
    )


def _urlencoded_pairs(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=1000,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid_form(str(exc)) from None


def _utf8_form(content_type: str) -> None:
    """A multipart form is UTF-8, as a urlencoded one is. Starlette decodes with whatever
    codec the `charset` parameter names: utf-7 gave lone surrogates (text no database or
    JSON encoder takes), punycode and idna raised UnicodeError (both were 500s)."""
    # The parser Starlette itself reads the parameter with.
    charset = parse_options_header(content_type)[1].get(b"charset")
    if charset is None:
        return
    try:
        name = codecs.lookup(charset.decode("latin-1")).name
    except LookupError:
        name = None
    if name != "utf-8":
        raise _invalid_form(f"charset {charset.decode('latin-1')!r:.40}: a form is UTF-8")


async def _multipart_pairs(request: Request, body: bytes) -> list[tuple[str, str]]:
    _utf8_form(request.headers.get("content-type", ""))

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(request.headers, stream(), max_files=0).parse()
    except MultiPartException as exc:
        raise _invalid_form(exc.message) from None
    pairs: list[tuple[str, str]] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise _invalid_form("files are not accepted")
        pairs.append((key, value))
    return pairs


def _decoded_form(pairs: list[tuple[str, str]]) -> Any:
    try:
        document = decode_form(pairs, max_depth=MAX_DOCUMENT_DEPTH)
    except FormTooDeep:
        raise _too_deep() from None
    except FormDecodeError as exc:
        raise _invalid_form(str(exc)) from None
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        _refuse_nul(document)
    return document


def pointer_token(name: str) -> str:
    """A member name as a JSON Pointer reference token (RFC 6901): `~` is `~0`, `/` is `~1`."""
    return name.replace("~", "~0").replace("/", "~1")


def pointer_of(field: Field, *, relationships: Collection[str]) -> str:
    """Where a field of the request's resource is in its document: a relationship under
    `/data/relationships`, anything else under `/data/attributes` (`()`: the attributes
    together). JSON:API gives attributes and relationships one namespace, so the field's
    name says which it is once the resource's relationships are known."""
    path = (field,) if isinstance(field, str) else field
    base = "/data/relationships" if path and path[0] in relationships else "/data/attributes"
    return base + "".join(
        f"/{pointer_token(step) if isinstance(step, str) else step}" for step in path
    )


def locate(error: OrderpayError, *, relationships: Collection[str]) -> OrderpayError:
    """The error (and those it carries) with a `source.pointer` for each one a service raised
    about a field of the request's resource."""
    for each in error.all_errors():
        if each.pointer is None and each.field is not None:
            each.pointer = pointer_of(each.field, relationships=relationships)
    return error


class fields_as_pointers:
    """`with fields_as_pointers(relationships=("business",)): <call the service>`: a domain
    error escaping the block that names a `field` of the request's resource is answered with
    its JSON pointer (errors.py: services know fields, not documents). The feature's
    schemas.py says which of its fields are relationships."""

    __slots__ = ("relationships",)

    def __init__(self, *, relationships: Collection[str] = ()):
        self.relationships = relationships

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> Literal[False]:
        if isinstance(exc, OrderpayError):
            locate(exc, relationships=self.relationships)
        return False


def _type_names(singular: str) -> set[str]:
    plural = singular + ("es" if singular.endswith("s") else "s")
    return {singular, plural}


def resource(
    document: dict[str, Any], type_name: str, allowed: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Checks `data.type` and `data.attributes` and returns (attributes, relationships)."""
    data = document["data"]
    if "type" not in data:
        raise Unprocessable("`data.type` is required.", code="missing_type", pointer="/data/type")
    if data["type"] != type_name:
        raise Conflict(
            f"`data.type` must be {type_name!r}.",
            code="type_mismatch",
            title="Type mismatch",
            pointer="/data/type",
        )
    attributes = data.get("attributes", {})
    if attributes is None:
        attributes = {}
    if not isinstance(attributes, dict):
        raise _invalid_document("`data.attributes` must be an object.", "/data/attributes")
    relationships = data.get("relationships", {})
    if relationships is None:
        relationships = {}
    if not isinstance(relationships, dict):
        raise _invalid_document("`data.relationships` must be an object.", "/data/relationships")
    allowed = set(allowed)
    unknown: list[OrderpayError] = [
        Unprocessable(
            f"Unknown attribute {name!r}.",
            code="unknown_attribute",
            title="Unknown attribute",
            pointer=f"/data/attributes/{pointer_token(name)}",
        )
        for name in attributes
        if name not in allowed
    ]
    if unknown:
        first, *rest = unknown
        first.extra_errors = rest
        raise first
    return attributes, relationships


def relationship_id(
    relationships: dict[str, Any], name: str, type_singular: str, *, missing_code: str
) -> str:
    """The id of a to-one relationship, in the JSON:API form `{"data": {…}}` or the flat form
    of the original documentation `{"type": …, "id": …}`; the type singular or plural."""
    pointer = f"/data/relationships/{name}"
    value = relationships.get(name)
    if value is None:
        raise Unprocessable(
            f"`relationships.{name}` is required.",
            code=missing_code,
            title=f"Missing {name}",
            pointer=pointer,
        )
    if not isinstance(value, dict):
        raise Unprocessable(
            f"`relationships.{name}` must be an object.",
            code="invalid_relationship",
            pointer=pointer,
        )
    if "data" in value:
        value = value["data"]
        pointer += "/data"
        if not isinstance(value, dict):
            raise Unprocessable(
                f"`relationships.{name}.data` must be a resource identifier.",
                code="invalid_relationship",
                pointer=pointer,
            )
    if "id" not in value:
        raise Unprocessable(
            f"`relationships.{name}` needs an `id`.",
            code=missing_code,
            title=f"Missing {name}",
            pointer=pointer + "/id",
        )
    rel_type = value.get("type")
    if rel_type is not None and (
        not isinstance(rel_type, str) or rel_type not in _type_names(type_singular)
    ):
        raise Conflict(
            f"The {name} relationship must have type {type_singular!r}.",
            code="type_mismatch",
            title="Type mismatch",
            pointer=pointer + "/type",
        )
    rel_id = value["id"]
    if not isinstance(rel_id, str) or not rel_id:
        raise Unprocessable(
            "Resource ids are non-empty strings.",
            code="invalid_id",
            title="Invalid id",
            pointer=pointer + "/id",
        )
    return rel_id


# An integer as a form carries it (forms carry every value as text): ASCII digits. Not
# str.isdigit(): it also accepts "²", which int() refuses (a 500), and "١٢", which int() reads
# as 12; and "--5" got past lstrip("-"). At most 18 digits: within 64 bits, and far from
# int()'s 4,300-digit limit for text.
_FORM_INTEGER = re.compile(r"-?[0-9]{1,18}")


def integer(value: Any, pointer: str, *, lo: int, hi: int, code: str) -> int:
    """A member that is an integer from `lo` to `hi`: a JSON number, or its text in a form."""
    if isinstance(value, str) and _FORM_INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    elif isinstance(value, float) and value.is_integer() and abs(value) <= 2**63:
        # JSON has one kind of number: 2.0 is the integer 2 (JSON Schema's `integer` too).
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Unprocessable(f"Expected an integer from {lo} to {hi}.", code=code, pointer=pointer)
    return value


def parse_id(raw: str) -> int | None:
    """Our ids are opaque strings to clients; internally integers. Anything else is unknown."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def error_document(error: OrderpayError) -> dict[str, Any]:
    return {"errors": [e.to_json() for e in error.all_errors()]}


def isoformat(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")
