"""Prometheus metrics of one server: requests, latency, per-component statuses, queue, cache, judge usage.

Each app owns its ``CollectorRegistry`` (two apps in one process do not collide). Per-component counts
and cache hits are read from the engine's running totals at scrape time, so they always agree with it.
"""

from __future__ import annotations

import importlib
from typing import Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from rewardsmith.server.admission import Admission

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class EngineCollector:
    """Reads ``engine.stats`` (per-component ok / abstain / error / cached), the cache, and judge usage."""

    def __init__(self, engine: Any, admission: Admission) -> None:
        self.engine = engine
        self.admission = admission

    def collect(self) -> Iterable[Metric]:
        status = CounterMetricFamily(
            "rewardsmith_component_results", "Component results by status", labels=["component", "status"]
        )
        cached = CounterMetricFamily("rewardsmith_component_cached", "Component results answered from the cache", labels=["component"])
        seconds = CounterMetricFamily("rewardsmith_component_seconds", "Wall time spent per component", labels=["component"])
        for name, st in dict(getattr(self.engine, "stats", {}) or {}).items():
            for label in ("ok", "abstain", "error"):
                status.add_metric([name, label], float(getattr(st, label, 0)))
            cached.add_metric([name], float(getattr(st, "cached", 0)))
            seconds.add_metric([name], float(getattr(st, "seconds", 0.0)))
        yield status
        yield cached
        yield seconds
        depth = GaugeMetricFamily("rewardsmith_queue_depth", "Samples admitted and not finished (queued + running)")
        depth.add_metric([], float(self.admission.pending))
        yield depth
        reqs = GaugeMetricFamily("rewardsmith_queue_requests", "Requests admitted and not finished")
        reqs.add_metric([], float(self.admission.requests))
        yield reqs
        cache = getattr(self.engine, "cache", None)
        if cache is not None:
            hits = CounterMetricFamily("rewardsmith_cache_hits", "Cache lookups that found a result")
            hits.add_metric([], float(getattr(cache, "hits", 0)))
            yield hits
            misses = CounterMetricFamily("rewardsmith_cache_misses", "Cache lookups that found nothing")
            misses.add_metric([], float(getattr(cache, "misses", 0)))
            yield misses
        yield from judge_usage_metrics()


def judge_usage_metrics() -> Iterable[Metric]:
    """Judge calls, tokens and cost from the judges' per-backend ledgers (``judges.operations.usage_report``)."""
    try:
        ops = importlib.import_module("rewardsmith.judges.operations")
        report = dict(ops.usage_report())
    except Exception:
        return
    tokens = CounterMetricFamily("rewardsmith_judge_tokens", "Judge tokens used", labels=["judge", "kind"])
    cost = CounterMetricFamily("rewardsmith_judge_cost_usd", "Judge cost in USD (from configured prices)", labels=["judge"])
    calls = CounterMetricFamily("rewardsmith_judge_calls", "Judge calls, retries and failures", labels=["judge", "outcome"])
    for ident, u in report.items():
        tokens.add_metric([ident, "prompt"], float(u.get("prompt_tokens", 0)))
        tokens.add_metric([ident, "completion"], float(u.get("completion_tokens", 0)))
        cost.add_metric([ident], float(u.get("cost_usd", 0.0)))
        for outcome in ("calls", "retries", "failures", "fallbacks", "budget_refusals", "guarded"):
            calls.add_metric([ident, outcome], float(u.get(outcome, 0)))
    yield tokens
    yield cost
    yield calls


class ServerMetrics:
    """Request counters and latency histograms, plus the engine collector, in one registry."""

    def __init__(self, engine: Any, admission: Admission) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "rewardsmith_requests", "HTTP requests by endpoint and status code", ["endpoint", "code"], registry=self.registry
        )
        self.latency = Histogram(
            "rewardsmith_request_seconds", "Request latency by endpoint", ["endpoint"], buckets=LATENCY_BUCKETS, registry=self.registry
        )
        self.samples = Counter("rewardsmith_samples", "Samples scored by final status", ["status"], registry=self.registry)
        self.rejected = Counter("rewardsmith_rejected", "Requests refused with 429 (queue full)", registry=self.registry)
        self.registry.register(EngineCollector(engine, admission))  # type: ignore[arg-type]
        self.info = Gauge("rewardsmith_spec_info", "The loaded spec", ["name", "hash"], registry=self.registry)
