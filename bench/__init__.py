"""`make bench`: throughput, latency and exactly-once of Create Payment (docs/PERFORMANCE.md)."""
