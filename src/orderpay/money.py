"""Amounts of money: integers of minor units (cents), in the currency of their business."""

# The largest amount Stripe charges in one payment: eight digits of minor units (API.md,
# Create Payment). An order whose total is larger could never be paid; a price or refund
# larger than this is no amount of ours.
MAX_CHARGE_CENTS = 99_999_999
