"""tests/support/soak.py's replay promise: the same seed gives the same customers and, for the
same calls, the same faults, whatever order the calls arrive in; another seed, others."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl

import httpx

from tests.support.fault_proxy import ProxyRecord
from tests.support.soak import BEHAVIOURS, FAULTS, FaultPlan, customer_for
from tests.support.stripe_stub import StripeStub

KEY = "sk_test_soak"


def record(seq: int, method: str, path: str, body: str = "") -> ProxyRecord:
    params = dict(parse_qsl(body))
    return ProxyRecord(seq, method, path, {}, params, params.get("key"), {}, body.encode())


def calls(stub: StripeStub, orders: int) -> list[tuple[str, str, str]]:
    """(method, path, body) of a create and a confirm per order, the confirms naming
    PaymentIntents the stub really holds."""
    made = []
    with httpx.Client(base_url=stub.url, auth=(KEY, "")) as client:
        for order in range(orders):
            create = f"amount=2350&currency=eur&metadata[orderpay_order_id]={order}"
            intent = client.post("/v1/payment_intents", data=dict(parse_qsl(create))).json()
            made.append(("POST", "/v1/payment_intents", create))
            made.append(("POST", f"/v1/payment_intents/{intent['id']}/confirm", ""))
    return made


def faults(plan: FaultPlan, made: list[tuple[str, str, str]]) -> dict[tuple[str, str], str | None]:
    return {
        (method, path + body): plan.fault_for(record(seq, method, path, body))
        for seq, (method, path, body) in enumerate(made)
    }


def test_the_same_seed_faults_the_same_calls_in_any_order_of_arrival() -> None:
    with StripeStub() as stub:
        made = calls(stub, 400)
        shuffled = list(made)
        random.Random(1).shuffle(shuffled)

        first = faults(FaultPlan(42, 0.05, stub), made)
        replay = faults(FaultPlan(42, 0.05, stub), shuffled)
        other_seed = faults(FaultPlan(43, 0.05, stub), made)

    assert first == replay
    assert first != other_seed
    injected = [name for name in first.values() if name is not None]
    assert 10 <= len(injected) <= 80, len(injected)  # 5 % of 800 calls, give or take
    assert set(injected) <= set(FAULTS)


def test_the_same_seed_scripts_the_same_customers() -> None:
    def script(seed: int) -> list[tuple[str, str, float]]:
        return [
            (c.behaviour, c.card, c.delay)
            for c in (customer_for(seed, i, 1000 + i, "token") for i in range(500))
        ]

    assert script(7) == script(7)
    assert script(7) != script(8)
    assert {behaviour for behaviour, _, _ in script(7)} == set(BEHAVIOURS)
