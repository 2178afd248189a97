"""TestSettings.FromConfig of our `loadgen` against the reference `mlperf_loadgen`.

Each case is (file, model, scenario, conf_type). Both libraries read it into a
fresh TestSettings, and every field and the return code must be equal.

The reference applies its built-in mlperf.conf on the first conf_type=1 call
of the *process*; ours does it on the first such call on each *object*. To
compare like with like, the reference side runs in one subprocess (so that
its process-wide state stays out of this one) and, for a conf_type=1 case,
first calls FromConfig(path, model, scenario, 0) on the fresh object: exactly
what its first conf_type=1 call does internally. One test checks that this
stand-in matches a genuine first call in a new process.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import loadgen
import pytest

# Names the task names, as harnesses pass them, and the bare names the
# built-in mlperf.conf uses, so that model-specific lines are exercised too.
MODELS = [
    "resnet50",
    "bert-99",
    "dlrm-v2-99",
    "3d-unet-99",
    "retinanet",
    "rnnt",
    "gptj-99",
    "llama2-70b-99",
    "bert",
    "dlrm-v2",
    "3d-unet",
    "gptj",
    "llama2-70b",
]
SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]

# Every model the built-in mlperf.conf names (LoadGen 6.0.17).
BUILTIN_MODELS = [
    "3d-unet", "bert", "deepseek-r1", "deepseek-r1-interactive", "dlrm",
    "dlrm-v2", "dlrm-v3", "gpt-oss-120b", "gpt-oss-120b-interactive", "gptj",
    "llama2-70b", "llama2-70b-interactive", "llama3_1-405b",
    "llama3_1-405b-interactive", "llama3_1-8b", "llama3_1-8b-edge",
    "llama3_1-8b-interactive", "mixtral-8x7b", "pointpainting",
    "qwen3-vl-235b-a22b", "resnet50", "retinanet", "rgat", "rnnt",
    "ssd-mobilenet", "stable-diffusion-xl", "wan-2.2-t2v-a14b", "whisper", "yolo",
    "unknown-model",
]  # fmt: skip

# Config files, by name. None: the file does not exist; "<dir>": a directory.
CONF_FILES: dict[str, bytes | str | None] = {
    "wildcards": (
        b"*.*.max_query_count = 1\n"
        b"resnet50.*.max_query_count = 2\n"
        b"*.Server.max_query_count = 3\n"
        b"resnet50.Server.max_query_count = 4\n"
        b"*.*.min_query_count = 11\n"
        b"gptj.*.min_query_count = 12\n"
        b"*.Offline.min_query_count = 13\n"
        b"bert-99.*.performance_sample_count_override = 9000\n"
        b"llama2-70b-99.Server.target_qps = 3.5\n"
        b"*.Server.target_qps = 17\n"
        b"*.Offline.target_qps = 1234.5\n"
        b"dlrm-v2.*.accuracy_sample_count_override = 77\n"
    ),
    "comments": (
        b"# a comment\n"
        b"\n"
        b"   \t  \n"
        b"  *.*.min_query_count   =\t 9  \r\n"
        b"# *.*.max_query_count = 5\n"
        b"#*.*.max_duration = 5\n"
        b"*.*.max_query_count # no value\n"
        b"*.*.min_duration=5\n"
        b"*.*.max_duration =\n"
    ),
    "trailing_comment": b"*.*.min_query_count = 9 # why\n",
    "hash_without_space": b"#this is not a comment\n*.*.min_query_count = 9\n",
    "units": (
        b"*.Server.target_latency = 15\n"
        b"*.SingleStream.target_latency = 0.5\n"
        b"*.MultiStream.target_latency = 12\n"
        b"*.*.min_duration = 60000\n"
        b"*.*.max_duration = 90000\n"
        b"*.Server.ttft_latency = 123\n"
        b"*.Server.tpot_latency = 45\n"
        b"*.SingleStream.target_latency_percentile = 99.9\n"
        b"*.MultiStream.target_latency_percentile = 95\n"
        b"*.Server.target_latency_percentile = 97\n"
        b"*.*.token_latency_scaling_factor = 7\n"
    ),
    "token_latencies_on": (
        b"*.*.use_token_latencies = 1\n"
        b"*.Server.ttft_latency = 321\n"
        b"*.Server.tpot_latency = 54\n"
        b"*.*.infer_token_latencies = 1\n"
        b"*.*.token_latency_scaling_factor = 3\n"
    ),
    "overrides": (
        b"*.*.min_duration = 1000\n"
        b"resnet50.Offline.min_query_count = 10\n"
        b"*.Offline.target_qps = 20\n"
        b"*.Offline.target_qps = 30\n"
        b"*.Server.target_qps = 5 6\n"
        b"*.*.performance_sample_count_override = 4096\n"
        b"*.*.sample_concatenate_permutation = 0\n"
    ),
    "mode_0": b"*.*.mode = 0\n",
    "mode_1": b"*.*.mode = 1\n",
    "mode_2": b"resnet50.*.mode = 2\n*.*.mode = 1\n",
    "mode_3": b"*.Server.mode = 3\n",
    "mode_invalid": b"*.*.mode = 7\n*.*.min_query_count = 3\n",
    "malformed_value": b"*.*.min_query_count = 9\n*.Server.target_qps = fast\n",
    "malformed_equals": b"*.*.min_query_count = 9\n*.*.max_query_count =5\n",
    "nul_byte": b"*.*.min_query_count = 9\x00\n",
    "non_utf8": b"*.*.min_query_\xff\xfecount = 9\n\xc3(.*.mode = 1\n*.*.max_query_count = 4\n",
    "empty": b"",
    "missing": None,
    "directory": "<dir>",
    "mlperf_conf_only_keys": (
        b"*.*.qsl_rng_seed = 1\n"
        b"*.*.sample_index_rng_seed = 2\n"
        b"*.*.schedule_rng_seed = 3\n"
        b"*.*.accuracy_log_probability = 50\n"
        b"*.*.test05 = 1\n"
        b"*.*.test05_qsl_rng_seed = 4\n"
        b"*.*.test05_sample_index_rng_seed = 5\n"
        b"*.*.test05_schedule_rng_seed = 6\n"
    ),
    "numbers": (
        b"*.*.min_duration = 010\n"
        b"*.Server.target_qps = 010\n"
        b"*.*.max_query_count = 0x10\n"
        b"*.*.min_query_count = 1.5\n"
        b"*.*.max_duration = -1\n"
        b"*.Offline.target_qps = 0x1p3\n"
        b"*.Server.max_async_queries = 2147483648\n"
        b"*.MultiStream.samples_per_query = 99999999999999999999999\n"
        b"*.Server.target_latency = 99999999999999999999\n"
        b"*.SingleStream.target_latency = 1e3\n"
        b"*.MultiStream.target_latency = inf\n"
        b"*.*.performance_issue_same_index = +5\n"
        b"*.*.accuracy_sample_count_override = 5.\n"
    ),
    "not_a_number": b"*.SingleStream.target_latency = nan\n",
    "flags": (
        b"*.*.use_token_latencies = 2\n"
        b"*.*.sample_concatenate_permutation = 1\n"
        b"*.*.print_timestamps = 2\n"
        b"*.Server.coalesce_queries = 5\n"
        b"*.*.performance_issue_unique = 0\n"
        b"*.*.performance_issue_same = 1\n"
        b"*.*.infer_token_latencies = 2\n"
        b"*.Server.max_async_queries = 4294967301\n"
    ),
    "audit": (
        b"# TEST01-like audit.config\n"
        b"*.*.mode = 2\n"
        b"*.*.accuracy_log_rng_seed = 720381539243781796\n"
        b"*.*.accuracy_log_sampling_target = 1024\n"
        b"resnet50.*.accuracy_log_sampling_target = 64\n"
        b"*.Offline.accuracy_log_sampling_target = 128\n"
    ),
    "unknown_keys": (
        b"*.Server.target_qsp = 5\n"
        b"*.server.target_qps = 6\n"
        b"*.*.min_duration_ms = 7\n"
        b"*.SingleStream.target_qps = 8\n"
        b"*.Offline.target_qps = 9\n"
    ),
}

# The reference side: reads cases as JSON on stdin, writes results as JSON.
REFERENCE_SCRIPT = r"""
import json, sys
import mlperf_loadgen as lg

def value(v):
    return v.name if hasattr(v, "name") else v

cases = json.load(sys.stdin)
fields = sorted(a for a in dir(lg.TestSettings()) if not a.startswith("_") and a != "FromConfig")
results = []
for path, model, scenario, conf_type, emulate_first_call in cases:
    ts = lg.TestSettings()
    if conf_type == 1 and emulate_first_call:
        ts.FromConfig(path, model, scenario, 0)
    rc = ts.FromConfig(path, model, scenario, conf_type)
    results.append({"rc": rc, "fields": {f: value(getattr(ts, f)) for f in fields}})
json.dump({"fields": fields, "results": results}, sys.stdout)
"""


def run_reference(cases: list[tuple[str, str, str, int, bool]]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", REFERENCE_SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(proc.stdout)


def normalise(v: Any) -> Any:
    """Enums by name; NaN as a string, so that equal NaNs compare equal."""
    if hasattr(v, "name"):
        return v.name
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return v


def run_ours(path: str, model: str, scenario: str, conf_type: int, fields: list[str]) -> dict[str, Any]:
    ts = loadgen.TestSettings()
    rc = ts.FromConfig(path, model, scenario, conf_type)
    return {"rc": rc, "fields": {f: normalise(getattr(ts, f)) for f in fields}}


def differences(ours: dict[str, Any], ref: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    out: dict[str, tuple[Any, Any]] = {}
    if ours["rc"] != ref["rc"]:
        out["rc"] = (ours["rc"], ref["rc"])
    for f, ref_value in ref["fields"].items():
        ref_value = normalise(ref_value)
        our_value = ours["fields"][f]
        if our_value != ref_value or type(our_value) is not type(ref_value):
            out[f] = (our_value, ref_value)
    return out


@pytest.fixture(scope="module")
def conf_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("confs")
    paths: dict[str, str] = {}
    for name, content in CONF_FILES.items():
        if content is None:
            paths[name] = str(root / "does-not-exist.conf")
        elif content == "<dir>":
            paths[name] = str(root)
        else:
            assert isinstance(content, bytes)
            p = root / f"{name}.conf"
            p.write_bytes(content)
            paths[name] = str(p)
    return paths


def cases_for(path: str) -> list[tuple[str, str, str, int]]:
    cases = []
    for scenario in SCENARIOS:
        for model in MODELS:
            cases.append((path, model, scenario, 1))
            cases.append((path, model, scenario, 2))
        cases.append((path, "*", scenario, 2))  # as StartTest reads audit.config
    return cases


@pytest.fixture(scope="module")
def reference(conf_paths: dict[str, str]) -> dict[str, Any]:
    """Runs every case of every file through the reference at once."""
    keyed: list[tuple[str, tuple[str, str, str, int]]] = []
    for name, path in conf_paths.items():
        keyed += [(name, c) for c in cases_for(path)]
    for model in BUILTIN_MODELS + MODELS:
        for scenario in SCENARIOS:
            keyed.append(("<builtin>", ("/ignored/path", model, scenario, 0)))
    out = run_reference([(*c, True) for _, c in keyed])
    by_name: dict[str, list[tuple[tuple[str, str, str, int], dict[str, Any]]]] = {}
    for (name, case), result in zip(keyed, out["results"]):
        by_name.setdefault(name, []).append((case, result))
    return {"fields": out["fields"], "by_name": by_name}


def assert_all_match(
    fields: list[str], results: list[tuple[tuple[str, str, str, int], dict[str, Any]]]
) -> None:
    mismatches = []
    for case, ref in results:
        diff = differences(run_ours(*case, fields), ref)
        if diff:
            mismatches.append(f"{case}: (ours, reference) {diff}")
    assert not mismatches, f"{len(mismatches)} of {len(results)} cases differ:\n" + "\n".join(mismatches[:20])


def test_our_testsettings_has_every_reference_field(reference: dict[str, Any]) -> None:
    ts = loadgen.TestSettings()
    missing = [f for f in reference["fields"] if not hasattr(ts, f)]
    assert not missing


def test_builtin_mlperf_conf_matches_reference_for_every_model(reference: dict[str, Any]) -> None:
    assert_all_match(reference["fields"], reference["by_name"]["<builtin>"])


@pytest.mark.parametrize("name", list(CONF_FILES))
def test_from_config_matches_reference(name: str, reference: dict[str, Any]) -> None:
    assert_all_match(reference["fields"], reference["by_name"][name])


def test_reference_stand_in_equals_a_first_call_in_a_new_process(conf_paths: dict[str, str]) -> None:
    # The premise of the comparison: "conf_type 0, then 1" on a fresh object
    # gives what the reference's genuine first conf_type=1 call gives.
    for name in ("overrides", "token_latencies_on", "missing", "malformed_value"):
        for model, scenario in (("llama2-70b", "Server"), ("resnet50", "Offline")):
            case = (conf_paths[name], model, scenario, 1)
            first = run_reference([(*case, False)])["results"][0]
            stand_in = run_reference([(*case, True)])["results"][0]
            assert first == stand_in, case


def test_return_codes_are_the_documented_ones(conf_paths: dict[str, str]) -> None:
    def rc(name: str, conf_type: int = 1) -> int:
        return int(loadgen.TestSettings().FromConfig(conf_paths[name], "resnet50", "Offline", conf_type))

    assert rc("overrides") == 0
    assert rc("missing") == -2
    assert rc("malformed_value") == -22
    assert rc("directory") == 0
    assert rc("missing", 0) == 0
