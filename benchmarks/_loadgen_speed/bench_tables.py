"""What bench.py derives from its runs (ratios, memory per sample, the
highest VALID Server target, the targets of docs/performance.md) and the
Markdown tables it prints."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from bench_cases import ALL_IMPLS, IMPL_LABELS, Case, Run, Sizes

# ---------------------------------------------------------------------------
# Derived figures.


def _primary(run: Run) -> float:
    c = run.case
    if c.scenario == "Offline":
        return run.samples_per_s or 0.0
    if c.scenario == "Server":
        return run.completed_sps or 0.0
    return run.qps or 0.0


def pick(runs: list[Run]) -> dict[Case, Run]:
    """One run per case: the median by the case's main figure (repeats > 1)."""
    by_case: dict[Case, list[Run]] = {}
    for r in runs:
        by_case.setdefault(r.case, []).append(r)
    chosen = {}
    for case, rs in by_case.items():
        good = sorted((r for r in rs if r.ok), key=_primary) or rs
        chosen[case] = good[(len(good) - 1) // 2]
    return chosen


def _ratio(ours: float | None, ref: float | None) -> float | None:
    return ours / ref if ours is not None and ref else None


@dataclasses.dataclass
class Target:
    name: str
    value: float | None
    unit: str  # "x" (a ratio ours/ref) or the unit of an absolute figure
    bound: float
    higher_is_better: bool = True
    at_least: bool = False  # the value is a lower bound (nothing above it was tried)

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.bound if self.higher_is_better else self.value <= self.bound


def derive(chosen: dict[Case, Run], sizes: Sizes) -> dict[str, Any]:
    def get(impl: str, scenario: str, size: int, sut: str = "sync") -> Run | None:
        r = chosen.get(Case(impl, scenario, sut, size))
        return r if r is not None and r.ok else None

    def field(impl: str, scenario: str, size: int, name: str, sut: str = "sync") -> float | None:
        r = get(impl, scenario, size, sut)
        return getattr(r, name) if r else None

    n_lo, n_hi = sizes.offline_samples[-2], sizes.offline_samples[-1]
    bytes_per_sample = {}
    for impl in ALL_IMPLS:
        lo, hi = get(impl, "Offline", n_lo), get(impl, "Offline", n_hi)
        if lo and hi:
            bytes_per_sample[impl] = (hi.peak_rss_mib - lo.peak_rss_mib) * 2**20 / (n_hi - n_lo)

    highest_valid: dict[str, int | None] = {}
    for impl in ALL_IMPLS:
        for sut in ("sync", "thread"):
            targets = sorted(
                {c.size for c in chosen if c.impl == impl and c.scenario == "Server" and c.sut == sut}
            )
            if not targets:
                continue
            valid = [t for t in targets if (r := get(impl, "Server", t, sut)) and r.valid]
            highest_valid[f"{impl}/{sut}"] = max(valid) if valid else None

    def lowest_offline(impl: str, relative_to_ref: bool) -> float | None:
        """The lowest samples/s (or ratio to ref) over the Offline sizes but the
        smallest, whose wall time is mostly the fixed cost of a test (files,
        logs); None if one is missing."""
        vals = []
        for n in sizes.offline_samples[1:]:
            v = field(impl, "Offline", n, "samples_per_s")
            if relative_to_ref:
                v = _ratio(v, field("ref", "Offline", n, "samples_per_s"))
            if v is None:
                return None
            vals.append(v)
        return min(vals)

    def topped_out(key: str) -> bool:
        best = highest_valid.get(key)
        return best is not None and best == server_tried.get(key)

    server_tried = {
        f"{c.impl}/{c.sut}": max(
            c2.size for c2 in chosen if (c2.impl, c2.scenario, c2.sut) == (c.impl, "Server", c.sut)
        )
        for c in chosen
        if c.scenario == "Server"
    }
    ss = sizes.single_stream_ms
    big = fmt_count(sizes.offline_samples[1])
    target_list = [
        Target(
            f"Offline samples/s, compatible API (lowest, N ≥ {big})", lowest_offline("ours", True), "x", 1.5
        ),
        Target(f"Offline samples/s, fast path (lowest, N ≥ {big})", lowest_offline("fast", True), "x", 10),
        Target(
            "SingleStream queries/s, compatible API",
            _ratio(field("ours", "SingleStream", ss, "qps"), field("ref", "SingleStream", ss, "qps")),
            "x",
            1.5,
        ),
        Target(
            "Highest VALID Server target, Python null SUT (sync)",
            _ratio(highest_valid.get("ours/sync"), highest_valid.get("ref/sync")),
            "x",
            2,
            at_least=topped_out("ours/sync"),
        ),
        Target(
            "Memory per sample, compatible API (ours/ref)",
            _ratio(bytes_per_sample.get("ours"), bytes_per_sample.get("ref")),
            "x",
            0.5,
            False,
        ),
        Target("LoadGen state per sample (native Offline)", bytes_per_sample.get("native"), "B", 32, False),
        Target(
            "Native C++ Server, highest VALID target",
            highest_valid.get("native/sync"),
            "qps",
            1e6,
            at_least=topped_out("native/sync"),
        ),
        Target(
            f"Native C++ Offline samples/s (lowest, N ≥ {big})", lowest_offline("native", False), "/s", 1e7
        ),
    ]
    return {
        "offline_samples_per_s": {
            i: {str(n): field(i, "Offline", n, "samples_per_s") for n in sizes.offline_samples}
            for i in ALL_IMPLS
        },
        "single_stream_qps": {i: field(i, "SingleStream", ss, "qps") for i in ALL_IMPLS},
        "multi_stream_qps": {i: field(i, "MultiStream", sizes.multi_stream_ms, "qps") for i in ALL_IMPLS},
        "offline_bytes_per_sample": bytes_per_sample,
        "offline_bytes_per_sample_between": [n_lo, n_hi],
        "server_highest_valid_qps": highest_valid,
        "server_highest_target_tried": server_tried,
        "targets": [dataclasses.asdict(t) | {"met": t.met} for t in target_list],
    }


# ---------------------------------------------------------------------------
# Rendering.


def fmt_count(x: float | None) -> str:
    if x is None:
        return "-"
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def fmt_ns(x: float | None) -> str:
    if x is None:
        return "-"
    for div, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if x >= div:
            return f"{x / div:.3g} {unit}"
    return f"{x:.0f} ns"


def fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def render(chosen: dict[Case, Run], derived: dict[str, Any], sizes: Sizes, impls: list[str]) -> str:
    def get(impl: str, scenario: str, size: int, sut: str = "sync") -> Run | None:
        return chosen.get(Case(impl, scenario, sut, size))

    others = [i for i in impls if i != "ref"]
    out: list[str] = []

    def section(title: str, body: str) -> None:
        out.extend([f"### {title}", "", body, ""])

    def cell(r: Run | None, value: Callable[[Run], str]) -> str:
        if r is None:
            return "-"
        return value(r) if r.ok else "failed"

    # Offline.
    if any(c.scenario == "Offline" for c in chosen):
        header = ["N", *(IMPL_LABELS[i] for i in impls)] + [
            f"{IMPL_LABELS[i]} / ref" for i in others if "ref" in impls
        ]
        rows = []
        for n in sizes.offline_samples:
            ref = get("ref", "Offline", n)
            row = [fmt_count(n)] + [
                cell(get(i, "Offline", n), lambda r: fmt_count(r.samples_per_s)) for i in impls
            ]
            if "ref" in impls:
                row += [
                    fmt_ratio(
                        _ratio(
                            r.samples_per_s if (r := get(i, "Offline", n)) and r.ok else None,
                            ref.samples_per_s if ref and ref.ok else None,
                        )
                    )
                    for i in others
                ]
            rows.append(row)
        section("Offline: samples/s (N / wall time of StartTest)", table(header, rows))

        header = ["N", *(IMPL_LABELS[i] for i in impls)]
        rows = [
            [fmt_count(n)] + [cell(get(i, "Offline", n), lambda r: f"{r.peak_rss_mib:.0f}") for i in impls]
            for n in sizes.offline_samples
        ]
        bps = derived["offline_bytes_per_sample"]
        lo, hi = derived["offline_bytes_per_sample_between"]
        rows.append(
            [f"B/sample {fmt_count(lo)}→{fmt_count(hi)}"]
            + [f"{bps[i]:.0f}" if i in bps else "-" for i in impls]
        )
        section("Offline: peak RSS (MiB), and its growth per sample", table(header, rows))

    # SingleStream and MultiStream.
    rows = []
    for scenario, size in (("SingleStream", sizes.single_stream_ms), ("MultiStream", sizes.multi_stream_ms)):
        ref = get("ref", scenario, size)
        for i in impls:
            r = get(i, scenario, size)
            if r is None:
                continue
            ratio = _ratio(r.qps, ref.qps) if r.ok and ref and ref.ok and i != "ref" else None
            rows.append(
                [
                    scenario,
                    IMPL_LABELS[i],
                    cell(r, lambda r: fmt_count(r.qps)),
                    fmt_ratio(ratio),
                    cell(r, lambda r: fmt_ns(r.p99_ns)),
                    cell(r, lambda r: "VALID" if r.valid else "INVALID"),
                ]
            )
    if rows:
        section(
            f"SingleStream ({sizes.single_stream_ms} ms) and MultiStream ({sizes.multi_stream_ms} ms, "
            "8 samples/query): queries/s from first issue to last completion; p99 latency (MultiStream: per query)",
            table(["scenario", "implementation", "queries/s", "vs ref", "p99", "result"], rows),
        )

    # Server.
    rows = []
    server_cases = sorted({(c.sut, c.size) for c in chosen if c.scenario == "Server"})
    for sut, qps in server_cases:
        for i in impls:
            r = get(i, "Server", qps, sut)
            if r is None:
                continue
            rows.append(
                [
                    fmt_count(qps),
                    sut,
                    IMPL_LABELS[i],
                    cell(r, lambda r: "VALID" if r.valid else "INVALID"),
                    cell(r, lambda r: fmt_count(r.completed_sps)),
                    cell(r, lambda r: fmt_ns(r.p99_ns)),
                    cell(
                        r, lambda r: fmt_ns(r.issue_lag_p99_ns) if r.issue_lag_p99_ns is not None else "n/a"
                    ),
                ]
            )
    if rows:
        section(
            f"Server ({sizes.server_ms} ms per target): verdict, completed samples/s, p99 latency, p99 issue lag",
            table(
                [
                    "target qps",
                    "SUT",
                    "implementation",
                    "result",
                    "completed/s",
                    "p99 latency",
                    "p99 issue lag",
                ],
                rows,
            ),
        )
        hv = derived["server_highest_valid_qps"]
        rows = []
        for sut in ("sync", "thread"):
            ref_best = hv.get(f"ref/{sut}")
            for i in impls:
                key = f"{i}/{sut}"
                if key in hv:
                    best = hv[key]
                    ratio = _ratio(best, ref_best) if i != "ref" else None
                    shown = fmt_count(best) if best else "none"
                    if best and best == derived["server_highest_target_tried"].get(key):
                        shown += " (every target tried)"
                    rows.append([sut, IMPL_LABELS[i], shown, fmt_ratio(ratio)])
        section(
            "Server: highest VALID target",
            table(["SUT", "implementation", "highest VALID qps", "vs ref"], rows),
        )

    if "base" in impls:
        section(
            f"This tree against {IMPL_LABELS['base'].removeprefix('loadgen ')}: each figure's ratio to the "
            "reference in the same run, and this tree over the other",
            against_table(chosen, derived, sizes),
        )

    rows = []
    for t in derived["targets"]:
        bound = f"{'≥' if t['higher_is_better'] else '≤'} {fmt_count(t['bound'])}{'x' if t['unit'] == 'x' else ' ' + t['unit']}"
        value = (
            "-"
            if t["value"] is None
            else (fmt_ratio(t["value"]) if t["unit"] == "x" else f"{fmt_count(t['value'])} {t['unit']}")
        )
        if t["at_least"] and t["value"] is not None:
            value = "≥ " + value  # VALID at every target tried
        met = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        rows.append([t["name"], value, bound, met])
    section("Targets", table(["target", "measured", "bound", ""], rows))
    return "\n".join(out)


def against_table(chosen: dict[Case, Run], derived: dict[str, Any], sizes: Sizes) -> str:
    """The compatible API of this tree (ours) and of the --against build (base), side by side."""

    def ok(impl: str, scenario: str, size: int, sut: str = "sync") -> Run | None:
        r = chosen.get(Case(impl, scenario, sut, size))
        return r if r is not None and r.ok else None

    rows = []
    for n in sizes.offline_samples:
        figs = {i: (r.samples_per_s if (r := ok(i, "Offline", n)) else None) for i in ("ref", "ours", "base")}
        if any(v is not None for v in figs.values()):
            rows.append(_against_row(f"Offline {fmt_count(n)}: samples/s", figs))
    for scenario, size in (("SingleStream", sizes.single_stream_ms), ("MultiStream", sizes.multi_stream_ms)):
        figs = {i: (r.qps if (r := ok(i, scenario, size)) else None) for i in ("ref", "ours", "base")}
        if any(v is not None for v in figs.values()):
            rows.append(_against_row(f"{scenario}: queries/s", figs))
    hv = derived["server_highest_valid_qps"]
    for sut in ("sync", "thread"):
        figs = {i: hv.get(f"{i}/{sut}") for i in ("ref", "ours", "base")}
        if any(v is not None for v in figs.values()):
            rows.append(_against_row(f"Server ({sut}): highest VALID qps", figs))
    bps = derived["offline_bytes_per_sample"]
    mem = {i: bps.get(i) for i in ("ref", "ours", "base")}
    rows.append(
        [
            "Offline: bytes per sample (lower is better)",
            *(f"{v:.0f}" if v is not None else "-" for v in mem.values()),
            fmt_ratio(_ratio(mem["ref"], mem["ours"])),
            fmt_ratio(_ratio(mem["ref"], mem["base"])),
            fmt_ratio(_ratio(mem["base"], mem["ours"])),
        ]
    )
    header = ["figure", "reference", "loadgen (this tree)", IMPL_LABELS["base"], "this / ref", "base / ref"]
    return table([*header, "this / base"], rows)


def _against_row(name: str, figs: dict[str, float | None]) -> list[str]:
    ref, ours, base = figs["ref"], figs["ours"], figs["base"]
    return [
        name,
        fmt_count(ref),
        fmt_count(ours),
        fmt_count(base),
        fmt_ratio(_ratio(ours, ref)),
        fmt_ratio(_ratio(base, ref)),
        fmt_ratio(_ratio(ours, base)),
    ]
