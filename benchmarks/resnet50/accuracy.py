"""Top-1 accuracy of a ResNet50 accuracy log, like the reference's accuracy-imagenet.py.

Standalone::

    python accuracy.py --mlperf-accuracy-file mlperf_log_accuracy.json \\
        --imagenet-val-file val_map.txt [--dtype float32]

prints ``accuracy=XX.XXX%, good=N, total=M`` (the line submission tools
parse), then whether the quality target is met: 99 % of the FP32 reference,
i.e. 75.695 % top-1 on ImageNet (reference 76.46 %). For a data set folder
with a ``dataset.json`` naming its own ``reference_top1`` (the embedded
synthetic set: 100 %), that reference is used instead.

Each response is the predicted ImageNet label as one number (float32 by
default, as the reference harness sends it). A sample logged more than once
counts once (its first record); ``total`` counts the samples in the log.

The harness calls ``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadgen.harness.accuracy import AccuracyResult, decode, first_response_per_sample, read_accuracy_log
from loadgen.harness.embedded import reference_from

IMAGENET_REFERENCE_TOP1 = 76.46  # percent, FP32 reference model (rules)
TARGET_FRACTION = 0.99
DTYPES = ("float32", "int32", "int64")


def reference_top1_for(data_dir: str | Path) -> float:
    """The FP32 reference's top-1 on this data set folder (percent)."""
    return reference_from(data_dir, "reference_top1", IMAGENET_REFERENCE_TOP1)


def evaluate(
    responses: Mapping[int, bytes],
    labels: Sequence[int],
    dtype: str = "float32",
    reference_top1: float | None = IMAGENET_REFERENCE_TOP1,
    verbose: bool = False,
) -> AccuracyResult:
    """Top-1 over the logged samples: response label == ``labels[qsl_idx]``."""
    good = 0
    total = 0
    wrong: list[tuple[int, int, int]] = []
    for idx in sorted(responses):
        if idx >= len(labels):
            raise ValueError(f"qsl_idx {idx} is beyond the {len(labels)} labels of the image list")
        values = decode(responses[idx], dtype)
        if values.size == 0:
            predicted = None  # an empty response (e.g. a failed batch) is wrong
        else:
            predicted = int(values[0])
        expected = int(labels[idx])
        total += 1
        if predicted == expected:
            good += 1
        elif verbose:
            wrong.append((idx, -1 if predicted is None else predicted, expected))
    if verbose:
        for idx, p, e in wrong:
            print(f"qsl_idx {idx}: predicted {p}, expected {e}")
    top1 = 100.0 * good / total if total else 0.0
    line = f"accuracy={top1:.3f}%, good={good}, total={total}"
    target = None if reference_top1 is None else reference_top1 * TARGET_FRACTION
    return AccuracyResult(
        metric="top-1 accuracy (%)",
        value=top1,
        line=line,
        reference=reference_top1,
        target=target,
        target_fraction=TARGET_FRACTION,
        details={"good": good, "total": total},
    )


def read_labels(val_map: str | Path) -> list[int]:
    labels = []
    with open(val_map, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if words:
                labels.append(int(words[1]))
    return labels


def score_for_harness(accuracy_log: str, dataset, opts) -> AccuracyResult:
    """The harness's accuracy hook: labels from the Dataset the run used (so
    ``--count`` and skipped missing images line up with the QSL indices)."""
    responses = first_response_per_sample(read_accuracy_log(accuracy_log))
    return evaluate(responses, dataset.labels.tolist(), reference_top1=reference_top1_for(dataset.data_path))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="ImageNet top-1 accuracy of an MLPerf accuracy log")
    p.add_argument("--mlperf-accuracy-file", required=True, help="mlperf_log_accuracy.json")
    p.add_argument("--imagenet-val-file", required=True, help="val_map.txt")
    p.add_argument("--dtype", default="float32", choices=DTYPES, help="data type of the label in a response")
    p.add_argument(
        "--reference-accuracy",
        type=float,
        help="FP32 reference top-1 in percent (default: dataset.json beside the val file, "
        f"else {IMAGENET_REFERENCE_TOP1})",
    )
    p.add_argument("--verbose", action="store_true", help="list the wrong predictions")
    args = p.parse_args(argv)
    responses = first_response_per_sample(read_accuracy_log(args.mlperf_accuracy_file))
    ref = args.reference_accuracy
    if ref is None:
        ref = reference_top1_for(Path(args.imagenet_val_file).parent)
    result = evaluate(responses, read_labels(args.imagenet_val_file), args.dtype, ref, args.verbose)
    print(result.line)
    print(result.target_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
