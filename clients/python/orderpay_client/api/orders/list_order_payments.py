from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_document import ErrorDocument
from ...models.payment_list import PaymentList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    order_id: str,
    *,
    pagenumber: int | Unset = 1,
    pagesize: int | Unset = 25,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["page[number]"] = pagenumber

    params["page[size]"] = pagesize

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v1/orders/{order_id}/payments".format(
            order_id=quote(str(order_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorDocument | PaymentList | None:
    if response.status_code == 200:
        response_200 = PaymentList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorDocument.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorDocument.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorDocument.from_dict(response.json())

        return response_404

    if response.status_code == 503:
        response_503 = ErrorDocument.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorDocument | PaymentList]:
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
    pagenumber: int | Unset = 1,
    pagesize: int | Unset = 25,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorDocument | PaymentList]:
    """List Order Payments

     Every payment attempt of an order (declined ones included), for its customer or a
    member of its business.

    Args:
        order_id (str):
        pagenumber (int | Unset):  Default: 1.
        pagesize (int | Unset):  Default: 25.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | PaymentList]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        pagenumber=pagenumber,
        pagesize=pagesize,
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
    pagenumber: int | Unset = 1,
    pagesize: int | Unset = 25,
    x_request_id: str | Unset = UNSET,
) -> ErrorDocument | PaymentList | None:
    """List Order Payments

     Every payment attempt of an order (declined ones included), for its customer or a
    member of its business.

    Args:
        order_id (str):
        pagenumber (int | Unset):  Default: 1.
        pagesize (int | Unset):  Default: 25.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | PaymentList
    """

    return sync_detailed(
        order_id=order_id,
        client=client,
        pagenumber=pagenumber,
        pagesize=pagesize,
        x_request_id=x_request_id,
    ).parsed


async def asyncio_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    pagenumber: int | Unset = 1,
    pagesize: int | Unset = 25,
    x_request_id: str | Unset = UNSET,
) -> Response[ErrorDocument | PaymentList]:
    """List Order Payments

     Every payment attempt of an order (declined ones included), for its customer or a
    member of its business.

    Args:
        order_id (str):
        pagenumber (int | Unset):  Default: 1.
        pagesize (int | Unset):  Default: 25.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorDocument | PaymentList]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        pagenumber=pagenumber,
        pagesize=pagesize,
        x_request_id=x_request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    order_id: str,
    *,
    client: AuthenticatedClient,
    pagenumber: int | Unset = 1,
    pagesize: int | Unset = 25,
    x_request_id: str | Unset = UNSET,
) -> ErrorDocument | PaymentList | None:
    """List Order Payments

     Every payment attempt of an order (declined ones included), for its customer or a
    member of its business.

    Args:
        order_id (str):
        pagenumber (int | Unset):  Default: 1.
        pagesize (int | Unset):  Default: 25.
        x_request_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorDocument | PaymentList
    """

    return (
        await asyncio_detailed(
            order_id=order_id,
            client=client,
            pagenumber=pagenumber,
            pagesize=pagesize,
            x_request_id=x_request_id,
        )
    ).parsed
