from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_document import ErrorDocument
from ...models.receive_stripe_event_body import ReceiveStripeEventBody
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: ReceiveStripeEventBody,
    x_request_id: str | Unset = UNSET,
    stripe_signature: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    headers["Stripe-Signature"] = stripe_signature

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/stripe/webhooks",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | ErrorDocument | None:
    if response.status_code == 200:
        response_200 = cast(Any, None)
        return response_200

    if response.status_code == 400:
        response_400 = ErrorDocument.from_dict(response.json())

        return response_400

    if response.status_code == 413:
        response_413 = ErrorDocument.from_dict(response.json())

        return response_413

    if response.status_code == 503:
        response_503 = ErrorDocument.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | ErrorDocument]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveStripeEventBody,
    x_request_id: str | Unset = UNSET,
    stripe_signature: str,
) -> Response[Any | ErrorDocument]:
    """Receive a Stripe event

     Stripe's events about payments and refunds, verified with `Stripe-Signature` against
    `STRIPE_WEBHOOK_SECRET` (300 s tolerance). Each event is processed once; events may come
    late, twice or out of order, and a final state never moves back.

    Args:
        x_request_id (str | Unset):
        stripe_signature (str):
        body (ReceiveStripeEventBody): Handled: `payment_intent.succeeded`,
            `payment_intent.payment_failed`, `payment_intent.canceled`,
            `payment_intent.requires_action`, `charge.refunded`, `charge.refund.updated`,
            `refund.updated`, `refund.failed`, `charge.dispute.created`; others are acknowledged.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorDocument]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
        stripe_signature=stripe_signature,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveStripeEventBody,
    x_request_id: str | Unset = UNSET,
    stripe_signature: str,
) -> Any | ErrorDocument | None:
    """Receive a Stripe event

     Stripe's events about payments and refunds, verified with `Stripe-Signature` against
    `STRIPE_WEBHOOK_SECRET` (300 s tolerance). Each event is processed once; events may come
    late, twice or out of order, and a final state never moves back.

    Args:
        x_request_id (str | Unset):
        stripe_signature (str):
        body (ReceiveStripeEventBody): Handled: `payment_intent.succeeded`,
            `payment_intent.payment_failed`, `payment_intent.canceled`,
            `payment_intent.requires_action`, `charge.refunded`, `charge.refund.updated`,
            `refund.updated`, `refund.failed`, `charge.dispute.created`; others are acknowledged.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorDocument
    """

    return sync_detailed(
        client=client,
        body=body,
        x_request_id=x_request_id,
        stripe_signature=stripe_signature,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveStripeEventBody,
    x_request_id: str | Unset = UNSET,
    stripe_signature: str,
) -> Response[Any | ErrorDocument]:
    """Receive a Stripe event

     Stripe's events about payments and refunds, verified with `Stripe-Signature` against
    `STRIPE_WEBHOOK_SECRET` (300 s tolerance). Each event is processed once; events may come
    late, twice or out of order, and a final state never moves back.

    Args:
        x_request_id (str | Unset):
        stripe_signature (str):
        body (ReceiveStripeEventBody): Handled: `payment_intent.succeeded`,
            `payment_intent.payment_failed`, `payment_intent.canceled`,
            `payment_intent.requires_action`, `charge.refunded`, `charge.refund.updated`,
            `refund.updated`, `refund.failed`, `charge.dispute.created`; others are acknowledged.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | ErrorDocument]
    """

    kwargs = _get_kwargs(
        body=body,
        x_request_id=x_request_id,
        stripe_signature=stripe_signature,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ReceiveStripeEventBody,
    x_request_id: str | Unset = UNSET,
    stripe_signature: str,
) -> Any | ErrorDocument | None:
    """Receive a Stripe event

     Stripe's events about payments and refunds, verified with `Stripe-Signature` against
    `STRIPE_WEBHOOK_SECRET` (300 s tolerance). Each event is processed once; events may come
    late, twice or out of order, and a final state never moves back.

    Args:
        x_request_id (str | Unset):
        stripe_signature (str):
        body (ReceiveStripeEventBody): Handled: `payment_intent.succeeded`,
            `payment_intent.payment_failed`, `payment_intent.canceled`,
            `payment_intent.requires_action`, `charge.refunded`, `charge.refund.updated`,
            `refund.updated`, `refund.failed`, `charge.dispute.created`; others are acknowledged.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | ErrorDocument
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            x_request_id=x_request_id,
            stripe_signature=stripe_signature,
        )
    ).parsed
