"""The one module that talks to Stripe.

Every mutating call carries an idempotency key derived from our own record and namespaced by
this installation (`orderpay-<installation>-payment-<id>-create`, …), never a random one: a
retry of the same step, from any process, after any crash, is the same request to Stripe and
cannot create a second PaymentIntent or a second refund, and no other database on the same
Stripe account can own the same key. Every object created carries the installation id and our
record's id in its metadata, so it can be found again, and only by us. Callers get plain
snapshots and three kinds of failure: `CardDeclined` (Stripe refused the card: nothing
charged), `StripeRejected` (Stripe refused the request: nothing done), `StripeUnavailable` (we
do not know what Stripe did: the payment stays in doubt and is settled later from Stripe's
truth).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import quote_plus

import aiohttp
import stripe

from orderpay import logs
from orderpay.metrics import STRIPE_SECONDS
from orderpay.settings import Settings

if TYPE_CHECKING:
    from stripe.params import PaymentIntentListParams

log = logs.get_logger(__name__)

_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")

METADATA_INSTALLATION_ID = "orderpay_install_id"
METADATA_PAYMENT_ID = "orderpay_payment_id"
METADATA_REFUND_ID = "orderpay_refund_id"
STRIPE_ACTING_REFUND_REASONS = ("fraudulent", "duplicate")


class StripeFailure(Exception):
    def __init__(
        self, code: str, message: str, http_status: int | None = None, replayed: bool = False
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        # Stripe answered with what it saved for the idempotency key (Idempotent-Replayed):
        # the outcome of the first request with it, not a failure of this one.
        self.replayed = replayed


def _replayed(exc: stripe.StripeError) -> bool:
    headers = exc.headers or {}
    value = headers.get("idempotent-replayed") or headers.get("Idempotent-Replayed")
    return str(value).lower() == "true"


class CardDeclined(StripeFailure):
    """The card was refused (402): Stripe charged nothing."""


class StripeRejected(StripeFailure):
    """Stripe refused the request itself (4xx): it did nothing."""


class StripeUnavailable(StripeFailure):
    """No usable answer (network, timeout, 5xx, 429 past the deadline): Stripe may have acted."""


@dataclass(frozen=True)
class IntentSnapshot:
    id: str
    status: str
    amount: int | None
    currency: str | None
    customer: str | None
    client_secret: str | None
    next_action: dict[str, Any] | None
    payment_method_id: str | None
    card_brand: str | None
    card_last4: str | None
    failure_code: str | None
    failure_message: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class RefundSnapshot:
    id: str
    status: str
    amount: int | None
    payment_intent: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class CardSnapshot:
    payment_method_id: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None


def _lazy_sdk_logging() -> None:
    """The SDK formats each of its log lines (logfmt, regular expressions, the response
    body included) before its logger decides whether anyone listens: several lines per
    call, ~6% of a worker's CPU on Create Payment. Its own functions still run, unchanged,
    whenever they could show something (STRIPE_LOG / stripe.log set, or its logger enabled
    for that level)."""
    from stripe import _api_requestor, _util

    def guarded(log_fn: Callable[..., None], level: int) -> Callable[..., None]:
        def log(message: str, **params: Any) -> None:
            if _util._console_log_level() is not None or _util.logger.isEnabledFor(level):
                log_fn(message, **params)

        return log

    if _util.STRIPE_LOG:
        # STRIPE_LOG makes the SDK print each request's parameters on stderr itself, past
        # our log lines' redaction (a card token among them): never in this service.
        _util.STRIPE_LOG = None
        log.warning("stripe_log_ignored", reason="the SDK would print request parameters")
    for name, level in (("log_info", logging.INFO), ("log_debug", logging.DEBUG)):
        log_fn = getattr(_api_requestor, name, None)
        if callable(log_fn) and getattr(log_fn, "__module__", None) == "stripe._util":
            setattr(_api_requestor, name, guarded(log_fn, level))


_lazy_sdk_logging()


def idempotency_key(installation_id: str, *record: object) -> str:
    """The key of one step on one of our records, in this installation's namespace:
    `orderpay-<installation>-payment-12-create`."""
    return "-".join(("orderpay", installation_id, *map(str, record)))


def payment_key(installation_id: str, payment_id: int, step: str) -> str:
    return idempotency_key(installation_id, "payment", payment_id, step)


def cancel_step(attempt: int) -> str:
    """The step of a payment's `attempt`-th cancel key: `cancel`, then `cancel-1`, `cancel-2`…
    Stripe replays a 5xx it stored under a key to every request with it for 24 h, so a
    cancel that failed inside Stripe needs the next key (payments.cancel_attempt)."""
    return "cancel" if attempt == 0 else f"cancel-{attempt}"


def refund_key(installation_id: str, refund_id: int) -> str:
    return idempotency_key(installation_id, "refund", refund_id)


def _as_dict(obj: Any) -> dict[str, Any] | None:
    if obj is None or isinstance(obj, dict):
        return obj
    # A StripeObject (the SDK's answers): its plain-dict form.
    as_dict: dict[str, Any] | None
    if hasattr(obj, "to_dict_recursive"):
        as_dict = obj.to_dict_recursive()
    else:
        as_dict = obj.to_dict() if hasattr(obj, "to_dict") else None
    return as_dict


# Webhook payloads are signed but not necessarily well formed: every field is read with its
# type checked, and an object without a string id and status is refused (ValueError).
def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _id_of(obj: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the object."""
    if isinstance(obj, dict):
        return _text(obj.get("id"))
    return _text(obj)


def _object(obj: Any, kind: str) -> dict[str, Any]:
    data = _as_dict(obj)
    if not isinstance(data, dict) or not _text(data.get("id")) or not _text(data.get("status")):
        raise ValueError(f"not a {kind}")
    return data


def _card_fields(payment_method: Any) -> tuple[str | None, str | None, str | None]:
    """(id, brand, last4) of an expanded PaymentMethod, Card or Source."""
    if isinstance(payment_method, str):
        return payment_method, None, None
    pm = _as_dict(payment_method)
    if not isinstance(pm, dict):
        return None, None, None
    card = _card_of(pm)
    return _text(pm.get("id")), _text(card.get("brand")), _text(card.get("last4"))


def _card_of(data: dict[str, Any]) -> dict[str, Any]:
    """A PaymentMethod's `card` member; a Card or Source holds the card's fields itself."""
    card = data.get("card")
    return card if isinstance(card, dict) else data


def snapshot(intent: Any) -> IntentSnapshot:
    data = _object(intent, "PaymentIntent")
    pm_id, brand, last4 = _card_fields(data.get("payment_method"))
    error = data.get("last_payment_error")
    error = error if isinstance(error, dict) else {}
    next_action = data.get("next_action")
    return IntentSnapshot(
        id=data["id"],
        status=data["status"],
        amount=_integer(data.get("amount")),
        currency=_text(data.get("currency")),
        customer=_id_of(data.get("customer")),
        client_secret=_text(data.get("client_secret")),
        next_action=next_action if isinstance(next_action, dict) else None,
        payment_method_id=pm_id,
        card_brand=brand.lower() if brand else None,
        card_last4=last4,
        failure_code=_text(error.get("decline_code")) or _text(error.get("code")),
        failure_message=_text(error.get("message")),
        metadata=_metadata(data.get("metadata")),
    )


def refund_snapshot(refund: Any) -> RefundSnapshot:
    data = _object(refund, "Refund")
    return RefundSnapshot(
        id=data["id"],
        status=data["status"],
        amount=_integer(data.get("amount")),
        payment_intent=_id_of(data.get("payment_intent")),
        metadata=_metadata(data.get("metadata")),
    )


def decline_code(error: stripe.StripeError) -> str:
    """Stripe's most specific reason: `insufficient_funds` rather than `card_declined`."""
    details = error.json_body.get("error", {}) if isinstance(error.json_body, dict) else {}
    specific: str | None = getattr(error, "decline_code", None) or details.get("decline_code")
    if specific and specific != "generic_decline":
        return specific
    return error.code or "card_declined"


class StripeGateway:
    def __init__(self, settings: Settings, *, installation_id: str):
        self.settings = settings
        self.installation_id = installation_id
        self._client: stripe.StripeClient | None = None
        self._http: stripe.AIOHTTPClient | None = None

    @property
    def client(self) -> stripe.StripeClient:
        if self._client is None:
            # Built on first use, inside the running event loop that aiohttp's connector needs.
            connector = aiohttp.TCPConnector(
                limit=self.settings.stripe_max_connections, keepalive_timeout=30
            )
            self._http = stripe.AIOHTTPClient(
                timeout=self.settings.stripe_request_timeout_seconds, connector=connector
            )
            self._client = stripe.StripeClient(
                self.settings.stripe_secret_key,
                base_addresses={"api": self.settings.stripe_api_base},
                stripe_version=self.settings.stripe_api_version,
                http_client=self._http,
                max_network_retries=self.settings.stripe_max_network_retries,
            )
        return self._client

    def key(self, *record: object) -> str:
        """The idempotency key of a step on one of our records (see `idempotency_key`)."""
        return idempotency_key(self.installation_id, *record)

    def _metadata(self, **ours: object) -> dict[str, str]:
        return {
            METADATA_INSTALLATION_ID: self.installation_id,
            **{k: str(v) for k, v in ours.items()},
        }

    def is_ours(self, metadata: Any) -> bool:
        """Whether a Stripe object's metadata names this installation."""
        return isinstance(metadata, dict) and metadata.get(METADATA_INSTALLATION_ID) == (
            self.installation_id
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close_async()
        self._client = self._http = None

    async def _call(
        self,
        operation: str,
        fn: Callable[_Params, Awaitable[_Result]],
        *args: _Params.args,
        **kwargs: _Params.kwargs,
    ) -> _Result:
        """One Stripe call with our error classification. The SDK already retries network
        errors, 409 and 5xx with the same idempotency key; a plain 429 it does not retry, so
        we retry it here, honouring Retry-After, until the caller's deadline cancels us.
        Each attempt is one `stripe_call` log line and one latency observation."""
        key = _idempotency_key_of(args, kwargs)
        # The key names our record (…-payment-12-confirm, …-refund-3): the request's later
        # lines carry it, and that record's id, too.
        logs.bind(idempotency_key=key, **_record_of(key))
        attempt = 0
        while True:
            started = time.perf_counter()
            result = "ok"
            request_id: str | None = None
            http_status: int | None = None
            try:
                response = await fn(*args, **kwargs)
                request_id = _request_id_of(response)
                return response
            except stripe.RateLimitError as exc:
                result = "rate_limited"
                request_id, http_status = exc.request_id, exc.http_status
                attempt += 1
                delay = _retry_after(exc) or min(0.25 * 2 ** (attempt - 1), 4.0)
                log.warning("stripe_rate_limited", operation=operation, retry_in_s=round(delay, 3))
                await asyncio.sleep(delay)
            except stripe.CardError as exc:
                result = "declined"
                request_id, http_status = exc.request_id, exc.http_status
                raise CardDeclined(decline_code(exc), exc.user_message or str(exc), 402) from None
            except stripe.IdempotencyError as exc:
                # The same key with other parameters: a bug of ours, and Stripe may hold a
                # request under that key. Never treat it as "nothing happened".
                result = "error"
                request_id, http_status = exc.request_id, exc.http_status
                raise StripeUnavailable("idempotency_error", str(exc), exc.http_status) from None
            except (stripe.APIConnectionError, stripe.APIError) as exc:
                result = "unavailable"
                request_id, http_status = exc.request_id, exc.http_status
                raise StripeUnavailable(
                    "stripe_unavailable", str(exc), exc.http_status, _replayed(exc)
                ) from None
            except stripe.StripeError as exc:
                status = exc.http_status or 0
                request_id, http_status = exc.request_id, exc.http_status
                if status == 409 or status >= 500:
                    result = "unavailable"
                    raise StripeUnavailable(
                        "stripe_unavailable", str(exc), status, _replayed(exc)
                    ) from None
                result = "rejected"
                raise StripeRejected(
                    exc.code or "invalid_request", exc.user_message or str(exc), status
                ) from None
            except (aiohttp.ClientError, OSError) as exc:
                result = "unavailable"
                raise StripeUnavailable("stripe_unavailable", str(exc)) from None
            except asyncio.CancelledError:
                # The caller's deadline: Stripe may still act on this request.
                result = "deadline"
                raise
            finally:
                elapsed = time.perf_counter() - started
                STRIPE_SECONDS.labels(operation, result).observe(elapsed)
                logs.bind(stripe_request_id=request_id)
                log.info(
                    "stripe_call",
                    operation=operation,
                    result=result,
                    http_status=http_status,
                    duration_ms=round(elapsed * 1000, 3),
                    stripe_request_id=request_id,
                    idempotency_key=key,
                )

    async def _raw(
        self,
        operation: str,
        method: str,
        path: str,
        params: dict[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """A call whose answer is read as plain JSON: the SDK's request machinery (auth,
        API version, retries with the same idempotency key, its error classes) without
        building StripeObjects from the answer, which cost more CPU than the rest of the
        call (docs/PERFORMANCE.md). Same path, parameters and encoding as the SDK's
        service methods, so an idempotent replay matches either."""
        options = {"idempotency_key": idempotency_key} if idempotency_key else {}
        response = await self._call(
            operation, self.client.raw_request_async, method, path, **options, **params
        )
        data: dict[str, Any] = response.data  # the answer's JSON: an object
        return data

    # -- customers and cards ---------------------------------------------------------------

    async def create_customer(self, *, user_id: int, email: str) -> str:
        customer = await self._call(
            "customer_create",
            self.client.v1.customers.create_async,
            {"email": email, "metadata": self._metadata(orderpay_user_id=user_id)},
            {"idempotency_key": self.key("user", user_id, "customer")},
        )
        return customer.id

    async def attach_payment_method(
        self, *, payment_method_id: str, customer_id: str, idempotency_key: str
    ) -> CardSnapshot:
        pm = await self._call(
            "payment_method_attach",
            self.client.v1.payment_methods.attach_async,
            payment_method_id,
            {"customer": customer_id},
            {"idempotency_key": idempotency_key},
        )
        return _card_snapshot(pm)

    async def attach_source(
        self, *, customer_id: str, token: str, idempotency_key: str
    ) -> CardSnapshot:
        """A `tok_…`/`src_…` becomes a reusable card of the customer (`card_…`/`src_…`),
        which a PaymentIntent accepts as its payment_method."""
        source = await self._call(
            "source_attach",
            self.client.v1.customers.payment_sources.create_async,
            customer_id,
            {"source": token},
            {"idempotency_key": idempotency_key},
        )
        return _card_snapshot(source)

    async def detach_payment_method(
        self, *, payment_method_id: str, customer_id: str | None, idempotency_key: str
    ) -> None:
        if payment_method_id.startswith("pm_") or customer_id is None:
            await self._call(
                "payment_method_detach",
                self.client.v1.payment_methods.detach_async,
                payment_method_id,
                None,
                {"idempotency_key": idempotency_key},
            )
        else:
            await self._call(
                "source_detach",
                self.client.v1.customers.payment_sources.delete_async,
                customer_id,
                payment_method_id,
                None,
                {"idempotency_key": idempotency_key},
            )

    # -- payment intents -----------------------------------------------------------------

    async def create_payment_intent(
        self,
        *,
        payment_id: int,
        order_id: int,
        amount: int,
        currency: str,
        payment_method_id: str,
        customer_id: str | None,
        destination_account_id: str | None,
        application_fee: int | None,
    ) -> IntentSnapshot:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            # Every PaymentIntent names its installation and payment, so it can be found
            # again (only by us) when the response to this call is lost.
            "metadata": self._metadata(
                **{METADATA_PAYMENT_ID: payment_id, "orderpay_order_id": order_id}
            ),
        }
        logs.bind(order_id=str(order_id))
        if customer_id:
            params["customer"] = customer_id
        if destination_account_id:
            params["transfer_data"] = {"destination": destination_account_id}
            params["application_fee_amount"] = application_fee or 0
        intent = await self._raw(
            "payment_intent_create",
            "post",
            "/v1/payment_intents",
            params,
            idempotency_key=payment_key(self.installation_id, payment_id, "create"),
        )
        return snapshot(intent)

    async def confirm_payment_intent(self, *, payment_id: int, intent_id: str) -> IntentSnapshot:
        intent = await self._raw(
            "payment_intent_confirm",
            "post",
            f"/v1/payment_intents/{_path_id(intent_id)}/confirm",
            {"expand": ["payment_method"]},
            idempotency_key=payment_key(self.installation_id, payment_id, "confirm"),
        )
        return snapshot(intent)

    async def retrieve_payment_intent(self, intent_id: str) -> IntentSnapshot:
        intent = await self._raw(
            "payment_intent_retrieve",
            "get",
            f"/v1/payment_intents/{_path_id(intent_id)}",
            {"expand": ["payment_method"]},
        )
        return snapshot(intent)

    async def cancel_payment_intent(
        self, *, payment_id: int, intent_id: str, attempt: int = 0
    ) -> IntentSnapshot:
        key = payment_key(self.installation_id, payment_id, cancel_step(attempt))
        intent = await self._call(
            "payment_intent_cancel",
            self.client.v1.payment_intents.cancel_async,
            intent_id,
            None,
            {"idempotency_key": key},
        )
        return snapshot(intent)

    async def find_payment_intent(self, *, payment_id: int) -> IntentSnapshot | None:
        """The PaymentIntent created for our payment, found by its metadata, when we never
        learned its id (the response to create was lost). Only this installation's: another
        database on the same Stripe account has its own payment with the same id."""
        logs.bind(payment_id=str(payment_id))
        query = (
            f"metadata['{METADATA_PAYMENT_ID}']:'{payment_id}' AND "
            f"metadata['{METADATA_INSTALLATION_ID}']:'{self.installation_id}'"
        )
        try:
            found = await self._call(
                "payment_intent_search",
                self.client.v1.payment_intents.search_async,
                {"query": query, "limit": 10},
            )
            candidates = list(found.data)
        except StripeRejected:
            # Stripe's search index is not everywhere (e.g. the local Stripe): page the list.
            candidates = []
            params: PaymentIntentListParams = {"limit": 100}
            async for intent in await self._list_intents(params):
                candidates.append(intent)
        for intent in candidates:
            candidate = snapshot(intent)
            if candidate.metadata.get(METADATA_PAYMENT_ID) == str(payment_id) and self.is_ours(
                candidate.metadata
            ):
                return candidate
        return None

    async def _list_intents(
        self, params: PaymentIntentListParams
    ) -> AsyncIterator[stripe.PaymentIntent]:
        page = await self._call(
            "payment_intent_list", self.client.v1.payment_intents.list_async, params
        )
        return page.auto_paging_iter()

    # -- refunds --------------------------------------------------------------------------

    async def create_refund(
        self,
        *,
        refund_id: int,
        intent_id: str,
        amount: int,
        reason: str | None,
        connect: bool = False,
    ) -> RefundSnapshot:
        metadata = self._metadata(**{METADATA_REFUND_ID: refund_id})
        params: dict[str, Any] = {
            "payment_intent": intent_id,
            "amount": amount,
            "metadata": metadata,
        }
        if connect:
            # A destination charge: the restaurant's transfer and our fee are taken back in
            # proportion, so a refund does not come out of the platform's own balance.
            params["reverse_transfer"] = True
            params["refund_application_fee"] = True
        if reason:
            metadata["orderpay_reason"] = reason
        if reason in STRIPE_ACTING_REFUND_REASONS:
            # Only these change what Stripe does (Radar blocks a fraudulent card, duplicate is
            # reported); `requested_by_customer` is a label, kept in our record and in the
            # metadata. (The local Stripe refuses the `reason` parameter altogether.)
            params["reason"] = reason
        refund = await self._raw(
            "refund_create",
            "post",
            "/v1/refunds",
            params,
            idempotency_key=refund_key(self.installation_id, refund_id),
        )
        return refund_snapshot(refund)

    async def refunds_of(self, intent_id: str) -> list[RefundSnapshot]:
        """This installation's refunds of a PaymentIntent, as Stripe holds them now (a list,
        not a search: no indexing lag)."""
        page = await self._call(
            "refund_list",
            self.client.v1.refunds.list_async,
            {"payment_intent": intent_id, "limit": 100},
        )
        refunds = [refund_snapshot(refund) async for refund in page.auto_paging_iter()]
        return [refund for refund in refunds if self.is_ours(refund.metadata)]

    async def find_refund(self, *, refund_id: int, intent_id: str) -> RefundSnapshot | None:
        """The Stripe refund made for our refund record, if Stripe holds one."""
        logs.bind(refund_id=str(refund_id))
        for refund in await self.refunds_of(intent_id):
            if refund.metadata.get(METADATA_REFUND_ID) == str(refund_id):
                return refund
        return None

    # -- webhooks -------------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature: str | None) -> Any:
        """The verified event, as Stripe signed it (its shape is the caller's to check; None
        when the signed body is not JSON); raises ValueError when the signature does not
        hold."""
        if not signature:
            raise ValueError("missing Stripe-Signature")
        if not self.settings.webhook_secret_configured:
            # The built-in secret is public (it is in this source): outside the local Stripe
            # it would let anyone forge a "payment succeeded".
            raise ValueError("STRIPE_WEBHOOK_SECRET is not configured")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(str(exc)) from None
        # Every accepted secret in turn (a rotation accepts the previous one for a while).
        refusal = "no webhook secret"
        for secret in self.settings.webhook_secrets:
            try:
                stripe.WebhookSignature.verify_header(text, signature, secret, tolerance=300)
                break
            except stripe.SignatureVerificationError as exc:
                refusal = str(exc)
        else:
            raise ValueError(refusal)
        try:
            return json.loads(payload)
        except ValueError:
            return None


def _card_snapshot(obj: Any) -> CardSnapshot:
    data = _as_dict(obj)
    payment_method_id = _text(data.get("id")) if data is not None else None
    if data is None or payment_method_id is None:
        raise ValueError("not a card")
    card = _card_of(data)
    brand = _text(card.get("brand"))
    return CardSnapshot(
        payment_method_id=payment_method_id,
        brand=brand.lower() if brand is not None else None,
        last4=_text(card.get("last4")),
        exp_month=_integer(card.get("exp_month")),
        exp_year=_integer(card.get("exp_year")),
    )


def _path_id(object_id: str) -> str:
    """An id as a path segment, quoted like the SDK's service methods quote it."""
    return quote_plus(object_id)


_RECORD_IN_KEY = re.compile(r"-(payment|refund|user)-(\d+)(?:-|$)")


def _idempotency_key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """The idempotency key of a call: `_raw`'s keyword, or the SDK's options dict (last)."""
    key = kwargs.get("idempotency_key")
    if isinstance(key, str):
        return key
    if args and isinstance(args[-1], dict):
        key = args[-1].get("idempotency_key")
        if isinstance(key, str):
            return key
    return None


def _record_of(key: str | None) -> dict[str, str]:
    """`{"payment_id": "12"}` for `orderpay-<installation>-payment-12-confirm`."""
    match = _RECORD_IN_KEY.search(key) if key else None
    return {f"{match.group(1)}_id": match.group(2)} if match else {}


def _request_id_of(response: Any) -> str | None:
    """Stripe's Request-Id of an answer: a raw response's, or a StripeObject's last one."""
    last = getattr(response, "last_response", None) or response
    request_id = getattr(last, "request_id", None)
    return request_id if isinstance(request_id, str) else None


def _retry_after(exc: stripe.StripeError) -> float | None:
    headers = exc.headers or {}
    value = headers.get("retry-after") or headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
