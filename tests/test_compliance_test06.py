"""TEST06, the LLM compliance test (loadgen.compliance.test06): its
audit.config, the three checks on hand-made accuracy logs (with the
``token_data``/``token_count`` fields of docs/logs.md), and whole runs of our
LoadGen with that audit.config against honest and cheating token SUTs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

lg = pytest.importorskip("loadgen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lg_helpers import child_env, log_settings_in, quick_settings
from loadgen.compliance.logs import LogError, read_detail
from loadgen.compliance.test06 import (
    audit_config_test06,
    read_token_log,
    verify_test06,
    verify_test06_run,
)

EOS = 2


def hexs(tokens: list[int], dtype: str = "int32") -> str:
    return np.asarray(tokens, dtype=dtype).tobytes().hex().upper()


def entry(i: int, answer: list[int], first: list[int] | None = None, count: int | None = None) -> dict:
    rec = {"seq_id": i, "qsl_idx": 10 + i, "data": hexs(answer)}
    if first is not None:
        rec["token_data"] = hexs(first)
    rec["token_count"] = len(answer) if count is None else count
    return rec


def write_log(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mlperf_log_accuracy.json").write_text(
        "[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n", encoding="utf-8"
    )
    return folder


def verdict(records: list[dict], tmp_path: Path, scenario: str = "Server"):
    return verify_test06(read_token_log(write_log(tmp_path, records)), scenario, [EOS])


HONEST = [entry(0, [5, 6, 7], [5]), entry(1, [9, 8, EOS], [9]), entry(2, [4], [4])]


def test_audit_config_has_the_rules_values() -> None:
    text = audit_config_test06("llama3_1-8b")
    for line in (
        "*.*.mode = 2",
        "*.*.accuracy_log_rng_seed = 720381539243781796",
        "*.*.accuracy_log_sampling_target = 100",
        "*.*.min_query_count = 100",
        "*.*.min_duration = 0",
        "*.*.sample_concatenate_permutation = 0",
    ):
        assert line in text.splitlines()


def test_honest_log_passes_with_the_checkers_lines(tmp_path: Path) -> None:
    v = verdict(HONEST, tmp_path)
    assert v.passed, v.text
    lines = v.text.splitlines()
    assert lines[:4] == [
        "First token check pass: True",
        "EOS check pass: True",
        "Sample length check pass: True",
        "TEST06 verification complete",
    ]
    assert lines[-1] == "TEST PASS"


def test_offline_skips_the_first_token_check(tmp_path: Path) -> None:
    no_first = [entry(0, [5, 6]), entry(1, [7, EOS])]
    v = verdict(no_first, tmp_path, "Offline")
    assert v.passed and v.text.splitlines()[0] == "First token check pass: Skipped"
    # The same log outside Offline: the first token was never reported.
    v = verdict(no_first, tmp_path, "Server")
    assert not v.passed and "First token check pass: False" in v.text
    assert "no token_data" in v.text


def test_first_token_that_is_not_the_answers_start_fails(tmp_path: Path) -> None:
    v = verdict([*HONEST, entry(3, [11, 12, 13], [99])], tmp_path)
    assert not v.passed
    assert "First token check pass: False" in v.text and "EOS check pass: True" in v.text
    assert "seq_id 3 (qsl_idx 13): first token(s) [99] but the answer starts [11, 12, 13]" in v.text
    assert v.text.rstrip().endswith("TEST FAIL") and "TEST06 verification failed" in v.text
    # A reported first token while the answer is empty also fails; several first tokens may match.
    assert not verdict([entry(0, [], [5])], tmp_path).passed
    assert verdict([entry(0, [5, 6, 7], [5, 6])], tmp_path).passed
    assert not verdict([entry(0, [5, 6, 7], [])], tmp_path).passed


def test_answers_padded_with_eos_fail_the_eos_check(tmp_path: Path) -> None:
    v = verdict([*HONEST, entry(3, [5, 6, EOS, EOS, EOS], [5])], tmp_path)
    assert not v.passed and "EOS check pass: False" in v.text
    assert "ends with 3 EOS tokens" in v.text
    assert not verdict([entry(0, [5, EOS, EOS], [5])], tmp_path).passed
    # One EOS at the end is fine, and so is an answer of exactly two (the reference allows it).
    assert verdict([entry(0, [5, EOS], [5]), entry(1, [EOS, EOS], [EOS])], tmp_path).passed
    # EOS in the middle is not padding.
    assert verdict([entry(0, [EOS, 5, EOS], [EOS])], tmp_path).passed


def test_several_eos_ids_count_together(tmp_path: Path) -> None:
    log = read_token_log(write_log(tmp_path, [entry(0, [5, 128009, 128001], [5])]))
    assert verify_test06(log, "Server", [128009]).passed
    assert not verify_test06(log, "Server", [128001, 128008, 128009]).passed


def test_token_count_that_is_not_the_answers_length_fails(tmp_path: Path) -> None:
    v = verdict([*HONEST, entry(3, [5, 6, 7], [5], count=30)], tmp_path)
    assert not v.passed and "Sample length check pass: False" in v.text
    assert "token_count 30 but the answer has 3 tokens" in v.text
    missing = [{"seq_id": 0, "qsl_idx": 0, "data": hexs([5]), "token_data": hexs([5])}]
    v = verdict(missing, tmp_path)
    assert not v.passed and "no token_count" in v.text


def test_empty_log_fails_and_bad_files_say_what_is_wrong(tmp_path: Path) -> None:
    v = verdict([], tmp_path)
    assert not v.passed and "no sampled response" in v.text
    (tmp_path / "mlperf_log_accuracy.json").write_text('[{"seq_id": 0, "qsl_idx": 1, "data": "ZZ"}]')
    with pytest.raises(LogError, match=r"mlperf_log_accuracy.json: entry 0"):
        read_token_log(tmp_path)
    with pytest.raises(LogError, match="missing"):
        read_token_log(tmp_path / "nowhere")
    # 6 bytes are not int32 tokens.
    v = verdict([{"seq_id": 0, "qsl_idx": 0, "data": "010203040506", "token_count": 1}], tmp_path, "Offline")
    assert not v.passed and "not a whole number of int32 tokens" in v.text


# --- Whole runs of our LoadGen with the TEST06 audit.config.


class TokenSUT:
    """Answers sample i with tokens [i+3, i+4, ...] (2 to 5 of them: our LoadGen wants at least 2 for token latencies); cheats on demand."""

    def __init__(self, cheat: str = "") -> None:
        self.cheat = cheat
        self.keep: list[np.ndarray] = []

    def answer(self, index: int) -> list[int]:
        toks = [index + 3 + k for k in range(2 + index % 4)]
        if self.cheat == "eos_padding":
            toks += [EOS, EOS, EOS]
        return toks

    def issue(self, samples) -> None:
        for s in samples:
            toks = self.answer(s.index)
            first = np.array([toks[0] + (1 if self.cheat == "first_token" else 0)], dtype=np.int32)
            self.keep.append(first)
            lg.FirstTokenComplete([lg.QuerySampleResponse(s.id, first.ctypes.data, first.nbytes)])
            n = len(toks) + (5 if self.cheat == "token_count" else 0)
            lg.complete_samples([s.id], [np.asarray(toks, dtype=np.int32).tobytes()], n_tokens=[n])


def run_test06(tmp_path: Path, scenario: str, cheat: str = "") -> Path:
    audit = tmp_path / "audit.config"
    audit.write_text(audit_config_test06("test"), encoding="utf-8")
    out = tmp_path / "run"
    out.mkdir()
    tok = TokenSUT(cheat)
    sut = lg.ConstructSUT(tok.issue, lambda: None)
    qsl = lg.ConstructQSL(50, 50, lambda s: None, lambda s: None)
    try:
        settings = quick_settings(lg, scenario, use_token_latencies=True, server_target_qps=5000)
        result = lg.run_test(sut, qsl, settings, log_settings_in(lg, out), str(audit))
    finally:
        lg.DestroySUT(sut)
        lg.DestroyQSL(qsl)
    assert result.num_errors == 0, result.errors
    return out


@pytest.mark.parametrize("scenario", ["Server", "Offline"])
def test_honest_sut_passes_test06_through_the_audit_config(tmp_path: Path, scenario: str) -> None:
    run = run_test06(tmp_path, scenario)
    detail = read_detail(run)
    assert detail.get("effective_accuracy_log_sampling_target") == 100
    assert detail.get("effective_min_duration_ms") == 0
    v = verify_test06_run(run, [EOS], output_dir=tmp_path / "TEST06")
    assert v.passed, v.text
    n = int(next(x for x in v.lines if x.startswith("num_acc_log_entries")).split("=")[1])
    assert n >= 50  # about 100 responses are sampled
    first = "Skipped" if scenario == "Offline" else "True"
    text = (tmp_path / "TEST06" / "verify_accuracy.txt").read_text()
    assert text.startswith(f"First token check pass: {first}\nEOS check pass: True\n")
    assert (tmp_path / "TEST06" / "accuracy" / "mlperf_log_accuracy.json").is_file()


@pytest.mark.parametrize(
    ("cheat", "failing"),
    [("eos_padding", "EOS"), ("first_token", "First token"), ("token_count", "Sample length")],
)
def test_cheating_sut_fails_the_matching_check(tmp_path: Path, cheat: str, failing: str) -> None:
    run = run_test06(tmp_path, "Server", cheat)
    v = verify_test06_run(run, [EOS])
    assert not v.passed
    assert f"{failing} check pass: False" in v.text
    assert [x for x in v.text.splitlines()[:3] if x.endswith("False")] == [f"{failing} check pass: False"]


def test_cli_verifies_a_run_folder(tmp_path: Path) -> None:
    run = run_test06(tmp_path, "Server")
    cmd = [sys.executable, "-m", "loadgen.compliance.test06", "verify", "-c", str(run), "-e", str(EOS)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "First token check pass: True" in proc.stdout and proc.stdout.rstrip().endswith("TEST PASS")
    assert (run / "verify_accuracy.txt").is_file()
    proc = subprocess.run(
        [*cmd[:-2], "--model", "llama3_1-8b", "-s", "Offline"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    bad = subprocess.run(cmd[:-2], capture_output=True, text=True, env=child_env(), timeout=60, check=False)
    assert bad.returncode == 2 and "EOS token id" in bad.stderr
    audit = subprocess.run(
        [sys.executable, "-m", "loadgen.compliance.test06", "audit-config"],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert "*.*.accuracy_log_sampling_target = 100" in audit.stdout


# --- The harness's TEST06 flow on the real LLM benchmark (llama.cpp in process).


@pytest.mark.slow
def test_harness_test06_flow_passes_on_the_llm_benchmark(tmp_path: Path) -> None:
    import llama_cpp  # noqa: F401

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from llama3_1_8b.model import load_tokenizer, smollm2_gguf

    gguf = str(smollm2_gguf())
    from llama3_1_8b import convert, synthetic
    from llama3_1_8b.run import SPEC
    from loadgen.harness import RunOptions
    from loadgen.harness.compliance_test06 import run_test06

    tok = load_tokenizer(gguf)
    prompts = [tok.prompt(" ".join(a.split()[:20])) for a in synthetic.articles(4)]
    data = tmp_path / "cnn_eval.json"
    data.write_text(json.dumps([{"input": p, "tok_input": tok.tokenize(p), "output": ""} for p in prompts]))
    opts = RunOptions(
        scenario="SingleStream",
        backend="llamacpp",
        model=gguf,
        dataset_path=str(data),
        output=str(tmp_path / "out"),
        progress=False,
        html_report=False,
        extra={"max_new_tokens": 4, "eos_token_ids": list(convert.gguf_eos_ids(gguf))},
    )
    result = run_test06(SPEC, opts, log=lambda s: None)
    assert result.passed, result.verifications[0].text
    test_dir = tmp_path / "out" / "TEST06"
    text = (test_dir / "verify_accuracy.txt").read_text()
    assert text.startswith(
        "First token check pass: True\nEOS check pass: True\nSample length check pass: True\n"
    )
    assert "eos_token_ids = [2]" in text and "num_acc_log_entries = 100" in text
    assert (test_dir / "audit.config").is_file() and (
        test_dir / "accuracy" / "mlperf_log_accuracy.json"
    ).is_file()
    assert (test_dir / "performance" / "run_1" / "mlperf_log_detail.txt").is_file()
