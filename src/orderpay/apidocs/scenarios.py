"""What each operation's example does: the values it reads from its environment, the request
example of the OpenAPI it sends (with those values put in), and the status it expects.

The values are the demo's (`make run` prints them): the customer's token, the demo order, a
PaymentMethod made in the local Stripe. tests/contract/test_the_examples_run.py gives each
example real ones and runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Every variable an example may read, and what it is.
VARIABLES = {
    "BASE_URL": "orderpay's URL, e.g. `http://127.0.0.1:8000`",
    "TOKEN": "the customer's API token (`make run` prints the demo customer's)",
    "STAFF_TOKEN": "the API token of a member of the order's business (the demo's staff)",
    "ORDER_ID": "the order (`make run` prints the demo order's id)",
    "PAYMENT_METHOD": "a Stripe PaymentMethod `pm_…` made by Stripe.js (or the local Stripe: "
    "see README, Paying an order, with curl)",
    "PAYMENT_ID": "a payment's id (Create Payment's answer)",
    "CARD_ID": "a saved card's id (Save Card's answer)",
    "BUSINESS_ID": "the business ordered from (the demo's)",
    "PRODUCT_ID": "a product on its menu (the demo's)",
    "STRIPE_WEBHOOK_SECRET": "the webhook signing secret orderpay verifies with "
    "(`whsec_orderpay_local` for `make run`)",
}


@dataclass(frozen=True)
class Scenario:
    intro: str
    expect: int
    token: str | None = "TOKEN"  # the variable holding the bearer token; None: public
    path: dict[str, str] = field(default_factory=dict)  # path parameter -> variable
    example: str | None = None  # the request example sent (its name in the OpenAPI)
    # JSON pointer in the example -> variable whose value replaces it
    values: dict[str, str] = field(default_factory=dict)


SCENARIOS: dict[str, Scenario] = {
    "createPayment": Scenario(
        "Pays the demo order with a new card, with an Idempotency-Key that makes a retry safe.",
        201,
        example="original",
        values={
            "/data/attributes/stripe_token": "PAYMENT_METHOD",
            "/data/relationships/order/id": "ORDER_ID",
        },
    ),
    "getPayment": Scenario(
        "Reads the demo order's payment (one still `requires_action` is refreshed from Stripe).",
        200,
        path={"payment_id": "PAYMENT_ID"},
    ),
    "createOrder": Scenario(
        "Orders two of a product of the demo restaurant, and one more.",
        201,
        example="order",
        values={
            "/data/relationships/business/data/id": "BUSINESS_ID",
            "/data/attributes/elements/0/product_id": "PRODUCT_ID",
            "/data/attributes/elements/1/product_id": "PRODUCT_ID",
        },
    ),
    "listOrders": Scenario("Lists the customer's orders, newest first.", 200),
    "getOrder": Scenario("Reads the demo order.", 200, path={"order_id": "ORDER_ID"}),
    "listOrderPayments": Scenario(
        "Lists the demo order's payment attempts.", 200, path={"order_id": "ORDER_ID"}
    ),
    "rejectOrder": Scenario(
        "A member of the restaurant rejects an order (a paid one is refunded in full).",
        200,
        token="STAFF_TOKEN",
        path={"order_id": "ORDER_ID"},
        example="kitchen_full",
        values={"/data/id": "ORDER_ID"},
    ),
    "saveCard": Scenario(
        "Saves a card for the customer, to pay with it later.",
        201,
        example="card",
        values={"/data/attributes/stripe_token": "PAYMENT_METHOD"},
    ),
    "listCards": Scenario("Lists the customer's saved cards.", 200),
    "deleteCard": Scenario("Deletes a saved card.", 204, path={"card_id": "CARD_ID"}),
    "createRefund": Scenario(
        "A member of the restaurant refunds 5.00 of the demo order's payment.",
        201,
        token="STAFF_TOKEN",
        example="partial",
        values={"/data/relationships/payment/data/id": "PAYMENT_ID"},
    ),
    "receiveStripeEvent": Scenario(
        "What Stripe does: posts an event signed with the endpoint's secret (an event about no "
        "payment of orderpay's is acknowledged and kept out).",
        200,
        token=None,
    ),
    "healthz": Scenario("Asks whether the service and its database answer.", 200, token=None),
    "readyz": Scenario(
        "Asks whether the service may take traffic: its database and Stripe answer.",
        200,
        token=None,
    ),
    "metrics": Scenario("Reads the Prometheus metrics.", 200, token=None),
}

# The event receiveStripeEvent's examples sign and send.
STRIPE_EVENT = {
    "id": "evt_docs_example",
    "type": "payment_intent.succeeded",
    "data": {"object": {"id": "pi_docs_example", "object": "payment_intent", "metadata": {}}},
}
