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
pytest.importorskip("plotly")

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


def test_plotly_js_is_inlined_once(runs: dict[str, Path]) -> None:
    html = lg_report.render([rundata.load_run(runs["server"]), rundata.load_run(runs["server_b"])])
    assert html.count("<script>") == 2  # plotly.js, then the drawing code
    assert "src=" not in html.split("<script type='application/json'")[1].split("</script>")[0]
    assert html.count(lg_report.plotly_js()[:200]) == 1


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
  return {id: d.id, svg: d.querySelectorAll('svg.main-svg').length,
          drawn: (d._fullData || []).length, wanted: spec ? spec.figure.data.length : -1};
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
        assert chart["svg"] >= 1, chart
        assert chart["drawn"] == chart["wanted"] > 0, chart


def test_negative_control_a_report_that_loads_js_from_the_web_renders_nothing(
    browser, runs: dict[str, Path], tmp_path: Path
) -> None:
    html = lg_report.render([rundata.load_run(runs["server"])], js="")
    html = html.replace(
        "<script></script>", "<script src='https://cdn.plot.ly/plotly-2.35.2.min.js'></script>", 1
    )
    out = tmp_path / "cdn.html"
    out.write_text(html)
    state, errors = _open(browser, out)
    assert state and all(c["svg"] == 0 and c["drawn"] == 0 for c in state)
    assert any("Plotly is not defined" in e for e in errors)


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
