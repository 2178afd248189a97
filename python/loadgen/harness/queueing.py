"""A Server rate from a queue model, for SUTs too slow for a probe to show its tail.

A Server probe of a few seconds shows the 99th percentile of a queue only
when it holds a hundred queries or more. A slow SUT (an LLM server that takes
seconds a request) gives a probe of ten queries, whose worst one is about its
90th percentile: such a probe passed a rate at half the capacity whose long run
then had a p99 TTFT of 31 s against a 20 s bound (SmolLM2 behind llama.cpp's
server, one core, 128 new tokens a request).

So for such SUTs the rate is first capped by a model: the SUT as one server
of the measured capacity ``mu`` (samples/s) with exponential service times
(M/M/1; a conservative stand-in for a SUT of ``c`` slots, whose waits are
shorter), fed by LoadGen's Poisson arrivals at ``lambda``. Its waiting time
has P(W > t) = rho exp(-(mu - lambda) t), rho = lambda / mu, so the quantile
``q`` of the wait is ln(rho / (1 - q)) / (mu - lambda), zero when
rho <= 1 - q. A sample's latency is that wait plus its own time (its fastest
measured: the TTFT of a token stream, else one sample's time). The probe at
the model's rate still decides; the model only keeps the first probe from a
rate whose tail a short probe cannot see. Measured against the run above:
the model gives 28 s at half the capacity (31 s measured).
"""

from __future__ import annotations

import math
from typing import Any

# A probe of fewer queries than this cannot show the 99th percentile of a queue.
TAIL_QUERIES = 100


def wait_quantile_s(rate: float, capacity: float, q: float) -> float:
    """The quantile ``q`` of the wait in an M/M/1 queue (seconds); inf when saturated."""
    if rate >= capacity:
        return math.inf
    rho = rate / capacity
    if rho <= 1.0 - q:
        return 0.0
    return math.log(rho / (1.0 - q)) / (capacity - rate)


def highest_rate(capacity: float, own_s: float, limit_s: float, q: float, at_most: float) -> float | None:
    """The highest rate, at most ``at_most``, at which the model's quantile ``q``
    of the wait plus ``own_s`` stays within ``limit_s``; None when none above a
    thousandth of the capacity does."""
    if capacity <= 0 or own_s >= limit_s:
        return None

    def fits(rate: float) -> bool:
        return own_s + wait_quantile_s(rate, capacity, q) <= limit_s

    if fits(at_most):
        return at_most
    lo, hi = 1e-3 * capacity, at_most
    if not fits(lo):
        return None
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def capped_rate(
    ts: Any, offline: Any, capacity: float, start: float, floor_ns: float, margin: float, probe_s: float
) -> tuple[float, str] | None:
    """The first Server probe's rate and why, when a probe at ``start`` (queries/s,
    lasting ``probe_s``) would hold too few queries to show its tail and the
    model says ``start`` is too fast for ``margin`` x the bound (TestSettings
    ``ts``; ``offline``, the capacity probe's result, gives the fastest TTFT)."""
    if start * probe_s >= TAIL_QUERIES:
        return None
    if ts.use_token_latencies:
        first = offline.first_token
        own_ns, bound_ns, what = (first.min_ns if first.count else 0), ts.ttft_latency, "TTFT"
    else:
        own_ns, bound_ns, what = floor_ns, ts.server_target_latency_ns, "latency"
    q = float(ts.server_target_latency_percentile)
    limit_s = margin * bound_ns / 1e9
    rate = highest_rate(capacity, own_ns / 1e9, limit_s, q, start)
    if rate is None or rate >= start:
        return None
    why = (
        f"sizing: a probe of {start * probe_s:.0f} queries cannot show a queue's p{q * 100:g}; an M/M/1 queue "
        f"of capacity {capacity:.4g}/s keeps the {what} p{q * 100:g} (wait + fastest {own_ns / 1e6:.3g} ms) under "
        f"{limit_s:.3g} s up to {rate:.4g}/s ({rate / capacity:.2g} of the capacity), so the probes start there"
    )
    return rate, why
