"""The lines of a Create Payment that never reaches Stripe still name its payment: a replay
of a stored answer (same Idempotency-Key) and a `409 order_not_payable` (the order already
paid) carry the user, order and payment ids on their `request` line, as a paying request
does (issue 11: "on every line about a payment")."""

from __future__ import annotations

import httpx

from tests.support.log_lines import json_lines, lines_of_request
from tests.support.order_on_a_server import (
    create_order,
    new_payment_method,
    payment_document,
    seed_order,
    server_env,
)
from tests.support.server import OrderpayServer


async def test_a_replay_and_a_409_are_logged_with_the_payment_and_order_ids(
    database_url, localstripe
):
    localstripe.flush()
    token, business, product = await seed_order(database_url)
    auth = {"Authorization": f"Bearer {token}"}
    with OrderpayServer(server_env(database_url, localstripe.url)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            order_id = await create_order(client, token, business, product)
            document = payment_document(order_id, await new_payment_method(localstripe.url))
            keyed = {**auth, "Idempotency-Key": "logs-replay-1"}
            paid = await client.post(
                "/api/v1/payments", json=document, headers={**keyed, "X-Request-Id": "logs-paid"}
            )
            assert paid.status_code == 201, paid.text
            replay = await client.post(
                "/api/v1/payments", json=document, headers={**keyed, "X-Request-Id": "logs-replay"}
            )
            assert replay.status_code == 201, replay.text
            assert replay.headers.get("Idempotent-Replayed") == "true"
            again = await client.post(
                "/api/v1/payments",
                json=payment_document(order_id, await new_payment_method(localstripe.url)),
                headers={**auth, "X-Request-Id": "logs-refused"},
            )
            assert again.status_code == 409, again.text
            assert again.json()["errors"][0]["code"] == "order_not_payable"
        output = server.output()

    lines = json_lines(output)
    payment_id = paid.json()["data"]["id"]
    summaries = {}
    for request_id in ("logs-paid", "logs-replay", "logs-refused"):
        [summary] = [
            line for line in lines_of_request(lines, request_id) if line["event"] == "request"
        ]
        summaries[request_id] = summary
    assert summaries["logs-replay"]["status"] == 201
    assert summaries["logs-refused"]["status"] == 409
    user_id = summaries["logs-paid"]["user_id"]
    assert user_id
    for request_id, summary in summaries.items():
        assert summary["route"] == "/api/v1/payments", (request_id, summary)
        assert summary["order_id"] == order_id, (request_id, summary)
        assert summary["payment_id"] == payment_id, (request_id, summary)
    # The 409 authenticated in its own transaction: its user is named as well.
    assert summaries["logs-refused"]["user_id"] == user_id
    assert token not in output
