from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_payment_data_body import CreatePaymentDataBody
from ...models.create_payment_files_body import CreatePaymentFilesBody
from ...models.create_payment_request import CreatePaymentRequest
from ...models.error_document import ErrorDocument
from ...models.payment_document import PaymentDocument
from ...models.payment_error_document import PaymentErrorDocument
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreatePaymentRequest | CreatePaymentRequest | CreatePaymentDataBody | CreatePaymentFilesBody | Unset = UNSET,
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
        "url": "/api/v1/payments",
    }

    if isinstance(body, CreatePaymentRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/vnd.api+json"
    if isinstance(body, CreatePaymentRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, CreatePaymentDataBody):
        _kwargs["data"] = body.to_dict()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if isinstance(body, CreatePaymentFilesBody):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorDocument | PaymentDocument | PaymentErrorDocument | None:
    if response.status_code == 201:
        response_201 = PaymentDocument.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ErrorDocument.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorDocument.from_dict(response.json())

        return response_401

    if response.status_code == 402:
        response_402 = PaymentErrorDocument.from_dict(response.json())

        return response_402

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

    if response.status_code == 502:
        response_502 = PaymentErrorDocument.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = PaymentErrorDocument.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorDocument | PaymentDocument | PaymentErrorDocument]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CreatePaymentRequest | CreatePaymentRequest | CreatePaymentDataBody | CreatePaymentFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorDocument | PaymentDocument | PaymentErrorDocument]:
    """Create Payment

     Create a payment for an order: charges the order's `total_cents` in its `currency`
    to the card, once. The business's Stripe Connect account, when it has one, receives the
    charge less the platform fee.

    Outcomes: charged, `201` `succeeded` (the order becomes `paid`); the card needs 3-D
    Secure, `201` `requires_action`; declined, `402` with Stripe's decline code (the attempt
    is kept `failed`, the customer may try another card); Stripe unreachable, `503` with
    `Retry-After` (the payment stays `processing` and is settled later).

    **Exactly once**: however many requests arrive, an order is charged at most once. Send
    an `Idempotency-Key` to make a retry safe: it replays the first answer.

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (CreatePaymentFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | PaymentDocument | PaymentErrorDocument]
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
    body: CreatePaymentRequest | CreatePaymentRequest | CreatePaymentDataBody | CreatePaymentFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorDocument | PaymentDocument | PaymentErrorDocument | None:
    """Create Payment

     Create a payment for an order: charges the order's `total_cents` in its `currency`
    to the card, once. The business's Stripe Connect account, when it has one, receives the
    charge less the platform fee.

    Outcomes: charged, `201` `succeeded` (the order becomes `paid`); the card needs 3-D
    Secure, `201` `requires_action`; declined, `402` with Stripe's decline code (the attempt
    is kept `failed`, the customer may try another card); Stripe unreachable, `503` with
    `Retry-After` (the payment stays `processing` and is settled later).

    **Exactly once**: however many requests arrive, an order is charged at most once. Send
    an `Idempotency-Key` to make a retry safe: it replays the first answer.

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (CreatePaymentFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | PaymentDocument | PaymentErrorDocument
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
    body: CreatePaymentRequest | CreatePaymentRequest | CreatePaymentDataBody | CreatePaymentFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorDocument | PaymentDocument | PaymentErrorDocument]:
    """Create Payment

     Create a payment for an order: charges the order's `total_cents` in its `currency`
    to the card, once. The business's Stripe Connect account, when it has one, receives the
    charge less the platform fee.

    Outcomes: charged, `201` `succeeded` (the order becomes `paid`); the card needs 3-D
    Secure, `201` `requires_action`; declined, `402` with Stripe's decline code (the attempt
    is kept `failed`, the customer may try another card); Stripe unreachable, `503` with
    `Retry-After` (the payment stays `processing` and is settled later).

    **Exactly once**: however many requests arrive, an order is charged at most once. Send
    an `Idempotency-Key` to make a retry safe: it replays the first answer.

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (CreatePaymentFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | PaymentDocument | PaymentErrorDocument]
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
    body: CreatePaymentRequest | CreatePaymentRequest | CreatePaymentDataBody | CreatePaymentFilesBody | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ErrorDocument | PaymentDocument | PaymentErrorDocument | None:
    """Create Payment

     Create a payment for an order: charges the order's `total_cents` in its `currency`
    to the card, once. The business's Stripe Connect account, when it has one, receives the
    charge less the platform fee.

    Outcomes: charged, `201` `succeeded` (the order becomes `paid`); the card needs 3-D
    Secure, `201` `requires_action`; declined, `402` with Stripe's decline code (the attempt
    is kept `failed`, the customer may try another card); Stripe unreachable, `503` with
    `Retry-After` (the payment stays `processing` and is settled later).

    **Exactly once**: however many requests arrive, an order is charged at most once. Send
    an `Idempotency-Key` to make a retry safe: it replays the first answer.

    Args:
        x_request_id (str | Unset):
        idempotency_key (str | Unset):
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentRequest): Create Payment's request document.
        body (CreatePaymentDataBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).
        body (CreatePaymentFilesBody): The document as bracketed form keys:
            `data[type]=…&data[attributes][…]=…`. Every value is text. Other keys are allowed, and
            ignored, when they decode together with these (a key is given once, and is a name followed
            by `[segment]`s).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | PaymentDocument | PaymentErrorDocument
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
            idempotency_key=idempotency_key,
        )
    ).parsed
