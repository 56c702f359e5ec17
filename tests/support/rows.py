"""What a refused request must not change: the rows it could have written, and the objects
it could have made in Stripe."""

from __future__ import annotations

from sqlalchemy import text

# Every table a request to the API writes (order_elements go with their order).
WRITTEN_TABLES = ("orders", "order_elements", "payments", "refunds", "cards", "idempotency_keys")


async def row_counts(db) -> dict[str, int]:
    async with db.connect() as conn:
        return {
            table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in WRITTEN_TABLES
        }


async def written(api) -> dict[str, int]:
    """Row counts, plus the objects in localstripe (the `api` fixture's Stripe); localstripe
    lists PaymentMethods by customer only, so those are counted by their customers."""
    counts = await row_counts(api.db)
    customers = (await api.stripe_get("/v1/customers", limit=100))["data"]
    counts["stripe_customers"] = len(customers)
    counts["stripe_attached_payment_methods"] = 0
    for customer in customers:
        listing = await api.stripe_get(
            "/v1/payment_methods", customer=customer["id"], type="card", limit=100
        )
        counts["stripe_attached_payment_methods"] += len(listing["data"])
    for name in ("payment_intents", "refunds"):
        counts[f"stripe_{name}"] = len((await api.stripe_get(f"/v1/{name}", limit=100))["data"])
    return counts
