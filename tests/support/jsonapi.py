"""Assertions on JSON:API documents shared by the API tests."""

from __future__ import annotations

import httpx

JSONAPI = "application/vnd.api+json"


def assert_jsonapi(response: httpx.Response) -> None:
    assert response.headers["content-type"] == JSONAPI, response.headers
    assert response.headers.get("x-request-id"), response.headers


def assert_error(
    response: httpx.Response, status: int, code: str | None = None, pointer: str | None = None
) -> dict:
    """The response is a JSON:API error document whose first error has this status, code and
    (when given) `source.pointer`; every error object has the members API.md requires."""
    assert response.status_code == status, response.text
    assert_jsonapi(response)
    document = response.json()
    assert "data" not in document
    errors = document["errors"]
    assert isinstance(errors, list) and errors, document
    for error in errors:
        assert isinstance(error["status"], str)
        assert error["status"] == str(status)
        for member in ("code", "title", "detail"):
            assert isinstance(error[member], str) and error[member], error
    if code is not None:
        assert errors[0]["code"] == code, errors
    if pointer is not None:
        assert errors[0]["source"]["pointer"] == pointer, errors
    return errors[0]
