"""`orderpay reconcile`: everything left in doubt, settled from Stripe's truth. Run it from
cron every few minutes; each step is safe to repeat and to run beside the API."""

from __future__ import annotations

from typing import Any

from orderpay.db import Database
from orderpay.idempotency.service import purge
from orderpay.payments.accounting import ChargeAccounting
from orderpay.payments.settle import PaymentSettlement
from orderpay.refunds.service import RefundService
from orderpay.settings import Settings
from orderpay.stripe_gateway import StripeGateway
from orderpay.webhooks.service import WebhookService


async def reconcile(
    db: Database,
    gateway: StripeGateway,
    settings: Settings,
    *,
    older_than_seconds: float,
    abandon_after_seconds: float,
) -> dict[str, Any]:
    webhooks = WebhookService(db=db, gateway=gateway, settings=settings)
    # Kept webhook events first: they may settle payments without asking Stripe ...
    events = await webhooks.apply_pending()
    payments = await PaymentSettlement(db=db, gateway=gateway, settings=settings).reconcile(
        older_than_seconds=older_than_seconds, abandon_after_seconds=abandon_after_seconds
    )
    # ... and again after: a refund or dispute kept until its payment succeeded.
    events += await webhooks.apply_pending()
    # PaymentIntents of failed payments still open, late charges still owed their refund.
    charges = await ChargeAccounting(db=db, gateway=gateway, settings=settings).reconcile()
    refunds = await RefundService(db=db, gateway=gateway, settings=settings).retry_pending(
        older_than_seconds=older_than_seconds
    )
    events_purged = await webhooks.purge_old_events()
    async with db.transaction() as conn:
        keys_purged = await purge(conn, older_than_seconds=settings.idempotency_key_ttl_seconds)
    return {
        "payments": payments,
        "charges": charges,
        "refunds_settled": refunds,
        "events_applied": events,
        "events_purged": events_purged,
        "idempotency_keys_purged": keys_purged,
    }
