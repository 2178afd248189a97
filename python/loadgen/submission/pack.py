"""``python -m loadgen submission pack``: lay run folders out as a submission tree.

Each given folder is searched (a few levels deep) for LoadGen log folders:
a performance run, an accuracy run (its ``accuracy.txt`` written by the
benchmark's accuracy script) or a compliance test folder (``TEST0x/`` with
``verify_performance.txt``, as ``run.py --compliance`` writes it). The model
of each comes from the harness's ``results.json`` (``config_model``), or from
``--model`` for logs of SUTs run outside the harness.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..compliance.logs import ACCURACY, read_detail
from ..config import builtin_mlperf_conf
from ..rules import ModelRules, model_rules
from .layout import (
    ACCURACY_FILES,
    DIVISIONS,
    MEASUREMENTS_FIELDS,
    PERF_FILES,
    SYSTEM_FIELDS,
    truncate_accuracy_log,
)
from .targets import accuracy_target_failure

TEST_DIR = re.compile(r"^TEST0\d$")


class PackError(ValueError):
    """Something that does not belong in a submission; the message names the file."""


@dataclass
class Found:
    kind: str  # performance | accuracy | compliance
    folder: Path
    config_model: str
    scenario: str
    test: str = ""


@dataclass
class PackResult:
    root: Path
    packed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _results_json(folder: Path) -> dict[str, Any]:
    p = folder / "results.json"
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise PackError(f"{p}:{e.lineno}: not valid JSON ({e.msg})") from e
    return data if isinstance(data, dict) else {}


def _model_of(folder: Path, default: str | None) -> str:
    model = _results_json(folder).get("config_model") or default
    if not model:
        raise PackError(
            f"{folder}: which model ran here? no results.json with config_model (give --model for logs of a SUT "
            f"run outside the harness)"
        )
    return str(model)


def discover(paths: list[Path], default_model: str | None, depth: int = 4) -> list[Found]:
    """Every log folder under ``paths`` (a compliance TEST folder is one unit)."""
    found: list[Found] = []

    def visit(folder: Path, level: int) -> None:
        verified = (folder / "verify_performance.txt").is_file() or (folder / "verify_accuracy.txt").is_file()
        if TEST_DIR.match(folder.name) and verified:
            run = folder / "performance" / "run_1"
            detail = read_detail(run)
            found.append(
                Found("compliance", folder, _model_of(run, default_model), detail.scenario, folder.name)
            )
            return
        if (folder / "mlperf_log_detail.txt").is_file():
            detail = read_detail(folder)
            mode = str(detail.get("effective_test_mode", ""))
            model = _model_of(folder, default_model)
            if mode in ("PerformanceOnly", "SubmissionRun"):
                found.append(Found("performance", folder, model, detail.scenario))
            if mode in ("AccuracyOnly", "SubmissionRun"):
                found.append(Found("accuracy", folder, model, detail.scenario))
            if mode not in ("PerformanceOnly", "SubmissionRun", "AccuracyOnly"):
                raise PackError(
                    f"{folder / 'mlperf_log_detail.txt'}: a {mode or 'unknown'} run has no place in a submission"
                )
            return
        if level < depth:
            for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
                visit(sub, level + 1)

    for p in paths:
        if not p.is_dir():
            raise PackError(f"{p}: not a folder")
        before = len(found)
        visit(p, 0)
        if len(found) == before:
            raise PackError(
                f"{p}: no LoadGen logs (mlperf_log_detail.txt) or compliance folder (TEST0x) in it"
            )
    return found


def load_system(path: Path, division: str, submitter: str) -> dict[str, Any]:
    try:
        system = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise PackError(f"{path}: cannot read the system description ({e.strerror})") from e
    except json.JSONDecodeError as e:
        raise PackError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from e
    if not isinstance(system, dict):
        raise PackError(f"{path}: the system description must be a JSON object")
    missing = [f for f in SYSTEM_FIELDS if f not in system]
    if missing:
        raise PackError(f"{path}: the system description lacks {', '.join(missing)}")
    if system["division"] != division:
        raise PackError(f"{path}: division is {system['division']!r} but the tree is for {division!r}")
    if system["submitter"] != submitter:
        raise PackError(f"{path}: submitter is {system['submitter']!r} but the tree is for {submitter!r}")
    return system


def _copy(src: Path, dst: Path, result: PackResult) -> None:
    if not src.is_file():
        raise PackError(f"{src}: missing (needed at {dst})")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    result.packed.append(str(dst.relative_to(result.root)))


def _accuracy_files(src: Path, dst: Path, result: PackResult, accuracy_txt_required: bool = True) -> None:
    """The accuracy log (truncated when large, its hash into accuracy.txt) and accuracy.txt."""
    acc_txt = src / "accuracy.txt"
    if not acc_txt.is_file():
        if accuracy_txt_required:
            raise PackError(
                f"{acc_txt}: missing (run the benchmark with --accuracy, or its accuracy.py, first)"
            )
        text = ""
    else:
        text = acc_txt.read_text(encoding="utf-8")
    digest = truncate_accuracy_log(src / ACCURACY, dst / ACCURACY)
    result.packed.append(str((dst / ACCURACY).relative_to(result.root)) + (" (truncated)" if digest else ""))
    if digest is not None:
        text = (
            "".join(ln + "\n" for ln in text.splitlines() if not ln.startswith("hash=")) + f"hash={digest}\n"
        )
    if text:
        (dst / "accuracy.txt").write_text(text, encoding="utf-8")
        result.packed.append(str((dst / "accuracy.txt").relative_to(result.root)))


def pack(
    runs: list[Path],
    out: Path,
    division: str,
    submitter: str,
    system_json: Path,
    user_conf: Path,
    target: str = "99",
    default_model: str | None = None,
    weights: str | None = None,
    weight_data_types: str | None = None,
    input_data_types: str = "fp32",
) -> PackResult:
    """Write ``out/<division>/<submitter>/...`` from run folders; raises
    PackError naming the offending file for anything that does not belong."""
    if division not in DIVISIONS:
        raise PackError(f"division {division!r}: must be one of {', '.join(DIVISIONS)}")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", submitter):
        raise PackError(f"submitter {submitter!r}: use letters, digits, '.', '_' and '-' only")
    if not user_conf.is_file():
        raise PackError(f"{user_conf}: no such user.conf")
    system = load_system(system_json, division, submitter)
    system_id = system_json.stem
    root = out / division / submitter
    result = PackResult(root)
    found = discover(runs, default_model)
    seen: dict[tuple[str, str, str, str], Path] = {}
    benchmarks: set[str] = set()
    for f in found:
        rules = model_rules(f.config_model)
        bench = _benchmark_name(rules, target, f.folder)
        key = (bench, f.scenario, f.kind, f.test)
        if key in seen:
            raise PackError(
                f"{f.folder}: a second {f.test or f.kind} run of {bench} {f.scenario} (the first is {seen[key]})"
            )
        seen[key] = f.folder
        if f.scenario not in rules.scenarios:
            raise PackError(f"{f.folder}: scenario {f.scenario!r} is not one of {bench}'s")
        dst = root / "results" / system_id / bench / f.scenario
        if f.kind == "performance":
            for name in PERF_FILES:
                _copy(f.folder / name, dst / "performance" / "run_1" / name, result)
            _measurements(dst, rules, f, user_conf, weights, weight_data_types, input_data_types, result)
        elif f.kind == "accuracy":
            missed = accuracy_target_failure(f.folder, rules, bench)
            if missed is not None:
                raise PackError(missed)
            for name in ACCURACY_FILES[:2]:
                _copy(f.folder / name, dst / "accuracy" / name, result)
            _accuracy_files(f.folder, dst / "accuracy", result)
        else:
            t = dst / f.test
            for name in ("verify_performance.txt", "verify_accuracy.txt"):
                if (f.folder / name).is_file():
                    _copy(f.folder / name, t / name, result)
            for name in PERF_FILES:
                _copy(f.folder / "performance" / "run_1" / name, t / "performance" / "run_1" / name, result)
            acc = f.folder / "accuracy"
            if (acc / ACCURACY).is_file():
                _accuracy_files(acc, t / "accuracy", result, accuracy_txt_required=False)
                for name in ("baseline_accuracy.txt", "compliance_accuracy.txt"):
                    if (acc / name).is_file():
                        _copy(acc / name, t / "accuracy" / name, result)
        benchmarks.add(bench)
    sys_dst = root / "systems" / f"{system_id}.json"
    sys_dst.parent.mkdir(parents=True, exist_ok=True)
    sys_dst.write_text(json.dumps(system, indent=2) + "\n", encoding="utf-8")
    result.packed.append(str(sys_dst.relative_to(root)))
    for bench in sorted(benchmarks):
        readme = root / "code" / bench / "README.md"
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(
            f"# {bench}\n\nRun with loadgen {__version__} (an open implementation of the MLPerf Inference "
            f"LoadGen) and its benchmark harness: `python benchmarks/<model>/run.py` with the flags recorded in "
            f"each run's README.md under results/.\n",
            encoding="utf-8",
        )
        result.packed.append(str(readme.relative_to(root)))
    return result


def _benchmark_name(rules: ModelRules, target: str, folder: Path) -> str:
    names = list(rules.benchmarks)
    if len(names) == 1:
        return names[0]
    for name in names:
        if name.endswith(f"-{target}"):
            return name
    raise PackError(f"{folder}: --target {target} does not name one of {', '.join(names)}")


def _measurements(
    dst: Path,
    rules: ModelRules,
    f: Found,
    user_conf: Path,
    weights: str | None,
    weight_data_types: str | None,
    input_data_types: str,
    result: PackResult,
) -> None:
    info = _results_json(f.folder)
    # What the model file held and how it was made (harness/precision.py), unless given.
    prec_value = info.get("precision")
    prec: dict[str, Any] = prec_value if isinstance(prec_value, dict) else {}
    measurements = {
        "input_data_types": input_data_types,
        "retraining": "No",
        "starting_weights_filename": weights or Path(str(info.get("model") or "unknown")).name,
        "weight_data_types": weight_data_types or str(prec.get("weight_data_types") or "fp32"),
        "weight_transformations": str(prec.get("weight_transformations") or "none"),
    }
    assert set(measurements) == set(MEASUREMENTS_FIELDS)
    dst.mkdir(parents=True, exist_ok=True)
    (dst / "measurements.json").write_text(json.dumps(measurements, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(user_conf, dst / "user.conf")
    (dst / "mlperf.conf").write_text(builtin_mlperf_conf(), encoding="utf-8")
    backend = info.get("backend", "?")
    (dst / "README.md").write_text(
        f"# {rules.config_model} {f.scenario}\n\n"
        f"LoadGen: loadgen {__version__}. Benchmark: {info.get('benchmark', rules.config_model)}, "
        f"backend {backend} {info.get('backend_version', '')}.\n\n"
        f"Reproduce: `python benchmarks/<model>/run.py --scenario {f.scenario} --backend {backend} --official "
        f"--model <model file> --dataset-path <data>`, then `--accuracy` and `--compliance TEST0x` "
        f"(docs/submission.md).\n",
        encoding="utf-8",
    )
    for name in ("measurements.json", "user.conf", "mlperf.conf", "README.md"):
        result.packed.append(str((dst / name).relative_to(result.root)))
