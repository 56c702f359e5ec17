"""The operator CLI. Each command prints one JSON object on stdout and exits 0, or a clear
message on stderr and exits non-zero."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from orderpay import logs
from orderpay.errors import OrderpayError
from orderpay.settings import get_settings

if TYPE_CHECKING:
    from orderpay.db import Database

# Nothing that imports prometheus_client (orderpay.db, orderpay.metrics, the app) is imported
# at the top of this module: `serve` must set PROMETHEUS_MULTIPROC_DIR before it is.


def _print(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")


def _with_db(fn: Callable[[Database], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    from orderpay.db import Database

    async def run() -> dict[str, Any]:
        settings = get_settings()
        db = Database(settings.database_url, pool_size=2)
        try:
            return await fn(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def cmd_users_create(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.users.service import create_user

    async def run(db: Database) -> dict[str, Any]:
        user_id, email, token = await create_user(db, email=args.email)
        return {"id": str(user_id), "email": email, "token": token}

    return _with_db(run)


def cmd_businesses_create(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.businesses.service import create_business

    return _with_db(
        lambda db: create_business(
            db,
            name=args.name,
            currency=args.currency,
            stripe_account_id=args.stripe_account,
            commission_bps=args.commission_bps,
        )
    )


def cmd_businesses_add_member(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.businesses.service import add_member

    return _with_db(lambda db: add_member(db, business_id=args.business_id, user_id=args.user_id))


def cmd_products_create(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.businesses.service import create_product

    return _with_db(
        lambda db: create_product(
            db, business_id=args.business_id, name=args.name, price_cents=args.price_cents
        )
    )


def cmd_migrate(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    return {"migrated": True, "database": _redact(settings.database_url)}


def cmd_installation(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.installation import repository

    async def run(db: Database) -> dict[str, Any]:
        async with db.transaction() as conn:
            previous = await repository.installation_id(conn)
            if not args.renew:
                return {"installation_id": previous}
            return {"installation_id": await repository.renew(conn), "previous": previous}

    return _with_db(run)


def cmd_demo(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.demo import seed

    return _with_db(seed)


def cmd_checkout_link(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.checkout.service import CheckoutService

    settings = get_settings()
    return _with_db(
        lambda db: CheckoutService(db=db, settings=settings).link(
            order_id=args.order_id, base_url=args.base_url
        )
    )


def cmd_serve(args: argparse.Namespace) -> dict[str, Any] | None:
    import uvicorn

    settings = get_settings()
    # Every worker writes its metrics into one directory, and the worker answering a scrape
    # sums them (orderpay/metrics.py). Set before anything imports prometheus_client: the
    # workers inherit it, and with one worker the app runs in this very process.
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    metrics_dir = given or tempfile.mkdtemp(prefix="orderpay-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    from orderpay.metrics import prepare_multiprocess_dir

    prepare_multiprocess_dir(metrics_dir)
    try:
        uvicorn.run(
            "orderpay.api.asgi:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=args.access_log,
            # uvicorn's own lines (startup, errors, access) in our format, in every worker.
            log_config=logs.logging_config(settings.log_format, settings.log_level),
            log_level=settings.log_level.lower(),
            proxy_headers=False,
            timeout_graceful_shutdown=10,
        )
    finally:
        if not given:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return None


def cmd_reconcile(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.installation.repository import installation_id
    from orderpay.metrics import write_reconcile_textfile
    from orderpay.reconcile import reconcile
    from orderpay.stripe_gateway import StripeGateway

    settings = get_settings()

    async def run(db: Database) -> dict[str, Any]:
        async with db.connect() as conn:
            gateway = StripeGateway(settings, installation_id=await installation_id(conn))
        try:
            return await reconcile(
                db,
                gateway,
                settings,
                older_than_seconds=args.older_than,
                abandon_after_seconds=args.abandon_after,
            )
        finally:
            await gateway.close()

    started = time.time()
    result: dict[str, Any] | None = None
    try:
        result = _with_db(run)
        return result
    finally:
        if args.metrics_file:
            write_reconcile_textfile(
                args.metrics_file, result=result, started=started, finished=time.time()
            )


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orderpay", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    users = sub.add_parser("users", help="customers and staff").add_subparsers(
        dest="action", required=True
    )
    p = users.add_parser("create", help="create a user; prints its token once")
    p.add_argument("email")
    p.set_defaults(func=cmd_users_create)

    businesses = sub.add_parser("businesses", help="restaurants").add_subparsers(
        dest="action", required=True
    )
    p = businesses.add_parser("create", help="create a business")
    p.add_argument("name")
    p.add_argument("--currency", default="eur")
    p.add_argument("--stripe-account", default=None, help="its Stripe Connect account acct_…")
    p.add_argument(
        "--commission-bps",
        type=_positive_int,
        default=0,
        help="platform commission in basis points (1000 = 10%%)",
    )
    p.set_defaults(func=cmd_businesses_create)
    p = businesses.add_parser("add-member", help="let a user act for a business")
    p.add_argument("business_id", type=_positive_int)
    p.add_argument("user_id", type=_positive_int)
    p.set_defaults(func=cmd_businesses_add_member)

    products = sub.add_parser("products", help="menus").add_subparsers(dest="action", required=True)
    p = products.add_parser("create", help="add a product to a business's menu")
    p.add_argument("business_id", type=_positive_int)
    p.add_argument("name")
    p.add_argument("price_cents", type=_positive_int)
    p.set_defaults(func=cmd_products_create)

    p = sub.add_parser("migrate", help="bring the database schema to the newest version")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser(
        "installation",
        help="print this database's installation id (its namespace in Stripe)",
        description="Every Stripe idempotency key and object orderpay creates carries this "
        "database's installation id, so two databases on one Stripe account never adopt each "
        "other's payments. --renew gives a COPY of a database (a restored backup run as "
        "staging beside production) an id of its own: the copy then no longer sees the "
        "original's Stripe objects, and its payments in doubt settle as not charged. Never "
        "renew the database that made those payments.",
    )
    p.add_argument("--renew", action="store_true", help="give this copy a new installation id")
    p.set_defaults(func=cmd_installation)

    p = sub.add_parser("demo", help="seed a demo customer, business, products and order")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "checkout-link", help="print a short-lived link that opens an order's checkout page"
    )
    p.add_argument("order_id", type=_positive_int)
    p.add_argument(
        "--base-url",
        default=None,
        help="where customers reach this service (default: CHECKOUT_BASE_URL)",
    )
    p.set_defaults(func=cmd_checkout_link)

    p = sub.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--access-log", action="store_true")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("reconcile", help="settle payments in doubt against Stripe")
    p.add_argument(
        "--older-than",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="only payments untouched for this long (default 300; keep it above "
        "the Stripe deadline so no request in flight is settled under it)",
    )
    p.add_argument(
        "--abandon-after",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="cancel a PaymentIntent still awaiting 3-D Secure after this long",
    )
    p.add_argument(
        "--metrics-file",
        default=os.environ.get("RECONCILE_METRICS_FILE") or None,
        metavar="PATH",
        help="write this run's results for node_exporter's textfile collector (a .prom file "
        "in its --collector.textfile.directory; default: RECONCILE_METRICS_FILE)",
    )
    p.set_defaults(func=cmd_reconcile)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command != "serve":  # serve hands its logging configuration to uvicorn
            # Commands print their result on stdout; their log lines (warnings, and
            # reconcile's Stripe calls) go to stderr, in the server's format.
            level = "INFO" if args.command == "reconcile" else "WARNING"
            logs.configure(get_settings().log_format, level)
        result = args.func(args)
    except OrderpayError as exc:
        sys.stderr.write(f"orderpay: {exc.detail} ({exc.code})\n")
        return 1
    except Exception as exc:  # a clear one-line message, not a traceback, for operators
        sys.stderr.write(f"orderpay: {exc.__class__.__name__}: {exc}\n")
        return 1
    if result is not None:
        _print(result)
    return 0
