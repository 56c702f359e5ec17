"""docs/api/ and clients/ are what the code generates: a page or a client that drifted from
the OpenAPI fails here, and `make docs` / `make clients` bring them back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from orderpay.apidocs import examples_of, pages
from orderpay.apidocs.languages import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "api"


def test_the_committed_pages_are_the_generated_ones():
    generated = pages()

    committed = {p.name: p.read_text() for p in PAGES.glob("*.md")}

    assert set(committed) == set(generated), "run `make docs`"
    stale = [name for name, text in generated.items() if committed[name] != text]
    assert not stale, f"run `make docs`: {stale}"


def test_every_operation_page_has_the_five_tabs_and_its_member_table():
    for name, text in pages().items():
        if name == "README.md":
            continue
        assert set(examples_of(text)) == set(LANGUAGES), name
        assert text.index("{% tabs %}") < text.index("{% /tabs %}"), name
    create = pages()["create-payment.md"]
    for row in (
        "| `data` | formData | object | Required | Form Data needed when creating a new payment",
        "| `data.attributes.stripe_token` | formData |",
        "Stripe PaymentMethod ID which was saved before along with Card record",
        "| `data.relationships.order.id` | formData | string | Optional | Related Order `id`. |",
    ):
        assert row in create, row


def test_the_committed_python_client_is_the_generated_one():
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen-clients.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert check.returncode == 0, check.stdout + check.stderr
