#!/usr/bin/env bash
# `make run`: migrate, seed the demo, start the local Stripe and the API, and print how to pay
# the demo order. Ctrl-C stops both servers.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export STRIPE_API_BASE="${STRIPE_API_BASE:-http://127.0.0.1:8420}"
export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_orderpay_local}"
export STRIPE_WEBHOOK_SECRET="${STRIPE_WEBHOOK_SECRET:-whsec_orderpay_local}"
# The Stripe below is the bundled local one: only then is its public webhook secret accepted.
export LOCAL_STRIPE=1
# The checkout page's Stripe.js (the local Stripe's fake one) authenticates with a pk_ key.
export STRIPE_PUBLISHABLE_KEY="${STRIPE_PUBLISHABLE_KEY:-pk_test_orderpay_local}"
API_PORT="${PORT:-8000}"
export CHECKOUT_BASE_URL="${CHECKOUT_BASE_URL:-http://127.0.0.1:$API_PORT}"

"$BIN/orderpay" migrate >/dev/null
DEMO_JSON="$("$BIN/orderpay" demo)"

STRIPE_PORT="${STRIPE_API_BASE##*:}"
"$BIN/localstripe" --port "$STRIPE_PORT" --from-scratch >.localstripe.log 2>&1 &
STRIPE_PID=$!
trap 'kill $STRIPE_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 50); do
  curl -s -o /dev/null "$STRIPE_API_BASE/v1/customers" && break
  kill -0 $STRIPE_PID 2>/dev/null || { echo "localstripe failed to start:"; cat .localstripe.log; exit 1; }
  sleep 0.1
done
# Webhooks from the local Stripe (3-D Secure completions, refunds) come back to the API.
curl -s -o /dev/null -X POST "$STRIPE_API_BASE/_config/webhooks/orderpay" \
  -d "url=http://127.0.0.1:$API_PORT/api/v1/stripe/webhooks" -d "secret=$STRIPE_WEBHOOK_SECRET"

TOKEN=$(echo "$DEMO_JSON" | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["customer"]["token"])')
ORDER=$(echo "$DEMO_JSON" | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["order"]["id"])')
TOTAL=$(echo "$DEMO_JSON" | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["order"]["total_cents"])')
CHECKOUT_URL=$("$BIN/orderpay" checkout-link "$ORDER" | "$BIN/python" -c 'import json,sys; print(json.load(sys.stdin)["url"])')

cat <<MSG

orderpay is starting on http://127.0.0.1:$API_PORT (local Stripe on $STRIPE_API_BASE).
Demo data: $DEMO_JSON

Pay the demo order $ORDER ($TOTAL cents) in a browser (the link works for 30 minutes;
\`.venv/bin/orderpay checkout-link $ORDER\` prints a new one):

  $CHECKOUT_URL

  Cards (any future expiry, any CVC): 4242424242424242 pays; 4000002760003184 asks for
  3-D Secure (the local Stripe shows its challenge in the page); 4000000000000002 is declined.

Or from another terminal, with curl:

  TOKEN=$TOKEN
  ORDER=$ORDER

  # 1. A card becomes a PaymentMethod in (local) Stripe - in production Stripe.js does this:
  PM=\$(curl -s -u $STRIPE_SECRET_KEY: $STRIPE_API_BASE/v1/payment_methods \\
        -d type=card -d 'card[number]=4242424242424242' -d 'card[exp_month]=12' \\
        -d 'card[exp_year]=2034' -d 'card[cvc]=123' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

  # 2. Pay the order (201, state "succeeded"):
  curl -s -X POST http://127.0.0.1:$API_PORT/api/v1/payments \\
       -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -H "Idempotency-Key: demo-\$ORDER" \\
       -d '{"data":{"type":"payments","attributes":{"stripe_token":"'\$PM'"},"relationships":{"order":{"type":"order","id":"'\$ORDER'"}}}}'

  # 3. The same request again replays the first answer (header Idempotent-Replayed: true);
  #    without the key it is a new attempt, refused: 409 order_not_payable.
  curl -s -X POST http://127.0.0.1:$API_PORT/api/v1/payments \\
       -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
       -d '{"data":{"type":"payments","attributes":{"stripe_token":"'\$PM'"},"relationships":{"order":{"type":"order","id":"'\$ORDER'"}}}}'

  # 4. The order is paid:
  curl -s http://127.0.0.1:$API_PORT/api/v1/orders/\$ORDER -H "Authorization: Bearer \$TOKEN"

MSG

# Readable log lines in a terminal; production's `orderpay serve` logs JSON (docs/OPERATIONS.md).
LOG_FORMAT="${LOG_FORMAT:-text}" "$BIN/orderpay" serve --host 127.0.0.1 --port "$API_PORT"
