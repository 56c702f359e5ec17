"""`page[number]` / `page[size]` pagination with `links` and `meta.total`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

from orderpay.errors import BadRequest

DEFAULT_SIZE = 25
MAX_SIZE = 100


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _positive(request: Request, name: str, default: int, maximum: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    # The length before int(): int() refuses text of more than 4,300 digits (a 500).
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise BadRequest(
            f"{name} must be a positive integer.",
            code="invalid_page",
            title="Invalid page parameter",
        )
    value = int(raw)
    if maximum is not None and value > maximum:
        raise BadRequest(
            f"{name} may be at most {maximum}.", code="invalid_page", title="Invalid page parameter"
        )
    return value


async def page(request: Request) -> Page:
    return Page(
        number=_positive(request, "page[number]", 1, None),
        size=_positive(request, "page[size]", DEFAULT_SIZE, MAX_SIZE),
    )


def list_document(request: Request, page: Page, total: int, data: list[dict]) -> dict:
    def link(number: int) -> str:
        query = urlencode({"page[number]": number, "page[size]": page.size})
        return f"{request.url.path}?{query}"

    last = max(1, -(-total // page.size))
    return {
        "data": data,
        "meta": {"total": total},
        "links": {
            "self": link(page.number),
            "first": link(1),
            "last": link(last),
            "next": link(page.number + 1) if page.number < last else None,
            "prev": link(page.number - 1) if page.number > 1 else None,
        },
    }
