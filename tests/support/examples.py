"""Running the examples of docs/api/ against a live orderpay, as a reader would: each one is
taken from its page, written to a file, and run with its language's own toolchain, with the
values its page says it reads in its environment (a fresh demo, as `make run` seeds it, a
PaymentMethod made in the site's localstripe, and the ids the earlier examples made).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from orderpay.apidocs import examples_of, page_name
from orderpay.apidocs.languages import camel
from orderpay.demo import seed
from tests.support.checkout import Site
from tests.support.fuzz import payment_method

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "api"

# The order the examples run in: each may use what an earlier one made.
ORDER = (
    "healthz",
    "readyz",
    "metrics",
    "createOrder",
    "listOrders",
    "saveCard",
    "listCards",
    "createPayment",
    "getOrder",
    "listOrderPayments",
    "getPayment",
    "createRefund",
    "rejectOrder",
    "deleteCard",
    "receiveStripeEvent",
)


@dataclass(frozen=True)
class Toolchain:
    program: str  # what must be on PATH
    file: str  # the example's file name ({name}: its operation, in CamelCase)
    command: tuple[str, ...]  # how it is run, in its own directory


TOOLCHAINS = {
    "js": Toolchain("node", "example.mjs", ("node", "example.mjs")),
    "py": Toolchain(sys.executable, "example.py", (sys.executable, "example.py")),
    "java": Toolchain("java", "{name}.java", ("java", "{name}.java")),
    "ruby": Toolchain("ruby", "example.rb", ("ruby", "example.rb")),
    "go": Toolchain("go", "main.go", ("go", "run", "main.go")),
}


@dataclass
class Ran:
    operation: str
    returncode: int
    output: str


async def _api(site: Site, method: str, path: str, token: str, **kwargs) -> dict:
    response = await site.http.request(
        method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
    )
    assert response.status_code < 300, response.text
    return response.json()


async def run_examples(site: Site, language: str, workdir: Path) -> list[Ran]:
    """Runs every page's `language` example against `site`, in ORDER; returns what each did.
    Afterwards the demo order is paid (by the Create Payment example)."""
    toolchain = TOOLCHAINS[language]
    demo = await seed(site.db)
    token, staff = demo["customer"]["token"], demo["staff"]["token"]
    env = {
        **os.environ,
        "BASE_URL": site.url,
        "TOKEN": token,
        "STAFF_TOKEN": staff,
        "BUSINESS_ID": demo["business"]["id"],
        "PRODUCT_ID": demo["products"][0]["id"],
        "STRIPE_WEBHOOK_SECRET": site.webhook_secret,
        # The py examples use the generated client, as `pip install ./clients/python` would.
        "PYTHONPATH": str(ROOT / "clients" / "python"),
        "GOCACHE": str(workdir / "go-cache"),
        "GOPATH": str(workdir / "go-path"),
    }
    demo_order = demo["order"]["id"]
    ran = []
    for operation in ORDER:
        values = {"ORDER_ID": demo_order}
        if operation in ("saveCard", "createPayment"):
            values["PAYMENT_METHOD"] = await payment_method(site)
        if operation in ("getPayment", "createRefund"):
            payments = await _api(site, "GET", f"/api/v1/orders/{demo_order}/payments", token)
            values["PAYMENT_ID"] = payments["data"][0]["id"]
        if operation == "rejectOrder":
            # The order the Create Order example made (the customer's newest).
            values["ORDER_ID"] = (await _api(site, "GET", "/api/v1/orders", token))["data"][0]["id"]
        if operation == "deleteCard":
            values["CARD_ID"] = (await _api(site, "GET", "/api/v1/cards", token))["data"][0]["id"]
        code = examples_of((PAGES / page_name(operation)).read_text())[language]
        directory = workdir / language / operation
        directory.mkdir(parents=True, exist_ok=True)
        name = camel(operation)
        (directory / toolchain.file.format(name=name)).write_text(code)
        command = [part.format(name=name) for part in toolchain.command]
        done = await asyncio.to_thread(
            subprocess.run,
            command,
            cwd=directory,
            env={**env, **values},
            capture_output=True,
            text=True,
            timeout=180,
        )
        ran.append(Ran(operation, done.returncode, done.stdout + done.stderr))
        if done.returncode:
            break  # the next ones may need what this one was to make
    return ran


def missing(language: str) -> str | None:
    """Why `language`'s toolchain cannot run here, or None."""
    program = TOOLCHAINS[language].program
    if shutil.which(program) is None:
        return f"{program} is not installed (make docs-check installs it)"
    return None
