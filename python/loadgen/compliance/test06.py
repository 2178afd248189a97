"""TEST06, the LLM compliance test: output consistency and the EOS exploit.

A short performance run (``mode = 2``) logs 100 sampled responses with their
token fields (``token_data``: the first-token payload, absent in Offline;
``token_count``: the count the SUT reported) into mlperf_log_accuracy.json.
Three checks, each over every logged response, decoded as ``dtype``
(shared/spec/mlperf-rules.md §6):

* First token: the tokens reported by ``FirstTokenComplete`` are the first
  tokens of the final answer. Offline reports no first token: "Skipped".
* EOS: an answer ends with at most one end-of-sequence token (a SUT must not
  pad answers with EOS to look fast). As the reference verification does, an
  answer that is exactly two EOS tokens is allowed.
* Sample length: ``token_count`` equals the number of tokens in the answer.

verify_accuracy.txt gets the three lines the submission checker reads
(``First token check pass: True|False|Skipped``, ``EOS check pass: ...``,
``Sample length check pass: ...``), the reference's closing line
(``TEST06 verification complete|failed``), what failed and where, then
``TEST PASS`` or ``TEST FAIL``. TEST06 has no performance check.

Two points where this is stricter than the reference's script: a log with no
sampled response fails (nothing was checked), and so does, outside Offline, a
response whose ``token_data`` is missing or empty while its answer is not.

    python -m loadgen.compliance.test06 audit-config --model llama3_1-8b
    python -m loadgen.compliance.test06 verify -c TEST06_RUN_DIR [-o OUT] [--eos-token-id 128009]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..rules import TEST01_ACCURACY_LOG_RNG_SEED
from .logs import ACCURACY, DTYPES, LogError, read_accuracy_array, read_detail
from .verdict import Verification

# The audit.config values (shared/spec/mlperf-rules.md §6); the seed is TEST01's.
TEST06_ACCURACY_LOG_SAMPLING_TARGET = 100
TEST06_MIN_QUERY_COUNT = 100

# End-of-sequence ids of the LLMs whose rules name TEST06, by mlperf.conf
# name (their tokenizers' eos / end-of-turn ids). A SUT of another model (the
# embedded SmolLM2) passes its own ids.
EOS_TOKEN_IDS: dict[str, tuple[int, ...]] = {
    "llama2-70b": (2,),
    "llama2-70b-interactive": (2,),
    "mixtral-8x7b": (2,),
    "gptj": (50256,),
    "llama3_1-8b": (128001, 128008, 128009),
    "llama3_1-8b-interactive": (128001, 128008, 128009),
    "llama3_1-8b-edge": (128001, 128008, 128009),
    "llama3_1-405b": (128001, 128008, 128009),
    "llama3_1-405b-interactive": (128001, 128008, 128009),
}
MAX_EXAMPLES = 5


def audit_config_test06(config_model: str = "*") -> str:
    """TEST06's audit.config (model ``*``: LoadGen applies it to the model run)."""
    return (
        f"# TEST06 for {config_model}, written by loadgen (shared/spec/mlperf-rules.md §6)\n"
        "*.*.mode = 2\n"
        f"*.*.accuracy_log_rng_seed = {TEST01_ACCURACY_LOG_RNG_SEED}\n"
        f"*.*.accuracy_log_sampling_target = {TEST06_ACCURACY_LOG_SAMPLING_TARGET}\n"
        f"*.*.min_query_count = {TEST06_MIN_QUERY_COUNT}\n"
        "*.*.min_duration = 0\n"
        "*.*.sample_concatenate_permutation = 0\n"
    )


@dataclass
class TokenEntry:
    """One accuracy-log entry with its token fields (None where absent)."""

    seq_id: int
    qsl_idx: int
    data: bytes
    token_data: bytes | None
    token_count: int | None


def read_token_log(path: str | Path) -> list[TokenEntry]:
    """mlperf_log_accuracy.json (or its folder) with ``token_data`` and ``token_count``."""
    p, raw = read_accuracy_array(path, "TEST06 reads the compliance run's accuracy log")
    out = []
    for i, rec in enumerate(raw):
        try:
            token_data = rec.get("token_data")
            token_count = rec.get("token_count")
            out.append(
                TokenEntry(
                    int(rec["seq_id"]),
                    int(rec["qsl_idx"]),
                    bytes.fromhex(rec["data"]),
                    None if token_data is None else bytes.fromhex(token_data),
                    None if token_count is None else int(token_count),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise LogError(
                f"{p}: entry {i} is not {{seq_id, qsl_idx, data[, token_data, token_count]}} ({err})"
            ) from err
    return out


def _tokens(data: bytes, dtype: str, where: str) -> np.ndarray:
    t = np.dtype(DTYPES[dtype])
    if len(data) % t.itemsize:
        raise ValueError(f"{where}: {len(data)} bytes is not a whole number of {dtype} tokens")
    return np.frombuffer(data, dtype=t)


@dataclass
class Check:
    name: str
    passed: bool | None  # None: skipped
    problems: list[str]

    @property
    def line(self) -> str:
        return f"{self.name} check pass: {'Skipped' if self.passed is None else self.passed}"


def first_token_check(entries: Sequence[TokenEntry], dtype: str) -> Check:
    """Each reported first-token payload must be the answer's first tokens."""
    problems = []
    for e in entries:
        where = f"seq_id {e.seq_id} (qsl_idx {e.qsl_idx})"
        try:
            answer = _tokens(e.data, dtype, where)
            if e.token_data is None:
                problems.append(f"{where}: no token_data (the first token was never reported)")
                continue
            first = _tokens(e.token_data, dtype, where)
        except ValueError as err:
            problems.append(str(err))
            continue
        if len(first) == 0 and len(answer) > 0:
            problems.append(f"{where}: empty token_data but an answer of {len(answer)} tokens")
        elif len(first) > len(answer) or not np.array_equal(first, answer[: len(first)]):
            problems.append(
                f"{where}: first token(s) {first[:4].tolist()} but the answer starts {answer[:4].tolist()}"
            )
    return Check("First token", not problems, problems)


def eos_check(entries: Sequence[TokenEntry], dtype: str, eos_token_ids: Iterable[int]) -> Check:
    """No answer ends with more than one EOS token (except an answer of exactly two)."""
    eos = {int(t) for t in eos_token_ids}
    if not eos:
        raise ValueError("the EOS check needs the model's end-of-sequence token id(s)")
    problems = []
    for e in entries:
        where = f"seq_id {e.seq_id} (qsl_idx {e.qsl_idx})"
        try:
            answer = _tokens(e.data, dtype, where).tolist()
        except ValueError as err:
            problems.append(str(err))
            continue
        trailing = 0
        while trailing < len(answer) and answer[len(answer) - 1 - trailing] in eos:
            trailing += 1
        if trailing >= 2 and len(answer) != 2:
            problems.append(f"{where}: the answer of {len(answer)} tokens ends with {trailing} EOS tokens")
    return Check("EOS", not problems, problems)


def sample_length_check(entries: Sequence[TokenEntry], dtype: str) -> Check:
    """The reported token count of each answer is its length."""
    problems = []
    for e in entries:
        where = f"seq_id {e.seq_id} (qsl_idx {e.qsl_idx})"
        try:
            n = len(_tokens(e.data, dtype, where))
        except ValueError as err:
            problems.append(str(err))
            continue
        if e.token_count is None:
            problems.append(f"{where}: no token_count (was the run made with use_token_latencies?)")
        elif e.token_count != n:
            problems.append(f"{where}: token_count {e.token_count} but the answer has {n} tokens")
    return Check("Sample length", not problems, problems)


def verify_test06(
    entries: Sequence[TokenEntry], scenario: str, eos_token_ids: Iterable[int], dtype: str = "int32"
) -> Verification:
    """The three checks on a TEST06 run's sampled responses."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype {dtype!r}: one of {', '.join(DTYPES)}")
    eos = tuple(int(t) for t in eos_token_ids)
    checks = [
        first_token_check(entries, dtype) if scenario != "Offline" else Check("First token", None, []),
        eos_check(entries, dtype, eos),
        sample_length_check(entries, dtype),
    ]
    ok = bool(entries) and all(c.passed is not False for c in checks)
    lines = [c.line for c in checks]
    lines.append("TEST06 verification complete" if ok else "TEST06 verification failed")
    lines += [
        "",
        f"scenario = {scenario}",
        f"dtype = {dtype}",
        f"eos_token_ids = {list(eos)}",
        f"num_acc_log_entries = {len(entries)}",
    ]
    for c in checks:
        for p in c.problems[:MAX_EXAMPLES]:
            lines.append(f"{c.name} check: {p}")
        if len(c.problems) > MAX_EXAMPLES:
            lines.append(f"{c.name} check: ... and {len(c.problems) - MAX_EXAMPLES} more")
    if not entries:
        reason = "the accuracy log holds no sampled response (nothing was checked)"
    elif ok:
        reason = f"all three checks hold on {len(entries)} sampled responses"
    else:
        failed = [c.name for c in checks if c.passed is False]
        reason = f"{', '.join(failed)} check failed"
    return Verification("TEST06", "accuracy", ok, lines, reason)


def verify_test06_run(
    run_dir: str | Path,
    eos_token_ids: Iterable[int],
    dtype: str = "int32",
    scenario: str | None = None,
    output_dir: str | Path | None = None,
) -> Verification:
    """Verify a TEST06 run's log folder and write the submission's files:
    ``OUT/verify_accuracy.txt`` and ``OUT/accuracy/mlperf_log_accuracy.json``
    (``OUT`` defaults to the run folder). The scenario is read from the run's
    detail log unless given."""
    run = Path(run_dir)
    if scenario is None:
        scenario = read_detail(run).scenario
        if not scenario:
            raise LogError(f"{run}: the detail log names no effective_scenario; give the scenario")
    entries = read_token_log(run)
    result = verify_test06(entries, scenario, eos_token_ids, dtype)
    out = Path(output_dir) if output_dir is not None else run
    result.write(out)
    (out / "accuracy").mkdir(parents=True, exist_ok=True)
    src = run / ACCURACY
    dst = out / "accuracy" / ACCURACY
    if src.resolve() != dst.resolve():
        shutil.copyfile(src, dst)
    return result


def eos_ids_for(config_model: str) -> tuple[int, ...]:
    if config_model not in EOS_TOKEN_IDS:
        known = ", ".join(sorted(EOS_TOKEN_IDS))
        raise ValueError(f"no EOS token ids known for {config_model!r} (known: {known}); give --eos-token-id")
    return EOS_TOKEN_IDS[config_model]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m loadgen.compliance.test06", description=__doc__.split("\n\n")[0]
    )
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("audit-config", help="print TEST06's audit.config")
    a.add_argument("--model", default="*", help="the model's name in mlperf.conf (for the header only)")
    v = sub.add_parser("verify", help="verify a TEST06 run; writes verify_accuracy.txt")
    v.add_argument("-c", "--compliance-dir", required=True, help="the TEST06 run's log folder")
    v.add_argument("-o", "--output", help="where verify_accuracy.txt goes (default: the run folder)")
    v.add_argument("-s", "--scenario", choices=("Offline", "Server", "SingleStream", "MultiStream"))
    v.add_argument("-d", "--dtype", default="int32", choices=sorted(DTYPES))
    v.add_argument("-e", "--eos-token-id", type=int, action="append", help="repeat for several ids")
    v.add_argument("--model", help="take the EOS ids of this mlperf.conf model (e.g. llama3_1-8b)")
    args = ap.parse_args(argv)
    if args.command == "audit-config":
        sys.stdout.write(audit_config_test06(args.model))
        return 0
    try:
        if args.eos_token_id:
            eos: tuple[int, ...] = tuple(args.eos_token_id)
        elif args.model:
            eos = eos_ids_for(args.model)
        else:
            raise ValueError("give the model's EOS token id(s) (--eos-token-id) or --model")
        result = verify_test06_run(args.compliance_dir, eos, args.dtype, args.scenario, args.output)
    except (LogError, ValueError) as e:
        print(f"python -m loadgen.compliance.test06: error: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(result.text)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
