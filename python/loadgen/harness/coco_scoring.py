"""Scoring COCO detections: responses to pycocotools result records, the bbox
mAP (pycocotools' ``COCOeval``, imported on first use), the reference mAP of a
data folder, and the standalone ``accuracy.py`` both SSD benchmarks ship
(``loadgen.harness.coco``)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .accuracy import AccuracyResult
from .coco_dataset import image_list, read_annotations
from .coco_format import ANNOTATION_FILE, IMAGE_FOLDER, TARGET_FRACTION, decode_payload, inverse_label_map


def coco_results(
    responses: Mapping[int, bytes],
    images: Sequence[Mapping[str, Any]],
    inv_map: Sequence[int] | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Responses -> pycocotools result records (``image_id``, ``category_id``,
    ``bbox`` [x, y, w, h] in pixels, ``score``) and the ids of the images seen."""
    results: list[dict[str, Any]] = []
    seen: list[int] = []
    mismatched = 0
    for idx in sorted(responses):
        if idx >= len(images):
            raise ValueError(f"qsl_idx {idx} is beyond the {len(images)} images of the data set")
        img = images[idx]
        seen.append(int(img["id"]))
        recs = decode_payload(responses[idx])
        h, w = float(img["height"]), float(img["width"])
        for rec in recs:
            if int(rec[0]) != idx:
                mismatched += 1
            ymin, xmin, ymax, xmax = (float(v) for v in rec[1:5])
            cls = int(rec[6])
            if inv_map is not None:
                if not 0 < cls < len(inv_map):
                    raise ValueError(f"qsl_idx {idx}: class {cls} is outside 1..{len(inv_map) - 1}")
                cls = inv_map[cls]
            results.append(
                {
                    "image_id": int(img["id"]),
                    "category_id": cls,
                    "bbox": [xmin * w, ymin * h, (xmax - xmin) * w, (ymax - ymin) * h],
                    "score": float(rec[5]),
                }
            )
    if mismatched and warn is not None:
        warn(f"warning: {mismatched} detection records carry a qsl_index other than their log record's")
    return results, seen


def coco_map(
    annotation_file: str | Path,
    results: Sequence[Mapping[str, Any]],
    image_ids: Sequence[int],
    verbose: bool = False,
) -> tuple[float, list[float]]:
    """pycocotools' bbox mAP (0..1) over ``image_ids`` and the 12 summary stats.

    pycocotools' own printing goes to stdout only with ``verbose``.
    """
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError as e:
        raise ImportError(f"scoring COCO needs pycocotools ({e}); pip install 'loadgen[benchmarks]'") from e
    sink: Any = contextlib.nullcontext() if verbose else contextlib.redirect_stdout(io.StringIO())
    with sink:
        gt = COCO(str(annotation_file))
        if results:
            dt = gt.loadRes([dict(r) for r in results])
        else:
            dt = COCO()  # no detections at all: every image is all-missed
            dt.dataset = {"images": gt.dataset["images"], "categories": gt.dataset["categories"]}
            dt.dataset["annotations"] = []
            dt.createIndex()
        ev = COCOeval(gt, dt, iouType="bbox")
        ev.params.imgIds = list(image_ids)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    stats = [float(s) for s in ev.stats]
    return max(stats[0], 0.0), stats  # -1 (no ground truth at all) counts as 0


def reference_map_for(data_dir: str | Path, default: float) -> float:
    """The FP32 reference mAP (percent) for this data folder: ``dataset.json``'s
    ``reference_map`` (the embedded default), else the rules' value."""
    info = Path(data_dir) / "dataset.json"
    if info.is_file():
        ref = json.loads(info.read_text(encoding="utf-8")).get("reference_map")
        if ref is not None:
            return float(ref)
    return default


def evaluate(
    responses: Mapping[int, bytes],
    images: Sequence[Mapping[str, Any]],
    annotation_file: str | Path,
    use_inv_map: bool,
    reference_map: float | None,
    verbose: bool = False,
    warn: Callable[[str], None] | None = None,
) -> AccuracyResult:
    """mAP of the logged responses, as an ``AccuracyResult`` with the reference line."""
    inv = None
    if use_inv_map:
        with open(annotation_file, encoding="utf-8") as f:
            inv = inverse_label_map([c["id"] for c in json.load(f)["categories"]])
    results, seen = coco_results(responses, images, inv, warn)
    m, stats = coco_map(annotation_file, results, seen, verbose)
    value = 100.0 * m
    return AccuracyResult(
        metric="mAP (%)",
        value=value,
        line=f"mAP={value:.3f}%",
        reference=reference_map,
        target=None if reference_map is None else reference_map * TARGET_FRACTION,
        target_fraction=TARGET_FRACTION,
        details={"images": len(seen), "detections": len(results), "stats": stats},
    )


def accuracy_main(
    argv: Sequence[str] | None, model_name: str, reference_map: float, use_inv_map_default: bool
) -> int:
    """An SSD ``accuracy.py``'s command line (the reference's accuracy-coco.py flags)::

        python accuracy.py --mlperf-accuracy-file mlperf_log_accuracy.json --coco-dir /data/coco2017

    prints pycocotools' summary, ``mAP=XX.XXX%`` (the line submission tools
    parse), then whether the quality target is met: 99 % of the FP32
    reference, ``reference_map`` unless ``--coco-dir`` has a ``dataset.json``
    naming its own ``reference_map`` (the embedded synthetic set)."""
    import argparse
    import sys

    p = argparse.ArgumentParser(description=f"COCO mAP of an MLPerf {model_name} accuracy log (pycocotools)")
    p.add_argument("--mlperf-accuracy-file", required=True, help="mlperf_log_accuracy.json")
    p.add_argument("--coco-dir", required=True, help=f"folder with {ANNOTATION_FILE} and {IMAGE_FOLDER}/")
    p.add_argument(
        "--use-inv-map",
        action=argparse.BooleanOptionalAction,
        default=use_inv_map_default,
        help="classes in the payload are 1..80 ranks, mapped to COCO category ids",
    )
    p.add_argument(
        "--remove-48-empty-images",
        action="store_true",
        help="the QSL held only images with annotations (annotation-file order)",
    )
    p.add_argument("--output-file", default="coco-results.json", help="detections in COCO result format")
    p.add_argument(
        "--reference-map",
        type=float,
        help=f"FP32 reference mAP in percent (default: dataset.json in --coco-dir, else {reference_map})",
    )
    p.add_argument("--verbose", action="store_true", help="pycocotools' loading messages too")
    args = p.parse_args(argv)
    images = image_list(read_annotations(args.coco_dir), args.remove_48_empty_images)
    present = [img for img in images if (Path(args.coco_dir) / IMAGE_FOLDER / img["file_name"]).is_file()]
    if len(present) != len(images):
        print(
            f"warning: {len(images) - len(present)} listed images have no file; QSL indices follow the "
            f"{len(present)} present ones, as the benchmark's data set does",
            file=sys.stderr,
        )
    responses = first_response_per_sample_from(args.mlperf_accuracy_file)
    ref = (
        args.reference_map
        if args.reference_map is not None
        else reference_map_for(args.coco_dir, reference_map)
    )
    ann = Path(args.coco_dir) / ANNOTATION_FILE
    inv = None
    if args.use_inv_map:
        inv = inverse_label_map([c["id"] for c in read_annotations(args.coco_dir)["categories"]])
    results, seen = coco_results(responses, present, inv, warn=lambda s: print(s, file=sys.stderr))
    Path(args.output_file).write_text(json.dumps(results), encoding="utf-8")
    m, _stats = coco_map(ann, results, seen, verbose=True)
    value = 100.0 * m
    result = AccuracyResult(
        metric="mAP (%)",
        value=value,
        line=f"mAP={value:.3f}%",
        reference=ref,
        target=ref * TARGET_FRACTION,
        target_fraction=TARGET_FRACTION,
        details={"images": len(seen), "detections": len(results)},
    )
    print(result.line)
    print(result.target_line())
    return 0


def first_response_per_sample_from(path: str | Path) -> dict[int, bytes]:
    from .accuracy import first_response_per_sample, read_accuracy_log

    return first_response_per_sample(read_accuracy_log(path))
