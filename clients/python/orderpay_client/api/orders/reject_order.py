from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_document import ErrorDocument
from ...models.order_document import OrderDocument
from ...models.reject_order_data_body import RejectOrderDataBody
from ...models.reject_order_files_body import RejectOrderFilesBody
from ...models.reject_order_request import RejectOrderRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    order_id: str,
    *,
    body: RejectOrderRequest | RejectOrderRequest | RejectOrderDataBody | RejectOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/orders/{order_id}/reject".format(
            order_id=quote(str(order_id), safe=""),
        ),
    }

    if isinstance(body, RejectOrderRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/vnd.api+json"
    if isinstance(body, RejectOrderRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, RejectOrderDataBody):
        _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if isinstance(body, RejectOrderFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorDocument | OrderDocument | None:
    if response.status_code == 200:
        response_200 = OrderDocument.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorDocument.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorDocument.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorDocument.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorDocument.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorDocument.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ErrorDocument.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = ErrorDocument.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = ErrorDocument.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = ErrorDocument.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorDocument | OrderDocument]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: RejectOrderRequest | RejectOrderRequest | RejectOrderDataBody | RejectOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorDocument | OrderDocument]:
    """Reject Order

     A member of the order's business rejects it. A paid order is refunded in full first
    (once, however often this is retried), so an order is never `rejected` while the
    customer's money is held.

    Args:
        order_id (str):
        x_request_id (str | Unset):
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (RejectOrderFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | OrderDocument]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: RejectOrderRequest | RejectOrderRequest | RejectOrderDataBody | RejectOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorDocument | OrderDocument | None:
    """Reject Order

     A member of the order's business rejects it. A paid order is refunded in full first
    (once, however often this is retried), so an order is never `rejected` while the
    customer's money is held.

    Args:
        order_id (str):
        x_request_id (str | Unset):
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (RejectOrderFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | OrderDocument
    """

    return sync_detailed(
        order_id=order_id,
        client=client,
        body=body,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: RejectOrderRequest | RejectOrderRequest | RejectOrderDataBody | RejectOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorDocument | OrderDocument]:
    """Reject Order

     A member of the order's business rejects it. A paid order is refunded in full first
    (once, however often this is retried), so an order is never `rejected` while the
    customer's money is held.

    Args:
        order_id (str):
        x_request_id (str | Unset):
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (RejectOrderFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | OrderDocument]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        body=body,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    order_id: str,
    *,
    client: AuthenticatedClient,
    body: RejectOrderRequest | RejectOrderRequest | RejectOrderDataBody | RejectOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> ErrorDocument | OrderDocument | None:
    """Reject Order

     A member of the order's business rejects it. A paid order is refunded in full first
    (once, however often this is retried), so an order is never `rejected` while the
    customer's money is held.

    Args:
        order_id (str):
        x_request_id (str | Unset):
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderRequest): Reject Order's request document.
        body (RejectOrderDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (RejectOrderFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | OrderDocument
    """

    return (
        await asyncio_detailed(
            order_id=order_id,
            client=client,
            body=body,
            x_request_id=x_request_id,
        )
    ).parsed
