"""`/metrics` of `orderpay serve --workers 2` counts the requests of both workers, whichever
worker answers the scrape (prometheus_client's multiprocess mode, set up by `serve`)."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.support.log_lines import json_lines
from tests.support.order_on_a_server import server_env
from tests.support.server import OrderpayServer

ROUTE = "/api/v1/orders/{order_id}"
REQUESTS = 60


def counted(metrics_text: str) -> float:
    pattern = (
        r'^orderpay_http_requests_total\{method="GET",route="'
        + re.escape(ROUTE)
        + r'",status="401"\} (\S+)$'
    )
    found = re.search(pattern, metrics_text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def pids_of(output: str, route: str) -> set[int]:
    return {
        line["pid"]
        for line in json_lines(output)
        if line.get("event") == "request" and line.get("route") == route
    }


async def get_on_a_new_connection(url: str) -> httpx.Response:
    # A connection of its own: a kept-alive one stays with the worker that accepted it.
    async with httpx.AsyncClient(timeout=60, headers={"Connection": "close"}) as client:
        return await client.get(url)


async def test_two_workers_metrics_count_every_request(database_url, localstripe):
    with OrderpayServer(server_env(database_url, localstripe.url), workers=2) as server:
        # Unauthenticated reads of an order: 401, counted under the route's template. Many
        # connections at once, in rounds until both workers have taken some (the kernel
        # hands each connection to whichever worker accepts first: on a busy machine one
        # worker may take a whole round).
        sent = 0
        served_by: set[int] = set()
        for _ in range(10):
            responses = await asyncio.gather(
                *[
                    get_on_a_new_connection(f"{server.url}/api/v1/orders/{sent + n + 1}")
                    for n in range(REQUESTS)
                ]
            )
            assert {r.status_code for r in responses} == {401}
            sent += REQUESTS
            served_by = pids_of(server.output(), ROUTE)
            if len(served_by) == 2:
                break
        assert len(served_by) == 2, f"one worker took every request: {served_by}"

        # Whichever worker answers a scrape counts the requests of both: scrape a few times
        # at once, on new connections, so that both usually answer some.
        scrapes = await asyncio.gather(
            *[get_on_a_new_connection(f"{server.url}/metrics") for _ in range(8)]
        )
        assert {r.status_code for r in scrapes} == {200}
        counts = [counted(r.text) for r in scrapes]
    assert set(counts) == {sent}, counts
