"""Configuration, read once from the environment (12-factor)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic_settings import BaseSettings, SettingsConfigDict

# The local Stripe (`localstripe`) that `make run` starts; production sets STRIPE_API_BASE
# to https://api.stripe.com or leaves it unset in the deployment's environment file.
LOCAL_STRIPE_API_BASE = "http://127.0.0.1:8420"
LOCAL_WEBHOOK_SECRET = "whsec_orderpay_local"
# The checkout page's built-ins, like the webhook secret: usable only with a local Stripe.
LOCAL_CHECKOUT_SECRET = "orderpay-local-checkout-secret"
LOCAL_PUBLISHABLE_KEY = "pk_test_orderpay_local"
STRIPE_JS_URL = "https://js.stripe.com/v3/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str = f"sqlite+aiosqlite:///{Path.cwd() / 'orderpay.sqlite3'}"
    # Connections per server process. Payments hold a connection only for their two short
    # transactions, never across a Stripe call, so a small pool serves many requests in flight.
    database_pool_size: int = 20
    # Connections beyond the pool while it is exhausted. SQLAlchemy closes such an "overflow"
    # connection as soon as it is returned, so under sustained load they are opened and closed
    # all the time (a backend fork and a handshake each): 0 makes a request wait for a pooled
    # connection instead, which make bench measured faster at every concurrency (PERFORMANCE.md).
    database_max_overflow: int = 0

    stripe_secret_key: str = "sk_test_orderpay_local"
    stripe_api_base: str = LOCAL_STRIPE_API_BASE
    stripe_webhook_secret: str = LOCAL_WEBHOOK_SECRET
    # Rotation without downtime (docs/OPERATIONS.md): further signing secrets also accepted,
    # comma-separated (the previous one while Stripe and every server move to the new one).
    stripe_webhook_secrets_also_accepted: str = ""
    # Set (LOCAL_STRIPE=1) by `make run` only: the bundled local Stripe is the configured
    # Stripe, and its public built-in webhook secret may be accepted.
    local_stripe: bool = False
    # Stripe's API version this code was written against; sent on every call so that a change
    # of the account's default version cannot change the shape of what we parse.
    stripe_api_version: str = "2026-10-28.endive"
    # The client is answered within this many seconds, whatever Stripe does; past it the
    # payment stays `processing` and is settled later (GET, webhook or `orderpay reconcile`).
    stripe_deadline_seconds: float = 20.0
    stripe_request_timeout_seconds: float = 10.0
    stripe_max_network_retries: int = 2
    # Concurrent connections to Stripe per process (aiohttp's default of 100 would cap
    # throughput at 100 / Stripe latency per process).
    stripe_max_connections: int = 1000

    # How long an Idempotency-Key is remembered (Stripe's rule: 24 h).
    idempotency_key_ttl_seconds: int = 24 * 3600
    # A request that holds a key longer than this is presumed dead (its process crashed),
    # so a retry with the same key may take the key over and settle the payment.
    idempotency_lock_timeout_seconds: float = 90.0

    # Stripe's search shows a new object within about a minute. A payment whose create
    # Stripe keeps answering with a (stored) 5xx, and that Stripe's search still does not
    # show this long after it was created, was never charged: it is recorded failed and its
    # order can be paid again.
    stripe_search_lag_seconds: float = 120.0
    # Webhook events that match none of this installation's payments or refunds are kept
    # this long (an event may overtake the request that records its payment), then dropped;
    # applied ones are kept as long to recognise Stripe's redeliveries (it retries for 3 days).
    webhook_event_retention_seconds: float = 3 * 24 * 3600

    retry_after_seconds: int = 5
    # Only for the crash-safety tests: pause for this many seconds after Stripe answered and
    # before the outcome is committed, so a test can SIGKILL the process in that window.
    test_pause_before_outcome_commit_seconds: float = 0.0

    # The browser checkout (orderpay.checkout): links are HMAC-signed with this secret.
    checkout_secret: str = LOCAL_CHECKOUT_SECRET
    stripe_publishable_key: str = LOCAL_PUBLISHABLE_KEY
    # Where customers reach this service; `orderpay checkout-link` prints links under it.
    checkout_base_url: str = "http://127.0.0.1:8000"
    # A checkout link opens the page for this long; the session it opens lasts as long.
    checkout_link_ttl_seconds: int = 30 * 60
    checkout_session_ttl_seconds: int = 30 * 60

    # Operations (docs/OPERATIONS.md). Logs: one JSON object per line, or readable text.
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"
    # GET /readyz asks Stripe at most once per this many seconds per process (a load
    # balancer probes every few seconds, from every host), within this timeout.
    readiness_stripe_cache_seconds: float = 5.0
    readiness_timeout_seconds: float = 2.0
    # The in-doubt payments gauge of /metrics is computed at most once per this many seconds.
    metrics_in_doubt_cache_seconds: float = 5.0

    @property
    def stripe_is_local(self) -> bool:
        """A Stripe on this machine (the bundled localstripe), by host, not by prefix."""
        parts = urlsplit(self.stripe_api_base)
        return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")

    @property
    def stripe_js_url(self) -> str:
        """The local Stripe serves its own fake Stripe.js; real Stripe's is only ever loaded
        from js.stripe.com."""
        if self.stripe_is_local:
            return self.stripe_api_base.rstrip("/") + "/js.stripe.com/v3/"
        return STRIPE_JS_URL

    @property
    def checkout_configured(self) -> bool:
        """The built-in secret and publishable key are refused outside the local Stripe."""
        return self.uses_bundled_stripe or (
            self.checkout_secret != LOCAL_CHECKOUT_SECRET
            and self.stripe_publishable_key.startswith("pk_")
            and self.stripe_publishable_key != LOCAL_PUBLISHABLE_KEY
        )

    @property
    def uses_bundled_stripe(self) -> bool:
        """The bundled local Stripe is, explicitly (LOCAL_STRIPE=1), the configured Stripe:
        only then are the public built-in secrets (webhooks, checkout links) believed."""
        return self.local_stripe and self.stripe_is_local

    @property
    def webhook_secrets(self) -> list[str]:
        """Every webhook signing secret accepted: STRIPE_WEBHOOK_SECRET first."""
        also = [s.strip() for s in self.stripe_webhook_secrets_also_accepted.split(",")]
        return [self.stripe_webhook_secret, *(s for s in also if s)]

    @property
    def webhook_secret_configured(self) -> bool:
        """The built-in webhook secret is public (it is in this source): it is accepted only
        when the bundled local Stripe is explicitly the configured Stripe, never merely
        because the Stripe URL is on this machine."""
        if self.stripe_webhook_secret != LOCAL_WEBHOOK_SECRET:
            return bool(self.stripe_webhook_secret)
        return self.uses_bundled_stripe


@lru_cache
def get_settings() -> Settings:
    return Settings()
