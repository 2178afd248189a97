"""AUC of a DLRM accuracy log, like the reference's accuracy-dlrm.py.

Standalone::

    python accuracy.py --mlperf-accuracy-file mlperf_log_accuracy.json [--dtype float32]
    python accuracy.py --mlperf-accuracy-file mlperf_log_accuracy.json \\
        --day-23-file day_23 --aggregation-trace-file dlrm_trace_of_aggregated_samples.txt

prints ``AUC=XX.XXX%, accuracy=XX.XXX%, good=N, total=M, queries=Q`` (the line
submission tools parse), then whether the quality targets are met: 99 % and
99.9 % of the FP32 reference (dlrm-99 and dlrm-99.9), i.e. 79.448 % and
80.170 % of AUC 80.25 % on Criteo Terabyte. For the embedded synthetic set the
reference is the FP32 model's AUC on it, read from ``dataset.json`` beside the
day file (or give ``--reference-auc``).

Each response is one group: its pairs as ``[prediction, label]`` (float32 by
default). With ``--day-23-file`` and ``--aggregation-trace-file`` a response
holds predictions only, and the labels are read from the day file at the
trace's rows. A group logged more than once counts once (its first record).
AUC is ``sklearn.metrics.roc_auc_score`` over all pairs; accuracy is the share
of pairs whose rounded prediction equals the label; ``total`` counts pairs and
``queries`` groups.

The harness calls ``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from loadgen.harness.accuracy import AccuracyResult, decode, first_response_per_sample, read_accuracy_log
from loadgen.harness.embedded import reference_from

CRITEO_REFERENCE_AUC = 80.25  # percent, the FP32 reference model (rules)
TARGETS = (0.99, 0.999)  # dlrm-99, dlrm-99.9
DTYPES = ("float32", "int32", "int64")


@dataclass
class AucResult(AccuracyResult):
    """An AccuracyResult whose target line reports both quality targets."""

    def target_line(self) -> str:
        if self.reference is None:
            return super().target_line()
        parts = []
        for frac in TARGETS:
            target = self.reference * frac
            verdict = "PASSED" if self.value >= target else "FAILED"
            parts.append(
                f"dlrm-{frac * 100:g}: AUC >= {target:.3f} ({frac * 100:g}% of {self.reference:.3f}): {verdict}"
            )
        return "quality target: " + "; ".join(parts)


def reference_auc_for(data_dir: str | Path) -> float:
    """The FP32 reference's AUC (percent) on the data in this folder."""
    return reference_from(data_dir, "reference_auc", CRITEO_REFERENCE_AUC)


def evaluate(
    responses: Mapping[int, bytes],
    dtype: str = "float32",
    labels_of: Mapping[int, np.ndarray] | None = None,
    reference_auc: float | None = CRITEO_REFERENCE_AUC,
) -> AucResult:
    """AUC over the pairs of all logged groups (in qsl_idx order).

    Without ``labels_of`` each response is ``[prediction, label]`` pairs; with
    it, predictions only, and ``labels_of[qsl_idx]`` gives the labels.
    """
    from sklearn.metrics import roc_auc_score

    preds, labels = [], []
    for idx in sorted(responses):
        values = decode(responses[idx], dtype).astype(np.float64)
        if labels_of is None:
            if values.size == 0 or values.size % 2:
                raise ValueError(
                    f"qsl_idx {idx}: a response of {values.size} {dtype} values is not [prediction, label] pairs"
                )
            pairs = values.reshape(-1, 2)
            preds.append(pairs[:, 0])
            labels.append(pairs[:, 1])
        else:
            if idx not in labels_of:
                raise ValueError(f"qsl_idx {idx} is beyond the groups of the trace file")
            y = np.asarray(labels_of[idx], np.float64)
            if values.size != y.size:
                raise ValueError(f"qsl_idx {idx}: {values.size} predictions for a group of {y.size} pairs")
            preds.append(values)
            labels.append(y)
    if not preds:
        raise ValueError("the accuracy log holds no responses")
    p, y = np.concatenate(preds), np.concatenate(labels)
    auc = 100.0 * float(roc_auc_score(y, p))
    good = int((np.round(p) == y).sum())
    total = len(p)
    line = f"AUC={auc:.3f}%, accuracy={100.0 * good / total:.3f}%, good={good}, total={total}, queries={len(preds)}"
    return AucResult(
        metric="AUC (%)",
        value=auc,
        line=line,
        reference=reference_auc,
        target=None if reference_auc is None else reference_auc * TARGETS[0],
        target_fraction=TARGETS[0],
        details={"good": good, "total": total, "queries": len(preds)},
    )


def labels_from_day_file(day_file: str | Path, offsets: np.ndarray) -> dict[int, np.ndarray]:
    """Each trace group's labels, read from a raw day file (streamed, only as
    far as the last group)."""
    from dlrm import criteo

    stop = int(offsets[-1])
    y = np.concatenate([lab for lab, _, _ in criteo.iter_raw_rows(day_file, stop=stop)])
    if len(y) < stop:
        raise ValueError(f"{day_file}: {len(y)} rows, but the trace reaches row {stop}")
    return {i: y[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)}


def score_for_harness(accuracy_log: str, dataset, opts) -> AccuracyResult:
    """The harness's accuracy hook: the responses carry their labels."""
    responses = first_response_per_sample(read_accuracy_log(accuracy_log))
    return evaluate(responses, reference_auc=reference_auc_for(dataset.data_path))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="AUC of an MLPerf DLRM accuracy log")
    p.add_argument("--mlperf-accuracy-file", required=True, help="mlperf_log_accuracy.json")
    p.add_argument("--day-23-file", help="raw day_23, for logs whose responses hold predictions only")
    p.add_argument(
        "--aggregation-trace-file", help="the groups' 'start, end, count' trace (with --day-23-file)"
    )
    p.add_argument("--dtype", default="float32", choices=DTYPES, help="data type of the response values")
    p.add_argument(
        "--reference-auc",
        type=float,
        help=f"FP32 reference AUC in percent (default: dataset.json beside --day-23-file, else "
        f"{CRITEO_REFERENCE_AUC})",
    )
    args = p.parse_args(argv)
    if bool(args.day_23_file) != bool(args.aggregation_trace_file):
        p.error("--day-23-file and --aggregation-trace-file go together")
    responses = first_response_per_sample(read_accuracy_log(args.mlperf_accuracy_file))
    labels_of = None
    ref = args.reference_auc
    if args.day_23_file:
        from dlrm import criteo

        labels_of = labels_from_day_file(args.day_23_file, criteo.read_trace(args.aggregation_trace_file))
        if ref is None:
            ref = reference_auc_for(Path(args.day_23_file).parent)
    result = evaluate(responses, args.dtype, labels_of, CRITEO_REFERENCE_AUC if ref is None else ref)
    print(result.line)
    print(result.target_line())
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
