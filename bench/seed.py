"""The bench's data: customers (through orderpay's own services), one restaurant with a
Stripe Connect account and a commission, and as many `pending_payment` orders as the
scenarios can pay, inserted in bulk with SQL (each request pays a distinct order)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from orderpay.businesses.service import create_business, create_product
from orderpay.db import Database
from orderpay.users.service import create_user

ORDER_TOTAL_CENTS = 2350  # 2 × 10.00 + 3.50 shipping
COMMISSION_BPS = 1000
CONNECT_ACCOUNT = "acct_bench"


@dataclass
class Seeded:
    tokens: list[str]
    # [(order id, index into tokens)], in id order
    orders: list[tuple[int, int]]


async def seed(database_url: str, *, users: int, orders: int) -> Seeded:
    db = Database(database_url, pool_size=2)
    try:
        tokens: list[str] = []
        user_ids: list[int] = []
        for i in range(users):
            user_id, _, token = await create_user(db, email=f"bench{i}@example.test")
            user_ids.append(user_id)
            tokens.append(token)
        business = await create_business(
            db,
            name="Bench Bistro",
            currency="eur",
            stripe_account_id=CONNECT_ACCOUNT,
            commission_bps=COMMISSION_BPS,
        )
        product = await create_product(
            db, business_id=int(business["id"]), name="Bench dish", price_cents=1000
        )
        index_of = {user_id: i for i, user_id in enumerate(user_ids)}
        async with db.transaction() as conn:
            await conn.execute(
                text("""
                    INSERT INTO orders (customer_id, business_id, state, currency,
                                        subtotal_cents, shipping_cost_cents, total_cents,
                                        notes, created_at, updated_at)
                    SELECT (CAST(:user_ids AS bigint[]))[1 + g % :n_users], :business_id,
                           'pending_payment', 'eur', 2000, 350, 2350, NULL, now(), now()
                    FROM generate_series(0, :n - 1) AS g
                """),
                {
                    "user_ids": user_ids,
                    "n_users": len(user_ids),
                    "business_id": int(business["id"]),
                    "n": orders,
                },
            )
            await conn.execute(
                text("""
                    INSERT INTO order_elements (order_id, product_id, name, quantity,
                                                unit_price_cents, total_cents)
                    SELECT id, :product_id, 'Bench dish', 2, 1000, 2000 FROM orders
                """),
                {"product_id": int(product["id"])},
            )
            rows = await conn.execute(text("SELECT id, customer_id FROM orders ORDER BY id"))
            order_list = [(row.id, index_of[row.customer_id]) for row in rows]
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("users", "orders", "order_elements", "payments", "idempotency_keys"):
                await conn.execute(text(f"VACUUM ANALYZE {table}"))
        return Seeded(tokens, order_list)
    finally:
        await db.dispose()
