"""HTML reports of LoadGen runs: ``python -m loadgen report RUN_DIR [RUN_DIR ...] -o report.html``.

One run folder gives the single-run report; several give a comparison. The
file is self-contained (its chart renderer, ``lgchart``, inlined once;
nothing is fetched) and reads only LoadGen's logs
(``mlperf_log_summary.json``, ``mlperf_log_trace.json``) plus, for context,
``accuracy.txt`` and the harness's ``results.json``. See docs/reports.md.

The charts are drawn by ``lgchart`` (``lgchart_*.js``), about 25 kB of this
package's own JavaScript, as SVG in the page: no chart library to install, and a report of
any run stays well under 1.5 MB (plotly.js alone, inlined, was 4.8 MB).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .page import comparison_page, single_run_page
from .rundata import RunData, RunDataError, load_run

__all__ = [
    "MAX_REPORT_BYTES",
    "RunData",
    "RunDataError",
    "chart_js",
    "load_run",
    "main",
    "render",
    "write_report",
]

# Issue 30: a report of a run of up to 100,000 queries (and, since the charts
# are bounded, of any run) is at most this big.
MAX_REPORT_BYTES = 1_500_000


# The chart renderer's files beside this one, in the order they run; their
# header (lgchart_axes.js) documents the figure format.
LGCHART_PARTS = ("lgchart_axes.js", "lgchart_series.js", "lgchart_interaction.js")


def chart_js() -> str:
    """The chart renderer every report inlines: one script, the ``LGCHART_PARTS``
    in order inside one function (they share its scope), strict mode."""
    parts = [Path(__file__).with_name(name).read_text(encoding="utf-8") for name in LGCHART_PARTS]
    return "(function () {\n  'use strict';\n" + "\n".join(parts) + "})();\n"


def render(runs: Sequence[RunData], js: str | None = None) -> str:
    """The report's HTML for one run (single-run report) or several
    (comparison). ``js``: the chart script to inline (default: ``chart_js()``)."""
    if not runs:
        raise ValueError("a report needs at least one run folder")
    js = chart_js() if js is None else js
    return single_run_page(runs[0], js) if len(runs) == 1 else comparison_page(runs, js)


def write_report(run_dirs: Sequence[str | Path], out: str | Path) -> Path:
    """Read the run folders and write the report to ``out``; returns its path."""
    runs = [load_run(d) for d in run_dirs]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(render(runs), encoding="utf-8")
    tmp.replace(out)
    return out


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("runs", nargs="+", metavar="RUN_DIR", help="folders holding mlperf_log_summary.json")
    ap.add_argument(
        "-o", "--output", default="report.html", help="the HTML file to write (default report.html)"
    )


def run_from_args(args: argparse.Namespace) -> int:
    try:
        out = write_report(args.runs, args.output)
    except (RunDataError, OSError) as e:
        print(f"python -m loadgen report: error: {e}", file=sys.stderr)
        return 2
    size = out.stat().st_size
    kind = "report" if len(args.runs) == 1 else f"comparison of {len(args.runs)} runs"
    print(f"wrote {out} ({kind}, {size / 1e6:.1f} MB)")
    return 0


DESCRIPTION = "Write one self-contained HTML report of a LoadGen run, or a comparison of several runs."


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadgen report", description=DESCRIPTION)
    add_arguments(ap)
    return run_from_args(ap.parse_args(argv))
