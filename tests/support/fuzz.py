"""Schemathesis against a running orderpay: a small world for it to reach real code paths,
and its configuration.

The world (`seed_world`) is one user who is both a customer and a member of a business (so
that customer operations and member operations alike can succeed with one bearer token), a
menu, pending orders, paid orders (so payments and refunds exist), saved cards, and fresh
PaymentMethods in the site's localstripe. Schemathesis draws ids and tokens from it through
its dictionaries (`config`), with a probability, and generates everything else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from orderpay.businesses.service import add_member, create_business, create_product
from orderpay.orders.service import NewOrder, OrderLine, create_order
from orderpay.users.service import create_user
from tests.support.checkout import VISA, Site


@dataclass
class FuzzWorld:
    token: str
    business_ids: list[str]
    product_ids: list[str]
    order_ids: list[str]  # pending ones first, then paid ones
    payment_ids: list[str]
    card_ids: list[str]
    saved_payment_methods: list[str]
    payment_methods: list[str]

    def json(self) -> str:
        return json.dumps(asdict(self))


async def seed_world(
    site: Site, *, pending_orders: int = 12, paid_orders: int = 4, fresh_methods: int = 24
) -> FuzzWorld:
    db = site.db
    suffix = f"{site.server.port}-{len(site.database_url)}"
    user_id, _, token = await create_user(db, email=f"fuzz-{suffix}@orderpay.test")
    business = await create_business(db, name="Fuzz Bistro", currency="eur", commission_bps=1000)
    await add_member(db, business_id=int(business["id"]), user_id=user_id)
    products = [
        await create_product(db, business_id=int(business["id"]), name=name, price_cents=price)
        for name, price in (("Margherita", 950), ("Tiramisu", 450))
    ]
    order_ids = []
    for _ in range(pending_orders + paid_orders):
        order, _ = await create_order(
            db,
            customer_id=user_id,
            new=NewOrder(
                business_id=int(business["id"]),
                lines=[
                    OrderLine(int(products[0]["id"]), 1),
                    OrderLine(int(products[1]["id"]), 1),
                ],
                shipping_cost_cents=300,
                notes=None,
            ),
        )
        order_ids.append(str(order.id))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/vnd.api+json"}
    payment_ids = []
    for order_id in order_ids[pending_orders:]:
        document = {
            "data": {
                "type": "payments",
                "attributes": {"stripe_token": await payment_method(site)},
                "relationships": {"order": {"type": "order", "id": order_id}},
            }
        }
        response = await site.http.post("/api/v1/payments", json=document, headers=headers)
        assert response.status_code == 201, response.text
        payment_ids.append(response.json()["data"]["id"])
    cards = []
    for _ in range(2):
        document = {
            "data": {"type": "cards", "attributes": {"stripe_token": await payment_method(site)}}
        }
        response = await site.http.post("/api/v1/cards", json=document, headers=headers)
        assert response.status_code == 201, response.text
        cards.append(response.json()["data"])
    return FuzzWorld(
        token=token,
        business_ids=[business["id"]],
        product_ids=[p["id"] for p in products],
        order_ids=order_ids,
        payment_ids=payment_ids,
        card_ids=[c["id"] for c in cards],
        saved_payment_methods=[c["attributes"]["stripe_payment_method_id"] for c in cards],
        payment_methods=[await payment_method(site) for _ in range(fresh_methods)],
    )


async def payment_method(site: Site, number: str = VISA) -> str:
    response = await site.stripe_http.post(
        "/v1/payment_methods",
        data={
            "type": "card",
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
        },
    )
    response.raise_for_status()
    return response.json()["id"]


def _toml(value) -> str:
    return json.dumps(value)  # TOML's basic strings and arrays of them are JSON's


def config(world: FuzzWorld, *, seed: int, max_examples: int, report_dir: str) -> str:
    """schemathesis.toml for a run against the world: auth, the world's ids and tokens as
    dictionaries, bounded and seeded generation, every check."""
    dictionaries = {
        "orders": world.order_ids,
        "payments": world.payment_ids,
        "cards": world.card_ids,
        "businesses": world.business_ids,
        "products": world.product_ids,
    }
    # binding -> (dictionary, probability): products and the business nearly always real, so
    # that orders are made and the stateful phase can go on to pay and refund them.
    bindings = {
        "path.order_id": "orders",
        "path.payment_id": "payments",
        "path.card_id": "cards",
        "body.data.relationships.order.id": "orders",
        "body.data.relationships.order.data.id": "orders",
        "body.data.relationships.payment.id": "payments",
        "body.data.relationships.payment.data.id": "payments",
        "body.data.relationships.business.id": ("businesses", 0.95),
        "body.data.relationships.business.data.id": ("businesses", 0.95),
        "body.data.attributes.elements[*].product_id": ("products", 0.95),
        # Not the payment sources: a binding adds its member where the body has none, and a
        # document with both is refused (schemathesis_hooks.real_payment_sources swaps them).
    }
    lines = [
        f"seed = {seed}",
        f"reports.directory = {_toml(report_dir)}",
        # No .schemathesis/ cache in the working directory: every run starts afresh.
        "cache.enabled = false",
        "",
        "[auth.openapi.bearerAuth]",
        f"bearer = {_toml(world.token)}",
        "",
        "[generation]",
        f"max-examples = {max_examples}",
        "deterministic = true",
        'database = "none"',
        # Text holding U+0000 is refused whatever it is (400 invalid_document): generating it
        # everywhere would make every positive case a refusal.
        "allow-x00 = false",
        "",
        "[checks]",
        "enabled = true",
        # Replaced by tests/support/schemathesis_hooks.py's
        # positive_data_refused_only_for_reasons_outside_the_schema: a schema cannot say which
        # products, cards or PaymentMethods exist, and orderpay refuses those with 422.
        "positive_data_acceptance.enabled = false",
        "",
    ]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml(values)}", ""]
    lines.append("[parameters]")
    for key, binding in bindings.items():
        name, probability = binding if isinstance(binding, tuple) else (binding, 0.7)
        lines.append(f'{_toml(key)} = {{ dictionary = "{name}", probability = {probability} }}')
    return "\n".join(lines) + "\n"
