"""Every page of docs/api/ holds, in each tab, a complete program that works: run against a
live orderpay with a fresh demo, the examples of one language make an order, save a card,
pay the demo order, read it, refund it, reject an order, delete the card and deliver a signed
Stripe event, each answered with the status it expects.

js (Node's fetch) and py (the generated client) run in `make test`; java, ruby and go need
toolchains `make test` does not install, and run in `make docs-check`
(ORDERPAY_DOCS_CHECK=1), which installs them from Debian's packages.
"""

from __future__ import annotations

import os

import pytest

from tests.support.examples import ORDER, missing, run_examples

IN_MAKE_TEST = ("js", "py")
IN_DOCS_CHECK = ("java", "ruby", "go")


def languages():
    for language in IN_MAKE_TEST:
        yield language
    for language in IN_DOCS_CHECK:
        yield pytest.param(
            language,
            marks=pytest.mark.skipif(
                not os.environ.get("ORDERPAY_DOCS_CHECK"), reason="run by make docs-check"
            ),
        )


@pytest.mark.parametrize("language", languages())
async def test_every_example_of_the_language_runs_and_pays_the_demo_order(
    language, sqlite_site, tmp_path
):
    why = missing(language)
    if why:
        pytest.fail(why, pytrace=False)

    ran = await run_examples(sqlite_site, language, tmp_path)

    failed = [f"{r.operation} exited {r.returncode}:\n{r.output}" for r in ran if r.returncode]
    assert not failed, failed[0]
    assert [r.operation for r in ran] == list(ORDER)
    paid = next(r for r in ran if r.operation == "createPayment")
    assert paid.output.startswith("201 ") and '"state":"succeeded"' in paid.output, paid.output
    refunded = next(r for r in ran if r.operation == "createRefund")
    assert '"partially_refunded"' in refunded.output, refunded.output
