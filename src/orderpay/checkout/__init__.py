"""The browser checkout: a server-rendered page where a customer pays an order with Stripe.js.

A signed checkout link (`orderpay checkout-link ORDER_ID`) is exchanged for a short-lived
session cookie; the page's JavaScript then calls orderpay's public API (Create Payment, Get
Payment, Save Card), which accepts that cookie in place of a bearer token for exactly those
endpoints (see `auth.py`).
"""
