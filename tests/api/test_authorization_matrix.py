"""Who may do what to whose objects: every actor × every endpoint × every kind of object,
through the HTTP API, on both databases, against the status the contract gives.

Two customers each have an order at their own business, with a member each, a succeeded
payment and a saved card. The actors are named from the first customer's order: its
customer, another customer (the second), a member of its business, a member of another
business (the second's), and two anonymous callers. The objects are the customer's (the
first world's), the other customer's (the second world's), and one that does not exist.

401 for anonymous callers whatever the object; someone else's object is 404 exactly like
one that does not exist (API.md: no existence leak); 403 only where a customer tries a
member-only action (reject) on their own order. A cell expected to change something gets an
object of its own, so that cells stay independent; a refused cell writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.support.jsonapi import assert_error, assert_jsonapi
from tests.support.rows import row_counts
from tests.support.world import (
    World,
    card_document,
    make_world,
    order_document,
    paid_payment,
    payment_document,
    refund_document,
    reject_document,
    saved_card,
)

ACTORS = ("no_token", "unknown_token", "customer", "other_customer", "member", "other_member")
OBJECTS = ("customer's", "other customer's", "nonexistent")
NONEXISTENT_ID = "987654321"
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}
ANONYMOUS = {"no_token": None, "unknown_token": "Bearer op_unknown_to_orderpay"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # `{id}`: the object's id, when the object is in the path
    kind: str | None  # the object's kind: business, order, payment, card; None: no object
    body: Callable[[Any, World, str | None], Awaitable[dict | None]] | None = None


async def _order_body(api, world, business_id):
    return order_document(business_id, world.product["id"])


async def _card_body(api, world, _):
    return card_document(await api.payment_method())


async def _reject_body(api, world, order_id):
    return reject_document(order_id)


async def _payment_body(api, world, order_id):
    return payment_document(order_id, await api.payment_method())


async def _refund_body(api, world, payment_id):
    return refund_document(payment_id, 100)


ENDPOINTS = {
    "list orders": Endpoint("GET", "/api/v1/orders", None),
    "create order": Endpoint("POST", "/api/v1/orders", "business", _order_body),
    "read order": Endpoint("GET", "/api/v1/orders/{id}", "order"),
    "order payments": Endpoint("GET", "/api/v1/orders/{id}/payments", "order"),
    "reject order": Endpoint("PATCH", "/api/v1/orders/{id}/reject", "order", _reject_body),
    "save card": Endpoint("POST", "/api/v1/cards", None, _card_body),
    "list cards": Endpoint("GET", "/api/v1/cards", None),
    "delete card": Endpoint("DELETE", "/api/v1/cards/{id}", "card"),
    "create payment": Endpoint("POST", "/api/v1/payments", "order", _payment_body),
    "read payment": Endpoint("GET", "/api/v1/payments/{id}", "payment"),
    "refund": Endpoint("POST", "/api/v1/refunds", "payment", _refund_body),
}

# endpoint -> actor -> status for each of OBJECTS (one status when the endpoint has no
# object). The anonymous actors are 401 everywhere and are not repeated here.
# fmt: off
MATRIX: dict[str, dict[str, tuple[int, ...]]] = {
    #                  customer's, other customer's, nonexistent
    "list orders": {
        "customer": (200,), "other_customer": (200,), "member": (200,), "other_member": (200,),
    },
    "create order": {  # any customer (a member too) orders from any business
        "customer": (201, 201, 404), "other_customer": (201, 201, 404),
        "member": (201, 201, 404), "other_member": (201, 201, 404),
    },
    "read order": {
        "customer": (200, 404, 404), "other_customer": (404, 200, 404),
        "member": (200, 404, 404), "other_member": (404, 200, 404),
    },
    "order payments": {
        "customer": (200, 404, 404), "other_customer": (404, 200, 404),
        "member": (200, 404, 404), "other_member": (404, 200, 404),
    },
    "reject order": {  # members only: the customer sees the order, hence 403, not 404
        "customer": (403, 404, 404), "other_customer": (404, 403, 404),
        "member": (200, 404, 404), "other_member": (404, 200, 404),
    },
    "save card": {
        "customer": (201,), "other_customer": (201,), "member": (201,), "other_member": (201,),
    },
    "list cards": {
        "customer": (200,), "other_customer": (200,), "member": (200,), "other_member": (200,),
    },
    "delete card": {  # a card is its customer's alone
        "customer": (204, 404, 404), "other_customer": (404, 204, 404),
        "member": (404, 404, 404), "other_member": (404, 404, 404),
    },
    "create payment": {  # only the order's customer pays it
        "customer": (201, 404, 404), "other_customer": (404, 201, 404),
        "member": (404, 404, 404), "other_member": (404, 404, 404),
    },
    "read payment": {
        "customer": (200, 404, 404), "other_customer": (404, 200, 404),
        "member": (200, 404, 404), "other_member": (404, 200, 404),
    },
    "refund": {  # members only, and not even the customer learns the payment exists
        "customer": (404, 404, 404), "other_customer": (404, 404, 404),
        "member": (201, 404, 404), "other_member": (404, 201, 404),
    },
}
# fmt: on


@dataclass
class Scene:
    api: Any
    worlds: dict[str, World]  # "customer's" and "other customer's"
    shared: dict[tuple[str, str], str]  # (world, kind) -> id of an object cells only read

    def headers(self, actor: str) -> dict[str, str]:
        if actor in ANONYMOUS:
            return {"Authorization": ANONYMOUS[actor]} if ANONYMOUS[actor] else {}
        world = self.worlds["other customer's" if actor.startswith("other_") else "customer's"]
        person = world.member if actor.endswith("member") else world.customer
        return person.headers

    async def object_id(self, kind: str, whose: str, *, fresh: bool) -> str:
        if whose == "nonexistent":
            return NONEXISTENT_ID
        if not fresh or kind == "business":
            return self.shared[(whose, kind)]
        return await _new_object(self.api, self.worlds[whose], kind)


async def _new_object(api, world: World, kind: str) -> str:
    if kind == "order":
        return (await api.order(world.customer, world.business, [(world.product, 1)]))["id"]
    if kind == "payment":
        return (await paid_payment(api, world))["id"]
    return (await saved_card(api, world.customer))["id"]


async def make_scene(api) -> Scene:
    worlds = {"customer's": await make_world(api), "other customer's": await make_world(api)}
    shared = {}
    for whose, world in worlds.items():
        shared[(whose, "business")] = world.business["id"]
        shared[(whose, "order")] = world.order["id"]
        shared[(whose, "payment")] = (await paid_payment(api, world))["id"]
        shared[(whose, "card")] = (await saved_card(api, world.customer))["id"]
    return Scene(api, worlds, shared)


def cells():
    """(endpoint, actor, object or None, expected status) for every cell of the matrix."""
    for name, endpoint in ENDPOINTS.items():
        objects = OBJECTS if endpoint.kind else (None,)
        for actor in ACTORS:
            for i, whose in enumerate(objects):
                status = 401 if actor in ANONYMOUS else MATRIX[name][actor][i]
                yield name, actor, whose, status


async def _request(scene: Scene, name: str, actor: str, whose: str | None, status: int):
    endpoint = ENDPOINTS[name]
    object_id = None
    if endpoint.kind:
        object_id = await scene.object_id(endpoint.kind, whose, fresh=status < 300)
    # Whose world builds the body: its products, its token.
    world = scene.worlds[whose if whose in scene.worlds else "customer's"]
    headers = scene.headers(actor)
    kwargs: dict[str, Any] = {}
    if endpoint.body is not None:
        kwargs["json"] = await endpoint.body(scene.api, world, object_id)
        headers = {**headers, "Content-Type": "application/vnd.api+json"}
    path = endpoint.path.format(id=object_id)
    return await scene.api.client.request(endpoint.method, path, headers=headers, **kwargs)


def test_the_matrix_is_complete():
    assert set(MATRIX) == set(ENDPOINTS)
    for name, rows in MATRIX.items():
        width = 3 if ENDPOINTS[name].kind else 1
        assert set(rows) == set(ACTORS) - set(ANONYMOUS), name
        assert all(len(statuses) == width for statuses in rows.values()), name
    assert len(list(cells())) == 162


async def test_authorization_matrix(api, subtests):
    scene = await make_scene(api)
    for name, actor, whose, status in cells():
        with subtests.test(endpoint=name, actor=actor, object=whose):
            before = await row_counts(api.db)

            response = await _request(scene, name, actor, whose, status)

            if status >= 400:
                assert_error(response, status, ERROR_CODES[status])
                assert await row_counts(api.db) == before
            else:
                assert response.status_code == status, response.text
                if status != 204:
                    assert_jsonapi(response)
