"""A method a path does not take is 405 with an `Allow` header naming every method the path
does take (RFC 9110), also when they are served by different routes (found by schemathesis:
`OPTIONS /api/v1/cards` answered `Allow: POST`, forgetting GET)."""

from __future__ import annotations

import pytest

from tests.support.jsonapi import assert_error

PATHS = {
    "/api/v1/cards": {"GET", "POST"},
    "/api/v1/orders": {"GET", "POST"},
    "/api/v1/payments": {"POST"},
    "/api/v1/payments/1": {"GET"},
    "/api/v1/cards/1": {"DELETE"},
    "/api/v1/orders/1/reject": {"PATCH"},
}


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
@pytest.mark.parametrize("path", sorted(PATHS))
async def test_405_allows_every_method_of_the_path(api, path):
    response = await api.client.request("PUT", path)

    assert_error(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed == PATHS[path]
