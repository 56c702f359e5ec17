"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from orderpay.businesses.models import Business, BusinessMember, Product
from orderpay.cards.models import Card
from orderpay.db import Base
from orderpay.idempotency.models import IdempotencyKey
from orderpay.installation.models import Installation
from orderpay.orders.models import Order, OrderElement
from orderpay.payments.models import Payment
from orderpay.refunds.models import Refund
from orderpay.users.models import User
from orderpay.webhooks.models import StripeEvent

__all__ = [
    "Base",
    "Business",
    "BusinessMember",
    "Card",
    "IdempotencyKey",
    "Installation",
    "Order",
    "OrderElement",
    "Payment",
    "Product",
    "Refund",
    "StripeEvent",
    "User",
]
