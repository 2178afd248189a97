"""Measured sizing: a short run fitted to the machine it runs on.

A short run (no ``--official``) must be VALID or INVALID because of the SUT,
not because the user.conf that came with the benchmark guessed another
machine's speed. So before the timed run the harness measures the SUT it has
just built, on the real samples, with a few short LoadGen runs of its own
(probes, a few seconds in all, after the warm-up), and sets what the
scenario needs:

* Offline: ``offline_expected_qps`` = 2 x the measured samples/s, so the one
  query (1.1 x min_duration x target samples) lasts about 2.2 x min_duration
  at the measured rate and still outlasts min_duration if the timed run is
  up to 2.2 x faster than the probe (a short probe's last, partial batches
  make it slower than a long query: DLRM on one core ran 1.8 x faster);
* SingleStream / MultiStream: the expected latency (the measured mean) and
  ``min_query_count`` = the fewest queries early stopping can accept at the
  scenario's percentile (64 at the 90th, 662 at the 99th);
* Server: a rate the SUT sustains within the latency bound (TTFT and TPOT
  bounds too, for token streaming): half the measured capacity (less, for a
  SUT so slow that a probe holds too few queries to show its tail, where a
  queue model caps it: queueing.py), halved until a probe keeps its 99th
  percentile under 70 % of the bound; and ``min_query_count`` = enough for
  early stopping at that rate (1000 when they fit in 90 s, else 662). When
  even the lightest rate misses the bound, the run says so in one line,
  with the measured latency, and stays INVALID (impossible here).

A value the user gives wins and is not measured: ``--qps`` (rate), a line of
the ``--user-conf`` file (its key), ``--max-latency`` (MultiStream's expected
latency); ``--count`` fixes the run's size, so nothing is sized, and
``--time`` fixes its length, so no query count is set (SingleStream and
MultiStream then need no measurement: their expected latency does not decide
validity). The values
chosen are printed, kept in results.json (``sizing``) and written as
``OUTPUT/user.conf``, so ``--user-conf OUTPUT/user.conf --official`` reuses
them. An ``--official`` run is never sized silently: ``--qps auto`` asks for
the same measurement of the rate and expected latency (the rules' durations
and query counts stay).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import _core
from . import queueing
from .settings import user_conf_fields as _user_keys

PROBE_TARGET_S = 1.5  # each probe grows until it lasts about this long
OFFLINE_MARGIN = 2.0  # offline_expected_qps = this x the measured samples/s
SERVER_START = 0.5  # the first Server probe runs at this fraction of the capacity
SERVER_TAIL_MARGIN = 0.7  # a probe passes when its p99 is under this fraction of the bound
HOPELESS = 1.5  # Server: a sample's least time over this x the bound ends the search at once
SERVER_TRIES = 5  # Server probes before the scenario is called impossible here
# A Server probe lasts about this long (10 to 600 queries), for a queue that grows to show in
# its p99 (3 s probes passed a rate that one busy core could not hold over a 95 s run).
SERVER_PROBE_S = 8.0
SERVER_BUDGET_S = 90.0  # Server: 1000 queries when they fit in this, else 662
CONFIDENCE = 0.99  # early stopping's confidence (rules: 99 %)


def min_passing(percentile: float, overlatency: int, confidence: float = CONFIDENCE) -> int:
    """Early stopping's MinPassing(t): the fewest under-bound queries h for which
    a system whose true success rate is ``percentile`` would look this good
    (t over-bound queries among h + t) with probability below 1 - confidence.
    P[X <= t], X ~ Binomial(h + t, 1 - percentile)."""
    q = 1.0 - percentile
    target = 1.0 - confidence

    def tail(h: int) -> float:
        n = h + overlatency
        logs = [
            math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            + i * math.log(q) + (n - i) * math.log1p(-q)
            for i in range(overlatency + 1)
        ]  # fmt: skip
        top = max(logs)
        return math.exp(top) * sum(math.exp(v - top) for v in logs)

    lo, hi = 1, 2
    while tail(hi) >= target:
        lo, hi = hi, hi * 2
    while lo < hi:
        mid = (lo + hi) // 2
        if tail(mid) < target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def early_stopping_queries(percentile: float, overlatency: int = 1) -> int:
    """Queries early stopping needs to accept a run with ``overlatency`` queries
    over the bound (SingleStream/MultiStream: 1, the fewest it can estimate from)."""
    return min_passing(percentile, overlatency) + overlatency


@dataclass
class Sizing:
    """What the measurement chose, and why."""

    fields: dict[str, float | int] = field(default_factory=dict)  # TestSettings fields set
    conf: dict[str, str] = field(default_factory=dict)  # user.conf key (after model.Scenario.) -> value
    notes: list[str] = field(default_factory=list)
    probes: list[dict[str, Any]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # values the user gave, which won
    impossible: str | None = None  # the rules make this scenario impossible on this SUT
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": dict(self.fields),
            "user_conf": dict(self.conf),
            "probes": list(self.probes),
            "kept": list(self.kept),
            "impossible": self.impossible,
            "seconds": round(self.seconds, 3),
        }


class _Prober:
    """Runs probes: short LoadGen tests of the same SUT and QSL, logged into a
    scratch folder that is removed afterwards."""

    def __init__(self, sut: Any, qsl: Any, make: Callable[[str], Any], log: Callable[[str], None]) -> None:
        self.sut, self.qsl, self.make, self.log = sut, qsl, make, log
        self.records: list[dict[str, Any]] = []
        self.scratch = tempfile.mkdtemp(prefix="loadgen-sizing-")

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    def run(self, scenario: str, what: str, **fields: Any) -> Any:
        ts = self.make(scenario)
        ts.mode = _core.TestMode.PerformanceOnly
        ts.min_duration_ms = 0 if scenario == "Offline" else 1
        # A probe issues exactly what it asks for (3D-UNet's mlperf.conf would
        # otherwise stretch every query over the whole loaded set).
        ts.sample_concatenate_permutation = False
        for k, v in fields.items():
            setattr(ts, k, v)
        ls = _core.LogSettings()
        ls.log_output.outdir = os.path.join(self.scratch, f"probe{len(self.records)}")
        ls.log_output.copy_summary_to_stdout = False
        ls.enable_trace = False
        t0 = time.monotonic()
        result = _core.run_test(self.sut, self.qsl, ts, ls)
        seconds = time.monotonic() - t0
        if result.aborted or not result.performance:
            raise RuntimeError(f"sizing probe ({scenario}, {what}) did not finish: {result.abort_reason}")
        p = result.performance[-1]
        self.records.append({"scenario": scenario, "what": what, "seconds": round(seconds, 3)})
        return p, seconds


def _pct_ns(stats: Any, q: float) -> int:
    for pq, v in zip(stats.percentiles, stats.percentile_ns):
        if abs(pq - q) < 1e-9:
            return int(v)
    return int(stats.max_ns)


def _ms(ns: float) -> str:
    return f"{ns / 1e6:.3g} ms"


def _demo(latency_ns: float) -> str:
    """The flag of a demonstration: a bound of twice the measured latency."""
    return f"; for a demonstration (not a result) relax the bound: --max-latency {2 * latency_ns / 1e9:.2g}"


def _grow(n: int, seconds: float) -> int:
    """The next probe's size: aimed at PROBE_TARGET_S, 2 to 64 times this one."""
    return int(min(n * 64, max(n * 2, math.ceil(n * PROBE_TARGET_S / max(seconds, 1e-3)))))


def _measure_capacity(pr: _Prober, workers: int, enough_s: float) -> tuple[float, Any]:
    """Samples per second through the SUT, from Offline probes of growing size:
    one sample first (a slow model's one sample may already take longer than
    ``enough_s``, the run's min_duration: then any query is long enough and no
    more is measured), then at least one per worker, until a probe lasts
    PROBE_TARGET_S. Returns the rate and the last probe's result."""
    n = 1
    while True:
        p, wall = pr.run("Offline", f"one query of {n} samples", min_query_count=n, offline_expected_qps=1.0)
        # LoadGen's own rate (samples over first issue to last completion), not
        # the probe's wall time, which also holds loading the samples and the logs.
        rate = float(p.metric) if p.metric > 0 else p.samples_completed / max(wall, 1e-9)
        seconds = p.samples_completed / rate if rate > 0 else wall
        pr.records[-1]["samples_per_s"] = round(rate, 3)
        if (seconds >= PROBE_TARGET_S and n >= workers) or seconds >= enough_s or n >= 1_000_000:
            return rate, p
        n = max(workers, _grow(n, seconds))


def _measure_latency(pr: _Prober, scenario: str) -> tuple[float, int]:
    """Mean latency (ns) of SingleStream samples or MultiStream queries, and the queries it took."""
    n = 4
    while True:
        p, seconds = pr.run(scenario, f"{n} queries", min_query_count=n, max_query_count=n)
        stats = p.query_latency if scenario == "MultiStream" else p.sample_latency
        pr.records[-1]["mean_latency_ms"] = round(stats.mean_ns / 1e6, 4)
        if seconds >= PROBE_TARGET_S / 2 or n >= 4096:
            return float(stats.mean_ns), n
        n = min(4096, _grow(n, seconds))


def _server_ok(p: Any, ts: Any) -> tuple[bool, str, bool]:
    """A Server probe passes when it met the constraints with room to spare:
    each bounded p99 under SERVER_TAIL_MARGIN of its bound. Third: hopeless,
    when even the fastest sample took longer than its bound (queueing only
    adds to that, so no lower rate can pass)."""
    checks = []
    if ts.use_token_latencies:
        checks.append(("TTFT", p.first_token, ts.ttft_latency))
        checks.append(("TPOT", p.time_per_output_token, ts.tpot_latency))
    else:
        checks.append(("latency", p.sample_latency, ts.server_target_latency_ns))
    q = float(ts.server_target_latency_percentile)
    parts, ok, hopeless = [], bool(p.perf_constraints_met), False
    for name, stats, bound in checks:
        tail = _pct_ns(stats, q) if stats.count else 0
        ok = ok and tail <= SERVER_TAIL_MARGIN * bound
        hopeless = hopeless or (stats.count > 0 and stats.min_ns > bound)
        parts.append(f"{name} p{q * 100:g} {_ms(tail)}, fastest {_ms(stats.min_ns)} (bound {_ms(bound)})")
    return ok, ", ".join(parts), hopeless


# A short Offline run under equal issue loads fewer samples when padding its
# query to the loaded set would make it last more than this many times its
# minimum duration.
EQUAL_ISSUE_STRETCH = 3.0
# ... and repeats that smaller loaded set when one pass over it, at its own
# measured rate, would last less than this many times the minimum duration.
EQUAL_ISSUE_ONE_PASS = 1.5


def _loaded_set(settings: Any, qsl: Any) -> int:
    """How many samples LoadGen keeps loaded: the override, else the QSL's count."""
    own = int(getattr(qsl, "performance_sample_count", 0) or 0)
    override = int(getattr(settings, "performance_sample_count_override", 0) or 0)
    return override if override > 0 else own


def _equal_issue_offline(
    pr: _Prober,
    out: Sizing,
    settings: Any,
    qsl: Any,
    opts: Any,
    user: dict[str, str],
    samples: int,
    rate: float,
    dur: float,
    kept: Callable[[str, str], None],
) -> tuple[int, float]:
    """The Offline query's real size under equal issue (sample_concatenate_permutation,
    3D-UNet): padded to a multiple of the loaded set. When that padding alone would make
    a short run last far longer than its minimum duration, a short run loads fewer
    samples (performance_sample_count_override); official runs keep the rules' count.

    Returns the query's size and the rate it was sized at. With fewer samples loaded,
    the query repeats those few, whose cost can differ several times from the probe's
    sample (3D-UNet's cases span 1 to 4 patches here, far more in KiTS19): a second
    probe runs the loaded set itself (the same seeds and count load the same samples)
    and the query is sized on its rate."""
    loaded = _loaded_set(settings, qsl)
    if not getattr(settings, "sample_concatenate_permutation", False) or loaded <= 0:
        return samples, rate
    padded = -(-samples // loaded) * loaded
    if padded == samples or opts.official or padded / rate <= EQUAL_ISSUE_STRETCH * max(dur, 1.0):
        return padded, rate
    if "performance_sample_count_override" in user or opts.performance_sample_count:
        kept("the loaded set (equal issue pads the Offline query to a multiple of it)", "yours")
        return padded, rate
    fewer = max(1, min(loaded, samples))
    # For this run only: OUTPUT/user.conf is for official runs, which must load the rules' count.
    out.fields["performance_sample_count_override"] = fewer
    p, wall = pr.run(
        "Offline",
        f"the {fewer} loaded sample(s) once",
        performance_sample_count_override=fewer,
        min_query_count=fewer,
        offline_expected_qps=1.0,
    )
    own = float(p.metric) if p.metric > 0 else p.samples_completed / max(wall, 1e-9)
    pr.records[-1]["samples_per_s"] = round(own, 3)
    need = fewer
    if fewer / own < EQUAL_ISSUE_ONE_PASS * dur:
        # One pass over the loaded samples is too short for min_duration with margin: repeat them
        # (a whole number of passes, as equal issue pads) to OFFLINE_MARGIN x min_duration.
        need = -(-math.ceil(1.1 * dur * OFFLINE_MARGIN * own) // fewer) * fewer
    out.notes.append(
        f"sizing: equal issue pads the Offline query to a multiple of the loaded set ({loaded} samples, "
        f"about {padded / rate:.0f} s here); this short run loads {fewer} instead "
        "(performance_sample_count_override); official runs load the rules' count; "
        f"those {fewer} run at {own:.4g} samples/s, so the query holds {need} samples"
    )
    return need, own


def size_run(
    settings: Any,
    make: Callable[[str], Any],
    sut: Any,
    qsl: Any,
    opts: Any,
    config_model: str,
    workers: int,
    log: Callable[[str], None],
) -> Sizing:
    """Measures ``sut`` and sets ``settings`` (the timed run's TestSettings) for
    ``opts.scenario``; ``make(scenario)`` returns fresh TestSettings of the same
    benchmark for a probe. ``opts.official`` (with ``--qps auto``) sizes only the
    rate and expected latency. Returns what was chosen."""
    t0 = time.monotonic()
    scenario = opts.scenario
    out = Sizing()
    user = _user_keys(config_model, scenario, opts.user_conf)
    given_qps = opts.qps is not None or any(k in user for k in ("server_target_qps", "offline_expected_qps"))

    def kept(what: str, source: str) -> None:
        out.kept.append(f"{what}: {source}")

    pr = _Prober(sut, qsl, make, log)
    log(f"sizing the run: measuring this SUT with short probes ({scenario})")
    try:
        if scenario == "Offline":
            if given_qps:
                kept(
                    "offline_expected_qps", "--qps" if opts.qps is not None else user["offline_expected_qps"]
                )
            else:
                rate, _ = _measure_capacity(pr, workers, settings.min_duration_ms / 1000.0)
                target = OFFLINE_MARGIN * rate
                out.fields["offline_expected_qps"] = target
                out.conf["target_qps"] = f"{target:.6g}"
                dur = settings.min_duration_ms / 1000.0
                samples = max(int(settings.min_query_count), int(1.1 * dur * target), 1)
                samples, run_rate = _equal_issue_offline(
                    pr, out, settings, qsl, opts, user, samples, rate, dur, kept
                )
                if run_rate != rate:
                    # The loaded subset's own rate sizes this run's query; OUTPUT/user.conf keeps
                    # the whole set's, for official runs, which load the rules' count.
                    out.fields["offline_expected_qps"] = (samples + 0.5) / (1.1 * dur)
                out.notes.append(
                    f"sizing: measured {rate:.4g} samples/s; Offline target_qps {target:.4g} "
                    f"({OFFLINE_MARGIN:g} x measured), so the query of {samples} samples lasts about "
                    f"{samples / run_rate:.0f} s here"
                )
        elif scenario in ("SingleStream", "MultiStream") and opts.time_s is not None:
            kept("the run's length", "--time")
        elif scenario in ("SingleStream", "MultiStream"):
            key = (
                "single_stream_expected_latency_ns"
                if scenario == "SingleStream"
                else "multi_stream_expected_latency_ns"
            )
            pct = (
                settings.single_stream_target_latency_percentile
                if scenario == "SingleStream"
                else settings.multi_stream_target_latency_percentile
            )
            mean_ns, _ = _measure_latency(pr, scenario)
            if key in user or (scenario == "MultiStream" and opts.max_latency_s is not None):
                kept(key, user.get(key, "--max-latency"))
            else:
                out.fields[key] = max(1, int(mean_ns))
                out.conf["target_latency"] = f"{mean_ns / 1e6:.6g}"
            if not opts.official:
                need = early_stopping_queries(pct)
                if "min_query_count" in user:
                    kept("min_query_count", user["min_query_count"])
                else:
                    out.fields["min_query_count"] = max(need, int(settings.min_query_count))
                expect_s = max(settings.min_duration_ms / 1000.0, need * mean_ns / 1e9)
                out.notes.append(
                    f"sizing: {scenario} latency {_ms(mean_ns)} per query; early stopping at the "
                    f"{pct * 100:g}th percentile needs at least {need} queries, so the run issues at least "
                    f"{need} (about {expect_s:.0f} s here)"
                )
        else:  # Server
            _size_server(out, pr, settings, opts, user, given_qps, workers, kept)
    finally:
        pr.close()
    for k, v in out.fields.items():
        setattr(settings, k, v)
    out.probes = pr.records
    out.seconds = time.monotonic() - t0
    for k in out.kept:
        out.notes.append(f"sizing: kept the value you gave for {k}")
    log(f"sizing: {len(pr.records)} probe(s), {out.seconds:.1f} s")
    return out


def _size_server(
    out: Sizing,
    pr: _Prober,
    settings: Any,
    opts: Any,
    user: dict[str, str],
    given_qps: bool,
    workers: int,
    kept: Callable[[str, str], None],
) -> None:
    pct = float(settings.server_target_latency_percentile)
    if given_qps:
        kept("server_target_qps", "--qps" if opts.qps is not None else user["server_target_qps"])
        rate = float(settings.server_target_qps)
    else:
        capacity, offline = _measure_capacity(pr, workers, float("inf"))
        rate = SERVER_START * capacity
        verdict = ""
        # A batch of k samples takes no longer than k single ones, so the Offline
        # probe's fastest sample (its worker's first batch, of at most max_bs)
        # / max_bs estimates one sample's time from below. At 1.5 x the bound
        # no rate can pass, and no Server probe is needed to say so.
        max_bs = max(1, int(opts.max_batchsize or 1))
        floor_ns = offline.sample_latency.min_ns / max_bs
        if not settings.use_token_latencies and floor_ns > HOPELESS * settings.server_target_latency_ns:
            out.impossible = (
                f"Server cannot be VALID on this SUT: one sample takes at least {_ms(floor_ns)} (the fastest "
                f"of an Offline probe, {_ms(offline.sample_latency.min_ns)} in a batch of up to {max_bs}), "
                f"over the {_ms(settings.server_target_latency_ns)} bound"
                f"{_demo(offline.sample_latency.min_ns)}"
            )
            out.fields["server_target_qps"] = rate
            out.notes.append(
                f"sizing: measured capacity {capacity:.4g} samples/s; Server target_qps {rate:.4g}"
            )
            return
        capped = queueing.capped_rate(
            settings, offline, capacity, rate, floor_ns, SERVER_TAIL_MARGIN, SERVER_PROBE_S
        )
        if capped is not None:
            rate = capped[0]
            out.notes.append(capped[1])
        for i in range(SERVER_TRIES):
            queries = int(max(10, min(600, rate * SERVER_PROBE_S)))
            p, _ = pr.run(
                "Server",
                f"{queries} queries at {rate:.4g}/s",
                server_target_qps=rate,
                min_query_count=queries,
                max_query_count=queries,
            )
            ok, verdict, hopeless = _server_ok(p, settings)
            pr.records[-1].update(target_qps=round(rate, 4), passed=ok, tail=verdict)
            if ok:
                break
            if hopeless or i == SERVER_TRIES - 1:
                light = p.first_token if settings.use_token_latencies else p.sample_latency
                demo = "" if settings.use_token_latencies else _demo(_pct_ns(light, 0.99))
                out.impossible = (
                    f"Server cannot be VALID on this SUT: even at {rate:.3g} queries/s "
                    f"({rate / capacity:.3g} of its measured capacity of {capacity:.3g}/s) a sample takes "
                    f"{_ms(light.mean_ns)} on average and {verdict}{demo}"
                )
                break
            rate /= 2
        out.fields["server_target_qps"] = rate
        out.conf["target_qps"] = f"{rate:.6g}"
        out.notes.append(
            f"sizing: measured capacity {capacity:.4g} samples/s; Server target_qps {rate:.4g} ({verdict})"
        )
    if opts.official or out.impossible:
        return
    if opts.time_s is not None:
        kept("the run's length", "--time")
        return
    if "min_query_count" in user:
        kept("min_query_count", user["min_query_count"])
        return
    need = 1000 if 1000 / rate <= SERVER_BUDGET_S else early_stopping_queries(pct, 1)
    out.fields["min_query_count"] = max(need, int(settings.min_query_count))
    out.notes.append(
        f"sizing: early stopping at the {pct * 100:g}th percentile needs at least "
        f"{early_stopping_queries(pct, 0)} queries with none over the bound; the run issues at least "
        f"{need} (about {max(settings.min_duration_ms / 1000.0, need / rate):.0f} s at {rate:.4g}/s)"
    )


def write_user_conf(path: str, config_model: str, scenario: str, sizing: Sizing) -> None:
    """OUTPUT/user.conf: the measured values, for ``--user-conf PATH --official``."""
    lines = [
        "# user.conf written by the harness's measured sizing (python/loadgen/harness/sizing.py).",
        f"# The values a short {scenario} run measured on this machine; reuse them with",
        f"#   --user-conf {path} --official",
    ]
    lines += [f"{config_model}.{scenario}.{k} = {v}" for k, v in sizing.conf.items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
