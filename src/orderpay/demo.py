"""`orderpay demo`: a customer, a restaurant with a menu, and an order waiting to be paid."""

from __future__ import annotations

import secrets
from typing import Any

from orderpay.businesses.service import create_business, create_product
from orderpay.db import Database
from orderpay.orders.service import NewOrder, OrderLine, create_order
from orderpay.users.service import create_user


async def seed(db: Database) -> dict[str, Any]:
    suffix = secrets.token_hex(3)
    customer_id, email, token = await create_user(db, email=f"demo-{suffix}@orderpay.test")
    staff_id, _, staff_token = await create_user(db, email=f"demo-staff-{suffix}@orderpay.test")
    business = await create_business(db, name="Trattoria Demo", currency="eur", commission_bps=1000)
    from orderpay.businesses.service import add_member

    await add_member(db, business_id=int(business["id"]), user_id=staff_id)
    pizza = await create_product(
        db, business_id=int(business["id"]), name="Margherita", price_cents=950
    )
    tiramisu = await create_product(
        db, business_id=int(business["id"]), name="Tiramisu", price_cents=450
    )
    order, _ = await create_order(
        db,
        customer_id=customer_id,
        new=NewOrder(
            business_id=int(business["id"]),
            lines=[OrderLine(int(pizza["id"]), 2), OrderLine(int(tiramisu["id"]), 1)],
            shipping_cost_cents=300,
            notes="demo order",
        ),
    )
    return {
        "customer": {"id": str(customer_id), "email": email, "token": token},
        "staff": {"id": str(staff_id), "token": staff_token},
        "business": business,
        "products": [pizza, tiramisu],
        "order": {
            "id": str(order.id),
            "total_cents": order.total_cents,
            "currency": order.currency,
            "state": order.state,
        },
    }
