"""A refund of a payment the caller may not refund is `404 not_found` pointing at the
`payment` relationship: the service names the field, the HTTP layer gives the pointer
(errors.py, api/documents.fields_as_pointers)."""

from __future__ import annotations

from tests.support.jsonapi import assert_error
from tests.support.refunds import paid_order, refund


async def test_no_such_payment_points_at_the_payment_relationship(api, subtests):
    member, customer, _, payment = await paid_order(api)
    outsider = await api.user()
    cases = {
        "an id of no payment": (member, "999999999"),
        "not an id of ours": (member, "pay_1"),
        "the customer, not a member of the business": (customer, payment["id"]),
        "a member of no business of the order": (outsider, payment["id"]),
    }
    for case, (caller, payment_id) in cases.items():
        with subtests.test(case):
            response = await refund(api, caller, payment_id, 100)
            error = assert_error(response, 404, "not_found", "/data/relationships/payment")
            assert error["detail"] == "No such payment."
    # None of them refunded anything.
    response = await api.get(f"/api/v1/payments/{payment['id']}", customer)
    assert response.json()["data"]["attributes"]["refunded_cents"] == 0
