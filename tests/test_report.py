"""HTML reports (python -m loadgen report): the numbers they read, and that
they render in a real browser with every network request blocked.

The browser tests drive Debian's chromium through its chromedriver (no
browser download). They skip only outside CI when chromium is missing; in CI
(``CI`` set) a missing browser fails them. Screenshots of each report kind go
to ``$LOADGEN_TEST_ARTIFACTS`` (default ``build/test-artifacts``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from lg_helpers import skip_for_system_piece

lg = pytest.importorskip("loadgen")

from loadgen import report as lg_report
from loadgen.report import charts, page, rundata

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("LOADGEN_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))


class QSL(lg.QuerySampleLibrary):
    total_sample_count = performance_sample_count = 256


def _run(outdir: Path, settings: lg.TestSettings, sut: lg.SystemUnderTest) -> Path:
    ls = lg.LogSettings()
    ls.log_output.outdir = str(outdir)
    ls.enable_trace = True
    lg.run_test(sut, QSL(), settings, ls)
    return outdir


class WorkerSUT(lg.SystemUnderTest):
    """Two worker threads; every 50th sample is slow (a tail to see)."""

    def __init__(self) -> None:
        import queue

        self.q: queue.Queue = queue.Queue()
        self.threads = [threading.Thread(target=self.work) for _ in range(2)]
        for t in self.threads:
            t.start()

    def work(self) -> None:
        import time

        while (samples := self.q.get()) is not None:
            for s in samples:
                time.sleep(0.004 if s.index % 50 == 0 else 0.0002)
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])

    def issue_queries(self, samples: list) -> None:
        self.q.put(samples)

    def close(self) -> None:
        for _ in self.threads:
            self.q.put(None)
        for t in self.threads:
            t.join()


def server_settings(qps: float = 400, duration_ms: int = 1000, seed: int | None = None) -> lg.TestSettings:
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Server
    s.server_target_qps = qps
    s.server_target_latency_ns = 50_000_000
    s.min_duration_ms = duration_ms
    s.min_query_count = 100
    if seed is not None:
        s.schedule_rng_seed = seed
    return s


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    out: dict[str, Path] = {}
    sut = WorkerSUT()
    try:
        out["server"] = _run(base / "server", server_settings(), sut)
        out["server_b"] = _run(base / "server_b", server_settings(qps=300, seed=7), sut)
        ss = lg.TestSettings()
        ss.scenario = lg.TestScenario.SingleStream
        ss.min_duration_ms = 200
        ss.min_query_count = 100
        out["single_stream"] = _run(base / "single_stream", ss, sut)
        ms = lg.TestSettings()
        ms.scenario = lg.TestScenario.MultiStream
        ms.min_duration_ms = 200
        ms.min_query_count = 60
        out["multi_stream"] = _run(base / "multi_stream", ms, sut)
    finally:
        sut.close()

    class TokenSUT(lg.SystemUnderTest):  # answers inline: first token, then 8 tokens in all
        def issue_queries(self, samples: list) -> None:
            lg.FirstTokenComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])
            lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0, 8) for s in samples])

    ts = lg.TestSettings()
    ts.scenario = lg.TestScenario.SingleStream
    ts.min_duration_ms = 300
    ts.min_query_count = 200
    ts.use_token_latencies = True
    out["tokens"] = _run(base / "tokens", ts, TokenSUT())

    # More samples than the trace keeps (100,000 a phase): the report must say it works from a sample.
    big = lg.TestSettings()
    big.scenario = lg.TestScenario.Offline
    big.min_query_count = 150_000
    big.min_duration_ms = 1
    big.offline_expected_qps = 1

    def issue(ids: np.ndarray, indices: np.ndarray) -> None:
        lg.complete_samples(ids)

    out["big"] = _run(base / "big", big, lg.ConstructNumpySUT(issue, lambda: None))

    # The largest report: every sample of the phase on the latency-over-time scatter (MAX_POINTS).
    most = server_settings(qps=200_000, duration_ms=int(charts.MAX_POINTS / 200))
    most.min_query_count = most.max_query_count = charts.MAX_POINTS
    out["most_points"] = _run(base / "most_points", most, lg.ConstructNumpySUT(issue, lambda: None))
    return out


# --- What the report reads.


def test_trace_percentiles_equal_the_summary_when_every_sample_is_traced(runs: dict[str, Path]) -> None:
    run = rundata.load_run(runs["server"])
    assert run.samples is not None and run.samples.every == 1
    lat = np.sort(run.samples.latency_ns[run.samples.completed])
    pct = run.perf["sample_latency"]["percentiles"]
    for key, value in pct.items():
        assert int(charts.mlperf_percentile(lat, float(key) / 100)) == value, key


def test_large_run_is_read_from_a_sampled_trace_and_says_so(runs: dict[str, Path]) -> None:
    run = rundata.load_run(runs["big"])
    assert run.samples is not None
    assert run.samples.total == 150_000 and run.samples.every >= 2
    assert len(run.samples.latency_ns) <= 100_000
    html = lg_report.render([run], js="")
    assert f"kept 1 of every {run.samples.every} samples" in html


def test_short_run_and_synthetic_data_are_labelled(runs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "run"
    shutil.copytree(runs["server"], folder)
    (folder / "results.json").write_text(
        json.dumps(
            {
                "benchmark": "ResNet50-v1.5",
                "backend": "onnxruntime",
                "official": False,
                "notes": ["data: the embedded synthetic data set (64 images)"],
            }
        )
    )
    html = lg_report.render([rundata.load_run(folder)], js="")
    assert "SHORT RUN" in html and "SYNTHETIC DATA" in html and "ResNet50-v1.5" in html


def test_text_summary_gives_the_verdict_and_every_reason(runs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "invalid"
    shutil.copytree(runs["server"], folder)
    summary = json.loads((folder / rundata.SUMMARY_JSON).read_text())
    summary["performance"][-1]["result"] = "INVALID"
    summary["performance"][-1]["invalid_reasons"] = [
        "99th percentile latency above the bound",
        "too few queries",
    ]
    (folder / rundata.SUMMARY_JSON).write_text(json.dumps(summary))
    text = page.text_summary(rundata.load_run(folder))
    assert "result INVALID because 99th percentile latency above the bound; too few queries" in text


def test_comparison_flags_mismatched_settings(runs: dict[str, Path]) -> None:
    a, b = rundata.load_run(runs["server"]), rundata.load_run(runs["server_b"])
    flags = page.mismatches([a, b])
    assert any(f.startswith("target_qps differs") for f in flags)
    assert any(f.startswith("schedule_rng_seed differs") for f in flags)
    assert page.mismatches([a, a]) == []
    html = lg_report.render([a, b], js="")
    assert "compare with care" in html and "ratio" in html


def test_token_run_gets_ttft_and_tpot_charts(runs: dict[str, Path]) -> None:
    run = rundata.load_run(runs["tokens"])
    assert run.samples is not None and run.samples.first_token_ns is not None  # per sample, from the trace
    assert (run.samples.token_count == 8).all() and (run.samples.first_token_ns >= 0).all()
    ids = [fig_id for fig_id, _, _ in charts.single_run_figures(run)]
    assert "ttft" in ids and "tpot" in ids


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no mlperf_log_summary.json"),
        (lambda p: (p / "mlperf_log_summary.json").write_text("{\n  oops"), "mlperf_log_summary.json:2"),
        (lambda p: (p / "mlperf_log_summary.json").write_text('{"x": 1}'), "not a loadgen.summary"),
    ],
)
def test_bad_run_folder_is_a_clear_error(tmp_path: Path, make, message: str) -> None:
    make(tmp_path)
    with pytest.raises(rundata.RunDataError, match=message.replace(".", r"\.")):
        rundata.load_run(tmp_path)


def test_cli_writes_the_report_and_rejects_a_missing_folder(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    cmd = [sys.executable, "-m", "loadgen", "report", str(runs["server"]), "-o", str(out)]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.is_file() and "wrote" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "loadgen", "report", str(tmp_path / "nope")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "not a folder" in bad.stderr


def test_chart_script_is_inlined_once(runs: dict[str, Path]) -> None:
    html = lg_report.render([rundata.load_run(runs["server"]), rundata.load_run(runs["server_b"])])
    assert html.count("<script>") == 2  # lgchart.js, then the drawing code
    assert "src=" not in html.split("<script type='application/json'")[1].split("</script>")[0]
    assert html.count(lg_report.chart_js()[:200]) == 1


# --- Size, units, n/a (issue 30).


@pytest.mark.parametrize(
    "folders",
    [["server"], ["single_stream"], ["tokens"], ["big"], ["most_points"], ["server", "most_points"]],
)
def test_report_is_at_most_1_5_mb(runs: dict[str, Path], tmp_path: Path, folders: list[str]) -> None:
    out = lg_report.write_report([runs[f] for f in folders], tmp_path / "r.html")
    assert out.stat().st_size <= lg_report.MAX_REPORT_BYTES, out.stat().st_size


def test_the_scatter_at_its_largest_keeps_every_sample(runs: dict[str, Path]) -> None:
    run = rundata.load_run(runs["most_points"])
    assert run.samples is not None and len(run.samples.latency_ns) == charts.MAX_POINTS
    figs = {fig_id: fig for fig_id, _, fig in charts.single_run_figures(run)}
    (scatter,) = figs["latency-over-time"]["series"]
    assert scatter["kind"] == "points" and len(scatter["x"]) == charts.MAX_POINTS


def test_a_run_past_the_scatter_limit_is_binned_to_a_fixed_grid(runs: dict[str, Path]) -> None:
    run = rundata.load_run(runs["big"])
    figs = {fig_id: fig for fig_id, _, fig in charts.single_run_figures(run)}
    (heat,) = figs["latency-over-time"]["series"]
    assert heat["kind"] == "heatmap"
    assert len(heat["z"]) == charts.VALUE_BINS and {len(r) for r in heat["z"]} == {charts.TIME_BINS}
    assert len(heat["x"]) == charts.TIME_BINS + 1 and len(heat["y"]) == charts.VALUE_BINS + 1
    counted = sum(c for row in heat["z"] for c in row if c)
    assert counted == len(run.samples.latency_ns) * run.samples.every


@pytest.mark.parametrize(
    "ns, text",
    [
        (156_022_061, "156.022"),
        (12_345, "0.01235"),
        (999_400, "0.9994"),
        (999_999, "1.000"),
        (2_000, "0.002000"),
        (0, "0"),
    ],
)
def test_latencies_are_milliseconds_with_the_digits_they_need(ns: int, text: str) -> None:
    assert charts.ms_text(ns) == text


def test_metric_is_named_as_the_rules_name_it_in_ms() -> None:
    ss = {"metric_name": "90.0th percentile latency (ns)", "metric": 156022061.0}
    assert page.metric_text(ss, "SingleStream") == "90th percentile latency (ms): 156.022"
    ms = {"metric_name": "99.0th percentile latency (ns)", "metric": 2.5e6}
    assert page.metric_text(ms, "MultiStream") == "99th percentile query latency (ms): 2.500"
    pp = {"metric_name": "99.9th percentile latency (ns)", "metric": 1e6}
    assert page.metric_name(pp, "SingleStream") == "99.9th percentile latency (ms)"
    server = {"metric_name": "Completed samples per second", "metric": 401.234}
    assert page.metric_text(server, "Server") == "Completed samples per second: 401.23"


# What the rules and LoadGen's summary say each scenario has: a figure of
# another scenario must read n/a there (LoadGen writes 0 in its place).
SCENARIO_ONLY = {
    "completed_samples_per_sec": "Server",
    "scheduled_samples_per_sec": "Server",
    "overlatency_query_count": "Server",
    "perf_constraints_met": "Server",
    "final_query_scheduled_s": "Server",
    "samples_per_sec": "Offline",
    "qps_with_loadgen_overhead": "SingleStream",
    "qps_without_loadgen_overhead": "SingleStream",
    "early_stopping_latency_ss_ns": "SingleStream",
}


def _result_table(html: str) -> dict[str, str]:
    import re

    table = html.split("<table id='result'>")[1].split("</table>")[0]
    rows = re.findall(r"<tr data-key='([^']+)'>(.*?)</tr>", table)
    return {key: re.findall(r"<td[^>]*>(.*?)</td>", cells)[1] for key, cells in rows}


@pytest.mark.parametrize("kind", ["single_stream", "multi_stream", "server", "big"])
def test_figures_that_do_not_apply_read_na_not_0(runs: dict[str, Path], kind: str) -> None:
    run = rundata.load_run(runs[kind])
    values = _result_table(lg_report.render([run], js=""))
    assert set(SCENARIO_ONLY) <= set(values)
    for key, scenario in SCENARIO_ONLY.items():
        if scenario == run.scenario:
            assert values[key] != "n/a", key
        else:
            assert values[key] == "n/a", (key, values[key])
    if run.scenario == "Offline":
        assert values["early_stopping_met"] == "n/a"
    else:
        assert values["early_stopping_met"] in ("yes", "NO")


@pytest.mark.parametrize("kind", ["single_stream", "server"])
def test_the_early_stopping_estimates_name_their_percentiles(runs: dict[str, Path], kind: str) -> None:
    html = lg_report.render([rundata.load_run(runs[kind])], js="")
    assert "early-stopping 90th percentile latency estimate (ms)" in html
    assert "early-stopping 99th percentile latency estimate (ms)" in html


def test_early_stopping_is_one_text_block_with_its_figures_in_ms(runs: dict[str, Path]) -> None:
    run = rundata.load_run(runs["single_stream"])
    lines = run.perf["early_stopping"]
    assert len(lines) >= 2
    html = lg_report.render([run], js="")
    block = html.split("<h2>Early stopping</h2>")[1].split("</pre>")[0]
    assert block.count("<pre class='textblock'>") == 1 and "<tr" not in block
    assert block.count("\n") == len(lines) - 1
    est = run.perf["early_stopping_latency_ss_ns"]
    assert f"<span title='{est} ns'>{charts.ms_text(est)} ms</span>" in block


# --- In a real browser, offline.


def _browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver (Debian) are needed for the report tests in CI")
        skip_for_system_piece("chromium and chromedriver", "apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,900"):
        opts.add_argument(arg)
    opts.add_argument("--host-resolver-rules=MAP * ~NOTFOUND")  # no name resolves: nothing leaves the machine
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(driver), options=opts)
    drv.execute_cdp_cmd("Network.enable", {})
    drv.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
    drv.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.__errors=[];addEventListener('error',e=>__errors.push(String(e.message)));"},
    )
    return drv


@pytest.fixture(scope="module")
def browser():
    drv = _browser()
    yield drv
    drv.quit()


CHART_STATE = """
return Array.from(document.querySelectorAll('div.chart')).map(function(d){
  var spec = JSON.parse(document.getElementById('figures').textContent).find(function(s){return s.id===d.id;});
  return {id: d.id, svg: d.querySelectorAll('svg.lgchart-svg').length,
          drawn: +(d.dataset.series || 0), marks: +(d.dataset.marks || 0),
          wanted: spec ? spec.figure.series.length : -1, y: spec ? spec.figure.y.title : ''};
});
"""


def _open(browser, path: Path, shot: str | None = None) -> tuple[list[dict], list[str]]:
    browser.get(path.resolve().as_uri())
    state = browser.execute_script(CHART_STATE)
    errors = list(browser.execute_script("return window.__errors"))
    errors += [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    if shot:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        height = browser.execute_script("return document.body.scrollHeight")
        browser.set_window_size(1200, min(int(height) + 100, 12000))
        browser.save_screenshot(str(ARTIFACTS / shot))
        browser.set_window_size(1200, 900)
    return state, errors


@pytest.mark.parametrize(
    "kind, folders",
    [
        ("single", ["server"]),
        ("tokens", ["tokens"]),
        ("large", ["big"]),
        ("comparison", ["server", "server_b"]),
    ],
)
def test_every_chart_renders_offline(
    browser, runs: dict[str, Path], tmp_path: Path, kind: str, folders
) -> None:
    out = lg_report.write_report([runs[f] for f in folders], tmp_path / f"{kind}.html")
    state, errors = _open(browser, out, shot=f"report-{kind}.png")
    assert errors == []
    assert state, "no charts on the page"
    for chart in state:
        assert chart["svg"] == 1, chart
        assert chart["drawn"] == chart["wanted"] > 0 and chart["marks"] > 0, chart
    assert out.stat().st_size <= lg_report.MAX_REPORT_BYTES


def test_negative_control_a_report_that_loads_js_from_the_web_renders_nothing(
    browser, runs: dict[str, Path], tmp_path: Path
) -> None:
    html = lg_report.render([rundata.load_run(runs["server"])], js="")
    html = html.replace("<script></script>", "<script src='https://example.org/lgchart.js'></script>", 1)
    out = tmp_path / "cdn.html"
    out.write_text(html)
    state, errors = _open(browser, out)
    assert state and all(c["svg"] == 0 and c["drawn"] == 0 for c in state)
    assert any("LGChart is not defined" in e for e in errors)


VISIBLE = """
var rows = {};
document.querySelectorAll('#result tr[data-key]').forEach(function(tr){
  rows[tr.dataset.key] = tr.cells[1].innerText.trim();
});
return {text: document.body.innerText, rows: rows,
        latencies: Array.from(document.querySelectorAll('#latencies tr')).slice(1).map(function(tr){
          return Array.from(tr.cells).map(function(c){ return c.innerText.trim(); }); }),
        axes: Array.from(document.querySelectorAll('div.chart svg')).map(function(s){
          return Array.from(s.querySelectorAll(':scope > text')).map(function(t){ return t.textContent; }); })};
"""


@pytest.mark.parametrize("kind", ["single_stream", "multi_stream", "server", "tokens"])
def test_browser_shows_one_unit_per_figure_and_na_where_a_figure_does_not_apply(
    browser, runs: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    import re

    run = rundata.load_run(runs[kind])
    out = lg_report.write_report([runs[kind]], tmp_path / f"{kind}.html")
    assert out.stat().st_size <= lg_report.MAX_REPORT_BYTES
    _open(browser, out)
    seen = browser.execute_script(VISIBLE)
    text = seen["text"]
    # Durations in ms only: no ns or µs figure anywhere a reader sees (raw ns live in tooltips).
    assert not re.search(r"\d\s*(ns|µs|us)\b|\((ns|µs)\)", text), re.findall(r".{30}(?:ns|µs)\b.{10}", text)
    # The headline and the result table show the metric in the same unit and digits.
    p = run.perf
    assert page.metric_text(p, run.scenario) in text
    assert seen["rows"]["metric"] in page.metric_text(p, run.scenario)
    if "(ns)" in p["metric_name"]:
        assert seen["rows"]["metric"] == charts.ms_text(p["metric"])
    # Every latency cell in ms: the summary's ns / 1e6.
    sample_row = next(r for r in seen["latencies"] if r[0] == "sample latency")
    assert sample_row[4] == charts.ms_text(p["sample_latency"]["percentiles"]["50.00"])
    # No figure reads 0 where it should read n/a.
    for key, scenario in SCENARIO_ONLY.items():
        assert (seen["rows"][key] == "n/a") == (scenario != run.scenario), (key, seen["rows"][key])
    lag_row = next(r for r in seen["latencies"] if r[0] == "issue lag")
    assert (set(lag_row[1:]) == {"n/a"}) == (run.scenario != "Server")
    query_row = next(r for r in seen["latencies"] if r[0] == "query latency")
    assert (set(query_row[1:]) == {"n/a"}) == (run.scenario != "MultiStream")
    # Chart axes: latencies in ms, times in s.
    for labels in seen["axes"]:
        assert not any("(ns)" in t or "(µs)" in t for t in labels), labels
        assert any("(ms)" in t or "samples" in t for t in labels), labels


INTERACT = """
var d = document.getElementById(arguments[0]), o = d.querySelector('.lgchart-overlay');
var r = o.getBoundingClientRect();
function ev(type, fx, fy) {
  o.dispatchEvent(new MouseEvent(type, {bubbles: true, button: 0, clientX: r.left + r.width * fx,
                                        clientY: r.top + r.height * fy}));
}
var out = {series: +d.dataset.series, range0: d.dataset.xRange};
ev('mousemove', 0.3, 0.5);
var tip = d.querySelector('.lgchart-tip');
out.tip = tip.hidden ? '' : tip.innerText;
ev('mousedown', 0.2, 0.1); ev('mousemove', 0.6, 0.9); ev('mouseup', 0.6, 0.9);
out.zoomed = d.dataset.xRange;
o = d.querySelector('.lgchart-overlay'); r = o.getBoundingClientRect();
ev('dblclick', 0.5, 0.5);
out.reset = d.dataset.xRange;
d.querySelector('.lgchart-legend button').click();
out.hidden = +d.dataset.series;
d.querySelector('.lgchart-legend button').click();
out.shown = +d.dataset.series;
return out;
"""


def test_charts_hover_zoom_and_toggle_series(browser, runs: dict[str, Path], tmp_path: Path) -> None:
    out = lg_report.write_report([runs["server"]], tmp_path / "server.html")
    _open(browser, out)
    got = browser.execute_script(INTERACT, "latency-percentiles")
    assert got["series"] == 2
    assert " ms" in got["tip"] and "%" in got["tip"], got  # 'p50%: 1.234 ms' style read-out
    assert got["zoomed"] != got["range0"]
    lo0, hi0 = map(float, got["range0"].split(","))
    lo, hi = map(float, got["zoomed"].split(","))
    assert lo0 < lo < hi < hi0
    assert got["reset"] == got["range0"]
    assert got["hidden"] == 1 and got["shown"] == 2


# --- The harness writes one beside the logs.


class _ToyData:
    """Eight float32 samples; nothing to load."""

    name = "toy"
    total_count = 8

    def load(self, indices) -> None:
        pass

    def unload(self, indices) -> None:
        pass

    def get_batch(self, indices):
        return np.asarray(indices, dtype=np.float32)


@pytest.mark.parametrize("html_report", [True, False])
def test_harness_writes_report_html_unless_told_not_to(tmp_path: Path, html_report: bool) -> None:
    from loadgen.harness import BenchmarkSpec, RunOptions, run_benchmark

    spec = BenchmarkSpec(
        name="toy",
        config_model="resnet50",
        user_conf=None,
        make_dataset=lambda opts: _ToyData(),
        postprocess=lambda outputs: None,
        null_outputs=(((), "float32"),),
    )
    opts = RunOptions(
        scenario="Offline",
        backend="null",
        output=str(tmp_path),
        count=8,
        time_s=0.05,
        qps=100,
        progress=False,
        html_report=html_report,
    )
    report = run_benchmark(spec, opts, log=lambda s: None)
    assert report.error is None
    assert (tmp_path / "report.html").is_file() == html_report
    assert ("report" in report.logs) == html_report
    if html_report:
        html = (tmp_path / "report.html").read_text()
        assert "LoadGen run: toy" in html and "SHORT RUN" in html
        assert json.loads((tmp_path / "results.json").read_text())["logs"]["report"].endswith("report.html")
