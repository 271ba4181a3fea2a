"""Latency figures shared by the benchmarks: time a call in milliseconds and summarise a
list of timings as p50/p95 (the nearest-rank 95th percentile)."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timed_ms(call: Callable[[], Any]) -> tuple[Any, float]:
    """(what ``call`` returned, how long it took in milliseconds)."""
    start = time.perf_counter()
    result = call()
    return result, (time.perf_counter() - start) * 1000


def percentiles(times_ms: list[float]) -> dict:
    """p50 and p95 of the timings, rounded to 0.1 ms."""
    ordered = sorted(times_ms)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1)}
