"""docs/api/ and clients/ are what the code generates: a page or a client that drifted from
the OpenAPI fails here, and `make docs` / `make clients` bring them back."""

from __future__ import annotations

import json
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


def test_the_js_examples_type_check_against_the_typescript_declarations(tmp_path):
    # clients/typescript/orderpay.d.ts, generated from the OpenAPI, types each js example's
    # document (`@type` of orderpay-api-types): tsc --checkJs proves they agree.
    typescript = ROOT / "clients" / "typescript"
    tsc = typescript / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=typescript,
            check=True,
            timeout=300,
        )
    files = []
    for name, text in pages().items():
        if name != "README.md":
            path = tmp_path / name.replace(".md", ".mjs")
            path.write_text(examples_of(text)["js"])
            files.append(path.name)
    (tmp_path / "tsconfig.json").write_text(
        json.dumps(
            {
                "compilerOptions": {
                    "allowJs": True,
                    "checkJs": True,
                    "noEmit": True,
                    "target": "es2022",
                    "module": "esnext",
                    "moduleResolution": "bundler",
                    "typeRoots": [str(typescript / "node_modules" / "@types")],
                    "types": ["node"],
                    "paths": {"orderpay-api-types": [str(typescript / "orderpay.d.ts")]},
                },
                "files": files,
            }
        )
    )

    check = subprocess.run(
        [str(tsc), "-p", str(tmp_path)], capture_output=True, text=True, timeout=300
    )

    assert check.returncode == 0, check.stdout + check.stderr
    assert sum("@type" in (tmp_path / f).read_text() for f in files) == 5  # the five bodies
