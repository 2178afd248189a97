"""``python -m loadgen submission pack``: lay run folders out as a submission tree.

Each given folder is searched (a few levels deep) for LoadGen log folders:
a performance run, an accuracy run (its ``accuracy.txt`` written by the
benchmark's accuracy script) or a compliance test folder (``TEST0x/`` with
``verify_performance.txt``, as ``run.py --compliance`` writes it). The model
of each comes from the harness's ``results.json`` (``config_model``), or from
``--model`` for logs of SUTs run outside the harness.

The tree follows one rules version (``--rules-version``; default: the newest
round that has the benchmark): its benchmark names, its layout, its
compliance tests (a compliance folder the round does not ask for is left
out, and said so) and its seeds (a run with another round's seeds is refused).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..compliance.logs import ACCURACY, DETAIL, read_detail
from ..config import builtin_mlperf_conf
from ..rules import (
    Benchmark,
    RulesError,
    RulesVersion,
    benchmark_rules,
    mlperf_conf_for,
    resolve,
    seeds_owner,
)
from .layout import (
    ACCURACY_FILES,
    DIVISIONS,
    MEASUREMENTS_FIELDS,
    PERF_FILES,
    SYSTEM_FIELDS,
    code_dir,
    scenario_paths,
    truncate_accuracy_log,
)
from .targets import accuracy_target_failure

TEST_DIR = re.compile(r"^TEST0\d(-[AB])?$")


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
    skipped: list[str] = field(default_factory=list)  # what was left out, and why
    versions: dict[str, str] = field(default_factory=dict)  # benchmark -> rules version


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
        run = folder / "performance" / "run_1"
        verified = (folder / "verify_performance.txt").is_file() or (folder / "verify_accuracy.txt").is_file()
        # TEST04-B (v2.0 and older) has no verify file: TEST04-A's holds the comparison.
        if TEST_DIR.match(folder.name) and (
            verified or (folder.name == "TEST04-B" and (run / DETAIL).is_file())
        ):
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


def _system_for(system: dict[str, Any], v: RulesVersion) -> tuple[dict[str, Any], list[str]]:
    """The description as round ``v`` takes it (v0.5 knows a fixed field list)."""
    if not v.system_fields_closed or v.system_fields is None:
        return system, []
    allowed = set(v.system_fields) | set(v.system_fields_optional)
    dropped = [k for k in system if k not in allowed]
    return {k: val for k, val in system.items() if k in allowed}, dropped


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
    digest, truncated = truncate_accuracy_log(src / ACCURACY, dst / ACCURACY)
    result.packed.append(
        str((dst / ACCURACY).relative_to(result.root)) + (" (truncated)" if truncated else "")
    )
    if text:
        # The reference checkers want hash= in every accuracy.txt, truncated or not.
        text = (
            "".join(ln + "\n" for ln in text.splitlines() if not ln.startswith("hash=")) + f"hash={digest}\n"
        )
        (dst / "accuracy.txt").write_text(text, encoding="utf-8")
        result.packed.append(str((dst / "accuracy.txt").relative_to(result.root)))


def _check_seeds(f: Found, run: Path, v: RulesVersion) -> None:
    """A performance or compliance run must carry round ``v``'s seeds (TEST05: its TEST05 seeds)."""
    log = read_detail(run)
    got = [log.get(f"effective_{k}") for k in ("qsl_rng_seed", "sample_index_rng_seed", "schedule_rng_seed")]
    test05 = f.test == "TEST05"
    want = v.test05_seeds if test05 else v.seeds
    assert want is not None
    if got == [want.qsl, want.sample_index, want.schedule]:
        return
    owner = seeds_owner(*got) if all(isinstance(x, int) for x in got) else None
    whose = f"those of {owner}" if owner else "no round's"
    raise PackError(
        f"{log.path}: its seeds ({', '.join(map(str, got))}) are {whose}, not rules {v.name}'s"
        f"{' TEST05' if test05 else ''} seeds: rerun with --rules-version {v.name}, or pack with "
        f"--rules-version {owner.split()[0] if owner else '<the round of these runs>'}"
    )


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
    rules_version: str | None = None,
) -> PackResult:
    """Write ``out/<division>/<submitter>/...`` from run folders for one rules
    version (default: per benchmark, the newest round that has it); raises
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
    benchmarks: dict[str, RulesVersion] = {}
    for f in found:
        try:
            v = resolve(f.config_model, rules_version)
            bench = benchmark_rules(f.config_model, v.name, target)
        except RulesError as e:
            raise PackError(f"{f.folder}: {e}") from e
        key = (bench.name, f.scenario, f.kind, f.test)
        if key in seen:
            raise PackError(
                f"{f.folder}: a second {f.test or f.kind} run of {bench.name} {f.scenario} (the first is "
                f"{seen[key]})"
            )
        seen[key] = f.folder
        if f.scenario not in bench.scenarios:
            raise PackError(
                f"{f.folder}: scenario {f.scenario!r} is not one of {bench.name}'s in rules {v.name} "
                f"({', '.join(bench.scenarios)})"
            )
        if f.scenario == "Server" and v.server_runs > 1:
            raise PackError(
                f"{f.folder}: rules {v.name} need {v.server_runs} Server performance runs (run_1 .. "
                f"run_{v.server_runs}); pack lays out one run per scenario"
            )
        paths = scenario_paths(root, v, system_id, bench.name, f.scenario)
        if f.kind == "performance":
            _check_seeds(f, f.folder, v)
            run_dst = paths.results / "performance" / "run_1"
            for name in PERF_FILES:
                _copy(f.folder / name, run_dst / name, result)
            if v.perf_accuracy_log:
                _copy(f.folder / ACCURACY, run_dst / ACCURACY, result)
            _measurements(v, paths, bench, f, user_conf, weights, weight_data_types, input_data_types, result)
        elif f.kind == "accuracy":
            missed = accuracy_target_failure(f.folder, bench)
            if missed is not None:
                raise PackError(missed)
            for name in ACCURACY_FILES[:2]:
                _copy(f.folder / name, paths.results / "accuracy" / name, result)
            _accuracy_files(f.folder, paths.results / "accuracy", result)
        else:
            if f.test not in bench.tests or paths.compliance is None:
                result.skipped.append(
                    f"{f.folder}: {f.test} is not a compliance test of {bench.name} in rules {v.name} "
                    f"(it needs: {', '.join(bench.tests) or 'none'})"
                )
                continue
            _check_seeds(f, f.folder / "performance" / "run_1", v)
            t = paths.compliance / f.test
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
        benchmarks[bench.name] = v
        result.versions[bench.name] = v.name
    if not benchmarks:
        raise PackError(f"nothing to pack: {'; '.join(result.skipped)}")
    used = sorted({v.name for v in benchmarks.values()})
    if len(used) > 1:
        raise PackError(
            f"the runs are of benchmarks of different rules versions ({', '.join(used)}; "
            f"{', '.join(f'{b}: {v.name}' for b, v in sorted(benchmarks.items()))}): pack one tree per "
            f"version with --rules-version"
        )
    v_tree = next(iter(benchmarks.values()))
    sys_written, dropped = _system_for(system, v_tree)
    if dropped:
        result.skipped.append(
            f"{system_json}: fields rules {v_tree.name} does not know, left out: {', '.join(dropped)}"
        )
    sys_dst = root / "systems" / f"{system_id}.json"
    sys_dst.parent.mkdir(parents=True, exist_ok=True)
    sys_dst.write_text(json.dumps(sys_written, indent=2) + "\n", encoding="utf-8")
    result.packed.append(str(sys_dst.relative_to(root)))
    for name, v in sorted(benchmarks.items()):
        readme = code_dir(root, v, name) / "README.md"
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(
            f"# {name}\n\nRun with loadgen {__version__} (an open implementation of the MLPerf Inference "
            f"LoadGen) and its benchmark harness, for MLPerf Inference rules {v.name}: "
            f"`python benchmarks/<model>/run.py --rules-version {v.name}` with the flags recorded in each "
            f"run's README.md.\n",
            encoding="utf-8",
        )
        result.packed.append(str(readme.relative_to(root)))
    return result


def _measurements(
    v: RulesVersion,
    paths: Any,
    bench: Benchmark,
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
    dst: Path = paths.measurements
    dst.mkdir(parents=True, exist_ok=True)
    (dst / paths.measurements_json).write_text(json.dumps(measurements, indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(user_conf, dst / "user.conf")
    (dst / "mlperf.conf").write_text(mlperf_conf_for(v, builtin_mlperf_conf()), encoding="utf-8")
    backend = info.get("backend", "?")
    tests = " ".join(f"--compliance {t}" for t in bench.tests if t != "TEST04-B")
    (dst / "README.md").write_text(
        f"# {bench.name} {f.scenario} (MLPerf Inference rules {v.name})\n\n"
        f"LoadGen: loadgen {__version__}. Benchmark: {info.get('benchmark', bench.config_model)}, "
        f"backend {backend} {info.get('backend_version', '')}.\n\n"
        f"Reproduce: `python benchmarks/<model>/run.py --rules-version {v.name} --scenario {f.scenario} "
        f"--backend {backend} --official --model <model file> --dataset-path <data>`, then `--accuracy`"
        + (f" and, one at a time, {tests}" if tests else "")
        + " (docs/submission.md).\n",
        encoding="utf-8",
    )
    for name in (paths.measurements_json, "user.conf", "mlperf.conf", "README.md"):
        result.packed.append(str((dst / name).relative_to(result.root)))
