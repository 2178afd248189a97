"""DICE of a 3D-UNet accuracy log on KiTS19, like the reference's accuracy_kits.py.

Standalone::

    python accuracy.py --log_file mlperf_log_accuracy.json \\
        --preprocessed_data_dir <cache>/preprocessed/<data>-<hash>-p128-v1 \\
        --postprocessed_data_dir postprocessed [--output_dtype uint8]

(the preprocessed folder is the one ``run.py`` prints while preprocessing;
``--log-file``-style spellings work too). Each response is reshaped to its
case's ``image_shape`` from ``preprocessed_files.json`` and written as
``<postprocessed>/<case>/prediction.nii.gz`` with the case's resampled
affine; each prediction is compared with ``nifti/<case>/segmentation.nii.gz``
of the preprocessed folder. Per case and class (background dropped),
DICE = (2 |P & G| + 1e-6) / (|P| + |G| + 1e-6), where "kidney" is class 1
alone and "tumor" class 2, and the composite is their mean; per-case rows go
to ``<postprocessed>/summary.csv`` with a ``mean`` row (NaN counts as 0).
It prints ``Accuracy: mean = <m>, kidney = <k>, tumor = <t>`` (the line
submission tools parse), then both quality targets: 99 % and 99.9 % of the
FP32 reference's mean DICE 0.86170 (3d-unet-99: 0.85308, 3d-unet-99.9:
0.86084). For the embedded synthetic data set, whose ``dataset.json`` names
its own reference (1.0: its labels are the FP32 model's prediction), that
reference is used instead.

The harness calls ``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from loadgen.harness.accuracy import AccuracyResult, decode, first_response_per_sample, read_accuracy_log
from loadgen.harness.embedded import dataset_json_value

KITS_REFERENCE_DICE = 0.86170  # mean DICE of the FP32 reference model on the 43 inference cases
TARGET_FRACTIONS = (0.99, 0.999)  # 3d-unet-99, 3d-unet-99.9
NUM_CLASSES = 3
SMOOTH = 1e-6
DTYPES = ("int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64")


def dice_per_class(prediction: np.ndarray, target: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """DICE of classes 1..num_classes-1 (background dropped), each class alone:
    (2 |P & G| + 1e-6) / (|P| + |G| + 1e-6). A class absent from both scores 1."""
    if prediction.shape != target.shape:
        raise ValueError(f"prediction {prediction.shape} and ground truth {target.shape} differ in shape")
    p = prediction.ravel().astype(np.int64)
    g = target.ravel().astype(np.int64)
    for name, a in (("prediction", p), ("ground truth", g)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"{name} has class values outside 0..{num_classes - 1}: {np.unique(a)[:8]}")
    p_count = np.bincount(p, minlength=num_classes)
    g_count = np.bincount(g, minlength=num_classes)
    both = np.bincount(p[p == g], minlength=num_classes)
    return ((2.0 * both + SMOOTH) / (p_count + g_count + SMOOTH))[1:]


@dataclass
class KitsAccuracy(AccuracyResult):
    """An AccuracyResult that reports both quality targets (99 % and 99.9 %)."""

    def target_line(self) -> str:
        if self.reference is None:
            return super().target_line()
        parts = []
        for frac in TARGET_FRACTIONS:
            t = self.reference * frac
            verdict = "PASSED" if self.value >= t else "FAILED"
            parts.append(f"3d-unet-{frac * 100:g}: mean DICE >= {t:.5f}: {verdict}")
        return f"quality targets ({'; '.join(parts)}) of the FP32 reference {self.reference:.5f}"


def read_preprocessed_info(preprocessed_dir: str | Path) -> dict[str, Any]:
    path = Path(preprocessed_dir) / "preprocessed_files.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: not found; --preprocessed_data_dir must be the folder run.py preprocessed into"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def evaluate(
    responses: Mapping[int, bytes],
    preprocessed_dir: str | Path,
    postprocessed_dir: str | Path | None,
    dtype: str = "uint8",
    reference: float | None = KITS_REFERENCE_DICE,
    file_list: Sequence[str] | None = None,
) -> KitsAccuracy:
    """DICE over the logged samples. ``file_list`` (default: the preprocessed
    folder's) maps qsl_idx to case; predictions are written as NIfTI files
    under ``postprocessed_dir`` (skipped if None)."""
    import nibabel as nib

    info = read_preprocessed_info(preprocessed_dir)
    files = list(file_list if file_list is not None else info["file_list"])
    aux = info["cases"]
    rows: list[tuple[str, float, float]] = []
    for idx in sorted(responses):
        if not 0 <= idx < len(files):
            raise ValueError(f"qsl_idx {idx} is beyond the {len(files)} cases of the case list")
        case = files[idx]
        shape = tuple(aux[case]["image_shape"])
        values = decode(responses[idx], dtype)
        if values.size != int(np.prod(shape)):
            # An empty or short response (a failed batch): the case scores 0.
            rows.append((case, 0.0, 0.0))
            continue
        pred = values.reshape(shape)[0].astype(np.uint8)
        affine = np.asarray(aux[case]["reshaped_affine"], dtype=np.float64)
        if postprocessed_dir is not None:
            out = Path(postprocessed_dir) / case / "prediction.nii.gz"
            out.parent.mkdir(parents=True, exist_ok=True)
            nib.save(nib.Nifti1Image(pred, affine=affine), str(out))
        gt_path = Path(preprocessed_dir) / "nifti" / case / "segmentation.nii.gz"
        gt = np.asarray(nib.load(str(gt_path)).dataobj).astype(np.uint8)
        kidney, tumor = dice_per_class(pred, gt)
        rows.append((case, float(kidney), float(tumor)))
    if not rows:
        raise ValueError("the accuracy log has no responses")
    arr = np.nan_to_num(np.array([[k, t, (k + t) / 2] for _, k, t in rows]), nan=0.0)
    kidney, tumor, mean = (float(v) for v in arr.mean(axis=0))
    if postprocessed_dir is not None:
        Path(postprocessed_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(postprocessed_dir) / "summary.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["case", "composite", "kidney", "tumor"])
            for (case, k, t), r in zip(rows, arr):
                w.writerow([case, r[2], k, t])
            w.writerow(["mean", mean, kidney, tumor])
    line = f"Accuracy: mean = {mean:.5f}, kidney = {kidney:.4f}, tumor = {tumor:.4f}"
    return KitsAccuracy(
        metric="mean DICE",
        value=mean,
        line=line,
        reference=reference,
        target=None if reference is None else reference * TARGET_FRACTIONS[0],
        target_fraction=TARGET_FRACTIONS[0],
        details={"kidney": kidney, "tumor": tumor, "cases": len(rows), "per_case": rows},
    )


def reference_for(data_dir: str | Path | None) -> float:
    """The FP32 reference's mean DICE for a data folder: its dataset.json's (the
    embedded set), else KiTS19's 0.86170."""
    if data_dir is not None:
        for folder in (Path(data_dir), Path(data_dir).parent):
            ref = (dataset_json_value(folder, "reference_dice") or {}).get("mean")
            if ref is not None:
                return float(ref)
    return KITS_REFERENCE_DICE


def score_for_harness(accuracy_log: str, dataset, opts) -> KitsAccuracy:
    """The harness's accuracy hook: the cases of the Dataset the run used, the
    predictions written beside the log (``postprocessed/``)."""
    responses = first_response_per_sample(read_accuracy_log(accuracy_log))
    return evaluate(
        responses,
        dataset.preprocessed_dir,
        Path(accuracy_log).parent / "postprocessed",
        reference=reference_for(dataset.data_path),
        file_list=dataset.cases,
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="KiTS19 DICE of a 3D-UNet MLPerf accuracy log")
    p.add_argument("--log_file", "--log-file", required=True, help="mlperf_log_accuracy.json")
    p.add_argument(
        "--preprocessed_data_dir",
        "--preprocessed-data-dir",
        required=True,
        help="the preprocessed folder (preprocessed_files.json, nifti/<case>/segmentation.nii.gz)",
    )
    p.add_argument(
        "--postprocessed_data_dir",
        "--postprocessed-data-dir",
        default="postprocessed",
        help="where prediction.nii.gz files and summary.csv go",
    )
    p.add_argument("--output_dtype", "--output-dtype", default="uint8", choices=DTYPES)
    p.add_argument(
        "--reference-dice",
        type=float,
        help=f"FP32 reference mean DICE (default: the data set's dataset.json, else {KITS_REFERENCE_DICE})",
    )
    p.add_argument("--dataset-path", help="the raw data folder, to find an embedded set's dataset.json")
    args = p.parse_args(argv)
    responses = first_response_per_sample(read_accuracy_log(args.log_file))
    ref = args.reference_dice
    if ref is None:
        data = args.dataset_path or read_preprocessed_info(args.preprocessed_data_dir).get("data_path")
        ref = reference_for(data)
    result = evaluate(
        responses, args.preprocessed_data_dir, args.postprocessed_data_dir, args.output_dtype, ref
    )
    print(result.line)
    print(result.target_line())
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
