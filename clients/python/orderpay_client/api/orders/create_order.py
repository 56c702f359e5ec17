from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_order_data_body import CreateOrderDataBody
from ...models.create_order_files_body import CreateOrderFilesBody
from ...models.create_order_request import CreateOrderRequest
from ...models.error_document import ErrorDocument
from ...models.order_document import OrderDocument
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreateOrderRequest | CreateOrderRequest | CreateOrderDataBody | CreateOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/orders",
    }

    if isinstance(body, CreateOrderRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/vnd.api+json"
    if isinstance(body, CreateOrderRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, CreateOrderDataBody):
        _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if isinstance(body, CreateOrderFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorDocument | OrderDocument | None:
    if response.status_code == 201:
        response_201 = OrderDocument.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ErrorDocument.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorDocument.from_dict(response.json())

        return response_401

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
    *,
    client: AuthenticatedClient,
    body: CreateOrderRequest | CreateOrderRequest | CreateOrderDataBody | CreateOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorDocument | OrderDocument]:
    """Create Order

     A customer orders from a business. Prices come from the business's products, never
    from the client; the order waits for its payment (`pending_payment`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderDataBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).
        body (CreateOrderFilesBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | OrderDocument]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: CreateOrderRequest | CreateOrderRequest | CreateOrderDataBody | CreateOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorDocument | OrderDocument | None:
    """Create Order

     A customer orders from a business. Prices come from the business's products, never
    from the client; the order waits for its payment (`pending_payment`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderDataBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).
        body (CreateOrderFilesBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | OrderDocument
    """

    return sync_detailed(
        client=client,
        body=body,
        x_request_id=x_request_id,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CreateOrderRequest | CreateOrderRequest | CreateOrderDataBody | CreateOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorDocument | OrderDocument]:
    """Create Order

     A customer orders from a business. Prices come from the business's products, never
    from the client; the order waits for its payment (`pending_payment`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderDataBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).
        body (CreateOrderFilesBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | OrderDocument]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: CreateOrderRequest | CreateOrderRequest | CreateOrderDataBody | CreateOrderFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorDocument | OrderDocument | None:
    """Create Order

     A customer orders from a business. Prices come from the business's products, never
    from the client; the order waits for its payment (`pending_payment`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderRequest): Create Order's request document.
        body (CreateOrderDataBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).
        body (CreateOrderFilesBody): More lines follow the first:
            `data[attributes][elements][1][product_id]`, `…[1][quantity]`, and so on (or
            `data[attributes][elements][][product_id]`, `…[][quantity]` for each line in turn).

            The document as bracketed form keys: `data[type]=…&data[attributes][…]=…`. Every value is
            text. Other keys are allowed, and ignored, when they decode together with these (a key is
            given once, and is a name followed by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | OrderDocument
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
            idempotency_key=idempotency_key,
        )
    ).parsed
