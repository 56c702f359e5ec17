"""Found by `make soak` (seed 235599776): a payment whose cancel Stripe failed *inside* (the
500 it stores under the Idempotency-Key and replays to every retry with it) stays in doubt.

The payment's create answer was lost (503, `processing`), Stripe holds its PaymentIntent
unconfirmed; reconcile cancels it, and Stripe answers that cancel with a 500 it stores under
the payment's `…-cancel` key. Every later reconcile sends the same key, gets the same stored
500, and leaves the payment `processing` -- and its order unpayable (`payment_in_progress`)
-- for as long as Stripe keeps the key (24 h), though Stripe is well and nothing was charged.
(The same stored 500 on a *create* is handled: `_create_failed_in_stripe`.) Fixed: a cancel
answered with a stored 5xx reads the PaymentIntent again and, still cancelable, cancels it
under the payment's next cancel key (accounting.cancel_in_stripe, payments.cancel_attempt;
tests/payments/test_a_cancel_stripe_failed_is_sent_again_under_the_next_key.py).
"""

from __future__ import annotations

import pytest

from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.faulty_stripe import (
    CANCEL,
    CREATE,
    VISA,
    assert_processing_503,
    assert_settled_truthfully,
    faulty_api,
    payment_rows,
    reconcile,
)
from tests.support.localstripe import LocalStripe


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_a_cancel_stripe_failed_and_stored_does_not_hold_the_payment_in_doubt(
    database_url: str, proxy: FaultProxy, localstripe: LocalStripe
) -> None:
    async with faulty_api(database_url, proxy, localstripe, stripe_max_network_retries=0) as api:
        customer, _, order = await api.customer_with_order()
        proxy.add_fault(CREATE, Fault.reset_after())
        response = await api.pay(customer, order["id"], stripe_token=await api.payment_method(VISA))
        assert_processing_503(response, api.settings)
        proxy.add_fault(CANCEL, Fault.status(500, in_stripe=True))
        await reconcile(api)  # Stripe fails the cancel: in doubt, rightly, for now
        [payment] = await payment_rows(api, order["id"])
        assert payment.state == "processing"

        # Stripe is well again: reconcile must settle what it holds (nothing charged).
        for _ in range(3):
            await reconcile(api)

        assert await assert_settled_truthfully(api, customer, order["id"]) == "canceled"
