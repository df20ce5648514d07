"""Prometheus metrics, in a registry owned by the app (no module-level collectors)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "peerlink_requests", "Inbound events handled, by adapter", ["adapter"],
            registry=self.registry,
        )
        self.routes = Counter(
            "peerlink_routes", "Engine turns, by route", ["route"], registry=self.registry
        )
        self.replies = Counter(
            "peerlink_replies", "Outbound messages written to the outbox", registry=self.registry
        )
        self.engine_failures = Counter(
            "peerlink_engine_failures", "Turns that failed on our side", registry=self.registry
        )
        self.deliveries = Counter(
            "peerlink_deliveries", "Delivery attempts, by platform and outcome",
            ["platform", "outcome"], registry=self.registry,
        )
        self.delivery_failures = Counter(
            "peerlink_delivery_failures", "Failed delivery attempts, by platform and reason",
            ["platform", "reason"], registry=self.registry,
        )
        self.outbox = Gauge(
            "peerlink_outbox_messages", "Outbox rows by status", ["status"],
            registry=self.registry,
        )

        self.inbox = Gauge(
            "peerlink_inbox_events", "Events acknowledged and waiting for their turns",
            registry=self.registry,
        )
        self.inbox_age = Gauge(
            "peerlink_inbox_oldest_seconds",
            "How long the oldest waiting event has waited (0 when none waits)",
            registry=self.registry,
        )

    # EngineMetrics
    def received(self, platform: str) -> None:
        self.requests.labels(adapter=platform).inc()

    def handled(self, route: str) -> None:
        self.routes.labels(route=route).inc()

    def replied(self, count: int) -> None:
        self.replies.inc(count)

    def failed(self) -> None:
        self.engine_failures.inc()

    # DeliveryMetrics
    def delivered(self, platform: str, outcome: str, reason: str) -> None:
        self.deliveries.labels(platform=platform, outcome=outcome).inc()
        if outcome != "sent":
            self.delivery_failures.labels(platform=platform, reason=reason).inc()

    def set_outbox(self, counts: dict[str, int]) -> None:
        for status in ("pending", "claimed", "sent", "dead", "undeliverable", "unaddressed"):
            self.outbox.labels(status=status).set(counts.get(status, 0))

    def set_inbox(self, waiting: int, oldest_age: float | None) -> None:
        self.inbox.set(waiting)
        self.inbox_age.set(oldest_age or 0.0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
