"""One installation, one namespace in Stripe (API.md): two orderpay databases on one Stripe
account -- staging beside production, a restored copy -- pay their own payment 1, and
neither replays, finds or adopts the other's PaymentIntent. A copy that kept the original's
installation id (nobody renewed it) still never records the original's PaymentIntent: its
amount does not match, so the payment stays in doubt until the copy gets its own id.

Three databases migrated afresh or copied, three apps in this process, one localstripe
behind one fault proxy (Stripe's idempotency layer is scoped by API key, like the account).
"""

from __future__ import annotations

import itertools
import shutil
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import select

from orderpay.installation import repository as installation_repository
from orderpay.migrate import upgrade
from orderpay.payments.models import Payment
from tests.conftest import STRIPE_KEY, make_settings, running_api
from tests.support import money
from tests.support.fault_proxy import Fault
from tests.support.webhooks import deliver, event

VISA = "4242424242424242"
THREE_DS = "4000002760003184"
CREATE = ("POST", r"^/v1/payment_intents$")
_names = itertools.count()


@pytest.fixture
def databases(request, db_kind, tmp_path):
    """(production, staging, copy of production): the first two migrated afresh (each its
    own installation id), the third a copy of the first (the same id)."""
    if db_kind == "sqlite":
        paths = [tmp_path / f"{name}.sqlite3" for name in ("production", "staging")]
        for path in paths:
            upgrade(f"sqlite+aiosqlite:///{path}")
        copy = tmp_path / "copy.sqlite3"
        shutil.copyfile(paths[0], copy)
        yield [f"sqlite+aiosqlite:///{path}" for path in (*paths, copy)]
        return
    cluster = request.getfixturevalue("pg_cluster")
    names = [f"install_{n}_{next(_names)}" for n in ("production", "staging", "copy")]
    for name in names[:2]:
        cluster.create_database(name)
        upgrade(cluster.url(name))
    cluster.create_database(names[2], template=names[0])
    yield [cluster.url(name) for name in names]
    for name in names:
        cluster.drop_database(name)


async def payment_row(api, payment_id) -> Payment:
    async with api.db.connect() as conn:
        table = Payment.__table__
        return (await conn.execute(select(table).where(table.c.id == int(payment_id)))).one()


async def test_two_installations_never_adopt_each_others_payments(databases, proxy, localstripe):
    async with AsyncExitStack() as stack:
        production, staging, copy = [
            await stack.enter_async_context(
                running_api(
                    make_settings(url, proxy.url, stripe_max_network_retries=0), localstripe.url
                )
            )
            for url in databases
        ]
        assert production.gateway.installation_id != staging.gateway.installation_id
        assert copy.gateway.installation_id == production.gateway.installation_id

        # Both databases pay their own payment 1 of their own order 1, 2350 each; the
        # production customer's bank asks for 3-D Secure.
        paid = {}
        for api, card in ((production, THREE_DS), (staging, VISA)):
            customer, _, order = await api.customer_with_order(total_cents=2350)
            response = await api.pay(
                customer, order["id"], stripe_token=await api.payment_method(card)
            )
            assert response.status_code == 201, response.text
            assert response.json()["data"]["id"] == "1"
            paid[api] = (customer, order, response.json()["data"])
        production_intent = paid[production][2]["attributes"]["stripe_payment_intent_id"]
        staging_intent = paid[staging][2]["attributes"]["stripe_payment_intent_id"]
        assert production_intent != staging_intent
        creates = proxy.requests_matching(CREATE)
        assert [r.idempotency_key for r in creates] == [
            production.gateway.key("payment", 1, "create"),
            staging.gateway.key("payment", 1, "create"),
        ]
        assert creates[0].idempotency_key != creates[1].idempotency_key
        for api, intent_id in ((production, production_intent), (staging, staging_intent)):
            intent = await api.stripe_get(f"/v1/payment_intents/{intent_id}")
            assert intent["metadata"]["orderpay_install_id"] == api.gateway.installation_id

        # Stripe sends each webhook to both endpoints: each keeps only its own.
        intent = await staging.stripe_get(f"/v1/payment_intents/{production_intent}")
        response = await deliver(staging, event("payment_intent.succeeded", intent))
        assert response.status_code == 200, response.text
        assert (await payment_row(staging, 1)).stripe_payment_intent_id == staging_intent

        # The copy (production's id, nobody renewed it) pays its own order 1, 1000, and
        # Stripe never hears of it. Reconcile finds production's PaymentIntent under the
        # same installation and payment id, and does not record it: wrong amount.
        customer, _, order = await copy.customer_with_order(total_cents=1000)
        proxy.add_fault(CREATE, Fault.reset_before())
        in_doubt = await copy.pay(
            customer, order["id"], stripe_token=await copy.payment_method(VISA)
        )
        assert in_doubt.status_code == 503, in_doubt.text
        # (and, however long it has waited for 3-D Secure, does not cancel it either)
        await money.reconcile(copy.db, copy.gateway, copy.settings, abandon_after_seconds=0)
        row = await payment_row(copy, 1)
        assert (row.state, row.stripe_payment_intent_id) == ("processing", None)
        intent = await copy.stripe_get(f"/v1/payment_intents/{production_intent}")
        assert intent["status"] == "requires_action"

        # Renewed (`orderpay installation --renew`), the copy is an installation of its own:
        # Stripe holds nothing of its payment 1, which is settled as never charged.
        async with copy.db.transaction() as conn:
            renewed = await installation_repository.renew(conn)
        copy.gateway.installation_id = renewed  # what a restart of the copy reads
        await money.reconcile(copy.db, copy.gateway, copy.settings)
        assert (await payment_row(copy, 1)).state == "canceled"

        await money.assert_every_charge_accounted_for(
            localstripe.url, STRIPE_KEY, production.db, staging.db, copy.db
        )
        assert (await payment_row(production, 1)).stripe_payment_intent_id == production_intent
