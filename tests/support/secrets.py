"""What counts as a secret in a log line, for the scan of a whole test run's logs.

Written apart from orderpay/logs.py's redaction on purpose: this is the check, not a copy of
what it checks.

A secret is what lets its holder act: charge a card, act as a user or as us at Stripe, or
forge Stripe's webhooks.

| found                                   | why it is a secret                                  |
|-----------------------------------------|-----------------------------------------------------|
| a Luhn-valid run of 13–19 digits (maybe | a card number (PAN); never reaches orderpay, which  |
| grouped by single spaces)               | sees only Stripe ids, so any is a leak              |
| `tok_…`                                 | a single-use card token: it charges the card once   |
| `pm_card_…`                             | Stripe's test alias of a card number (stands for a  |
|                                         | PAN: where it shows, a real client's source would)  |
| `…_secret_…`                            | a PaymentIntent's (SetupIntent's) client_secret:    |
|                                         | confirms the payment from a browser                 |
| `sk_test_…`, `sk_live_…`, `rk_…_…`      | Stripe secret / restricted API keys                 |
| `whsec_…`                               | a webhook signing secret: forges "payment succeeded"|
| `op_…` (our bearer tokens), `Bearer …`  | acts as the user                                    |
| `token=…` in a URL                      | a checkout link's signed token (opens the checkout) |
| the literal secrets the tests configure | the checkout HMAC secrets                           |

Not secrets, fine to log: `pm_…`, `card_…`, `src_…`, `pi_…`, `re_…`, `cus_…`, `acct_…`,
`evt_…` ids (they act only with a secret key), a card's brand and last 4 digits, our ids,
idempotency keys (`orderpay-<installation>-payment-12-create`), request ids.
Redaction markers (`[card token]`, `token=[redacted]`, …) are, by construction, not matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orderpay.settings import LOCAL_CHECKOUT_SECRET

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("stripe secret key", re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]+")),
    ("webhook signing secret", re.compile(r"\bwhsec_[A-Za-z0-9_]+")),
    ("client_secret", re.compile(r"[A-Za-z0-9]_secret_[A-Za-z0-9]")),
    ("card token", re.compile(r"\btok_[A-Za-z0-9]+")),
    ("test card alias", re.compile(r"\bpm_card_[A-Za-z0-9_]+")),
    ("bearer token", re.compile(r"\bop_[A-Za-z0-9_-]{16,}")),
    ("authorization header", re.compile(r"(?i)\bbearer\s+(?!\[token\])[A-Za-z0-9._~+/=-]+")),
    ("checkout link token", re.compile(r"(?i)[?&]token=(?!\[redacted\])[^&\s\"']+")),
)
# Checkout HMAC secrets the tests configure (literal: they have no recognisable shape).
LITERAL_SECRETS = (LOCAL_CHECKOUT_SECRET, "a-secret-of-our-own", "another-secret")
# Not inside a word or a longer number, nor a decimal's part ("1234567890123.5").
_DIGIT_RUN = re.compile(r"(?<!\w)(?<!\d\.)\d(?: ?\d){12,18}(?!\w|\.\d)")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


@dataclass(frozen=True)
class Finding:
    kind: str
    secret: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.secret[:12]}…"


def secrets_in(line: str, where: str = "") -> Iterator[Finding]:
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(line):
            yield Finding(kind, match.group(0), where)
    for literal in LITERAL_SECRETS:
        if literal in line:
            yield Finding("configured secret", literal, where)
    for match in _DIGIT_RUN.finditer(line):
        digits = match.group(0).replace(" ", "")
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            yield Finding("card number", match.group(0), where)


def secrets_in_files(paths: Iterable[Path]) -> list[Finding]:
    found: list[Finding] = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                found.extend(secrets_in(line, f"{path.name}:{number}"))
    return found
