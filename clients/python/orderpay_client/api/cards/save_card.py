from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.card_document import CardDocument
from ...models.error_document import ErrorDocument
from ...models.save_card_data_body import SaveCardDataBody
from ...models.save_card_files_body import SaveCardFilesBody
from ...models.save_card_request import SaveCardRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: SaveCardRequest | SaveCardRequest | SaveCardDataBody | SaveCardFilesBody | Unset = UNSET,
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
        "url": "/api/v1/cards",
    }

    if isinstance(body, SaveCardRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/vnd.api+json"
    if isinstance(body, SaveCardRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, SaveCardDataBody):
        _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if isinstance(body, SaveCardFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CardDocument | ErrorDocument | None:
    if response.status_code == 200:
        response_200 = CardDocument.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = CardDocument.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ErrorDocument.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorDocument.from_dict(response.json())

        return response_401

    if response.status_code == 402:
        response_402 = ErrorDocument.from_dict(response.json())

        return response_402

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
) -> Response[CardDocument | ErrorDocument]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: SaveCardRequest | SaveCardRequest | SaveCardDataBody | SaveCardFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[CardDocument | ErrorDocument]:
    """Save Card

     Saves a card for the customer (a Card record): pay with its
    `stripe_payment_method_id` later. A card Stripe declines when it is attached is `402`
    with Stripe's decline code; saving the same PaymentMethod twice returns the card (`200`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (SaveCardFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CardDocument | ErrorDocument]
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
    body: SaveCardRequest | SaveCardRequest | SaveCardDataBody | SaveCardFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> CardDocument | ErrorDocument | None:
    """Save Card

     Saves a card for the customer (a Card record): pay with its
    `stripe_payment_method_id` later. A card Stripe declines when it is attached is `402`
    with Stripe's decline code; saving the same PaymentMethod twice returns the card (`200`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (SaveCardFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CardDocument | ErrorDocument
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
    body: SaveCardRequest | SaveCardRequest | SaveCardDataBody | SaveCardFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[CardDocument | ErrorDocument]:
    """Save Card

     Saves a card for the customer (a Card record): pay with its
    `stripe_payment_method_id` later. A card Stripe declines when it is attached is `402`
    with Stripe's decline code; saving the same PaymentMethod twice returns the card (`200`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (SaveCardFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CardDocument | ErrorDocument]
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
    body: SaveCardRequest | SaveCardRequest | SaveCardDataBody | SaveCardFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> CardDocument | ErrorDocument | None:
    """Save Card

     Saves a card for the customer (a Card record): pay with its
    `stripe_payment_method_id` later. A card Stripe declines when it is attached is `402`
    with Stripe's decline code; saving the same PaymentMethod twice returns the card (`200`).

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardRequest): Save Card's request document.
        body (SaveCardDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (SaveCardFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CardDocument | ErrorDocument
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
            idempotency_key=idempotency_key,
        )
    ).parsed
