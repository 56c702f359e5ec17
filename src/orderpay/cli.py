"""The operator CLI. Each command prints one JSON object on stdout and exits 0, or a clear
message on stderr and exits non-zero."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from orderpay.db import Database
from orderpay.errors import OrderpayError
from orderpay.settings import get_settings


def _print(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")


def _with_db(fn: Callable[[Database], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
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

    uvicorn.run(
        "orderpay.api.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        log_level="info",
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )
    return None


def cmd_reconcile(args: argparse.Namespace) -> dict[str, Any]:
    from orderpay.installation.repository import installation_id
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

    return _with_db(run)


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
    p.set_defaults(func=cmd_reconcile)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
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
