"""The embedded default: a synthetic ``day_23`` in the raw Criteo text format
and a fixed-seed DLRM, made once per cache folder:

    <cache>/synthetic-v1-<rows>-m<max_ind_range>/
        day_23                       raw text, read through the same code as the real file
        dlrm_seed0.pt                the FP32 reference model (a DLRM state dict)
        dlrm_seed0.onnx              the same weights with the reference's interface
        dataset.json                 what this is, and the FP32 model's AUC (written last)

Like the reference's fake-data generator (``quickgen.py``): dense integers
0-9, categorical values uniform below each table's size, printed as 8-digit
hex. Unlike it, some fields are empty (as in real Criteo data), the second
dense column also takes -3..-1 (real data has such values; they read as 0),
and each hex value is a 32-bit number whose residue modulo ``max_ind_range``
is the table row, so that the modulo step is exercised too.

Labels of the test half (the first ceil(n/2) rows, the only ones the
benchmark reads) come from the fixed-seed FP32 model's own scores, by this
rule: rank the scores (ties by row), u = (rank + 0.5) / n, draw
z ~ N(0, 1) (legacy NumPy generator, seed 7), and label = 1 where
u + NOISE * z >= THRESHOLD. The ranks are uniform whatever the model,
so the rule gives an AUC near LABEL_RULE_AUC (about 80 %, like the real
benchmark's 80.25 %; about 30 % positives); the exact FP32 AUC, computed with scikit-learn when the
set is made, is stored in ``dataset.json`` as ``reference_auc`` and is the
quality reference. The second half's labels are random, as quickgen's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from loadgen.harness.cache import AssetFolder, build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir

from . import criteo

VERSION = 1
SEED = 0
LABEL_SEED = 7
DEFAULT_ROWS = 1_100_000  # test half 550,000 pairs: about 2,040 groups of mean 270
DEFAULT_MAX_IND_RANGE = 4096
THRESHOLD = 0.75
NOISE = 0.38
LABEL_RULE_AUC = 0.80  # what the rule gives, approximately (the exact value is in dataset.json)
MISSING_DENSE = 0.05
MISSING_CAT = 0.03
MODEL_STEM = f"dlrm_seed{SEED}"
MAX_TABLE_GB = 1.0
CHUNK = 100_000  # rows written per block
SCORE_CHUNK = 16_384  # pairs scored per torch call (bounds the activations: ~0.6 GB)


@dataclass(frozen=True)
class DefaultAssets(AssetFolder):
    rows: int
    max_ind_range: int
    FILES: ClassVar[dict[str, str]] = {
        "data_dir": ".",
        "onnx_model": f"{MODEL_STEM}.onnx",
        "torch_state_dict": f"{MODEL_STEM}.pt",
    }


default_cache_dir = partial(_cache_dir, "dlrm")


def draw_raw_values(rows: int, table_sizes, max_ind_range: int, seed: int = SEED):
    """Raw values: dense int64 ``[rows, 13]`` and its empty-field mask, 32-bit
    hashes ``[rows, 26]`` (``hash % max_ind_range`` < the table's size) and
    their empty-field mask."""
    rs = np.random.RandomState(seed + 1)
    dense = rs.randint(0, 10, (rows, criteo.NUM_DENSE)).astype(np.int64)
    dense[:, 1] = rs.randint(-3, 10, rows)
    dense_missing = rs.random_sample((rows, criteo.NUM_DENSE)) < MISSING_DENSE
    rows_ = np.stack([rs.randint(0, n, rows) for n in table_sizes], axis=1).astype(np.int64)
    wraps = np.stack(
        [rs.randint(0, (2**32 - n) // max_ind_range + 1, rows) for n in table_sizes], axis=1
    ).astype(np.int64)
    hashes = rows_ + wraps * max_ind_range  # < 2**32, and hashes % max_ind_range = rows_
    cat_missing = rs.random_sample((rows, criteo.NUM_CAT)) < MISSING_CAT
    return dense, dense_missing, hashes, cat_missing


_HEXCHARS = np.frombuffer(b"0123456789abcdef", np.uint8)


def format_lines(labels, dense, dense_missing, hashes, cat_missing) -> bytes:
    """Raw Criteo lines: label, 13 decimal integers, 26 8-digit hex values,
    tab-separated; missing fields empty. Vectorised: a fixed-width byte grid
    whose padding is dropped."""
    n = len(labels)
    width = 1 + criteo.NUM_DENSE * 3 + criteo.NUM_CAT * 9 + 1
    grid = np.zeros((n, width), np.uint8)
    keep = np.ones((n, width), bool)
    grid[:, 0] = 48 + labels
    col = 1
    for j in range(criteo.NUM_DENSE):
        v = dense[:, j]
        grid[:, col] = 9
        grid[:, col + 1] = np.where(v < 0, ord("-"), 0)
        grid[:, col + 2] = 48 + np.abs(v)
        keep[:, col + 1] = v < 0
        keep[:, col + 1] &= ~dense_missing[:, j]
        keep[:, col + 2] = ~dense_missing[:, j]
        col += 3
    for j in range(criteo.NUM_CAT):
        h = hashes[:, j]
        grid[:, col] = 9
        for d in range(8):
            grid[:, col + 1 + d] = _HEXCHARS[(h >> (4 * (7 - d))) & 15]
            keep[:, col + 1 + d] = ~cat_missing[:, j]
        col += 9
    grid[:, col] = 10
    return grid[keep].tobytes()


def features_as_read(dense, dense_missing, hashes, cat_missing, max_ind_range, dicts):
    """What criteo.build_test_half makes of these raw values (empty = 0)."""
    d = np.where(dense_missing, 0, dense)
    cats = np.where(cat_missing, 0, hashes) % max_ind_range
    ids = np.stack([dicts[j].map(cats[:, j]) % max_ind_range for j in range(criteo.NUM_CAT)])
    return criteo.dense_transform(d), ids


def labels_from_scores(scores: np.ndarray, seed: int = LABEL_SEED) -> np.ndarray:
    """The documented rule (module docstring): rank + noise above a threshold."""
    n = len(scores)
    rank = np.empty(n, np.int64)
    rank[np.argsort(scores, kind="stable")] = np.arange(n)
    u = (rank + 0.5) / n
    z = np.random.RandomState(seed).standard_normal(n)
    return (u + NOISE * z >= THRESHOLD).astype(np.int64)


def ensure_default_assets(
    cache_dir: str | Path,
    rows: int = DEFAULT_ROWS,
    max_ind_range: int = DEFAULT_MAX_IND_RANGE,
    log=print,
) -> DefaultAssets:
    """The default data set and models under ``cache_dir``, made if missing
    (needs torch, onnx and scikit-learn the first time)."""
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{rows}-m{max_ind_range}"
    if (folder / "dataset.json").is_file():
        return DefaultAssets(folder, rows, max_ind_range)
    table_gb = sum(criteo.table_sizes_for(max_ind_range)) * 128 * 4 / 1e9
    if table_gb > MAX_TABLE_GB:
        raise ValueError(
            f"--max-ind-range {max_ind_range}: the embedded default's tables would take {table_gb:.1f} GB; it "
            f"keeps them under {MAX_TABLE_GB} GB (one ONNX file). Give --dataset-path and --model for big tables."
        )
    if rows < 2:
        raise ValueError(f"--synthetic-rows {rows}: need at least 2 rows")
    try:
        import torch
        from sklearn.metrics import roc_auc_score

        from . import model as dlrm
    except ImportError as e:
        raise ImportError(
            f"making the embedded default needs torch, onnx and scikit-learn ({e}); "
            f"pip install 'loadgen[benchmarks]', or give --dataset-path and --model"
        ) from e

    sizes = dlrm.table_sizes_for(max_ind_range)
    log(
        f"making the embedded default (once): {rows} rows of raw Criteo text and a fixed-seed DLRM "
        f"({sum(sizes)} table rows) in {folder}"
    )

    def build(tmp: Path) -> None:
        net = dlrm.make_fixed_seed_model(sizes, seed=SEED)
        torch.save(net.state_dict(), tmp / f"{MODEL_STEM}.pt")
        dlrm.export_onnx(net.state_dict(), tmp / f"{MODEL_STEM}.onnx")
        test_rows = math.ceil(rows / 2)
        dense, dense_missing, hashes, cat_missing = draw_raw_values(rows, sizes, max_ind_range)
        dicts = [criteo.FirstSeenIds() for _ in range(criteo.NUM_CAT)]
        scores = np.empty(test_rows, np.float32)
        with torch.inference_mode():
            for s in range(0, test_rows, SCORE_CHUNK):
                e = min(s + SCORE_CHUNK, test_rows)
                x, ids = features_as_read(
                    dense[s:e], dense_missing[s:e], hashes[s:e], cat_missing[s:e], max_ind_range, dicts
                )
                off = torch.arange(e - s).expand(criteo.NUM_CAT, e - s).contiguous()
                scores[s:e] = net(torch.from_numpy(x), off, torch.from_numpy(ids)).numpy().reshape(-1)
        labels = np.empty(rows, np.int64)
        labels[:test_rows] = labels_from_scores(scores)
        labels[test_rows:] = np.random.RandomState(SEED + 2).randint(0, 2, rows - test_rows)
        with open(tmp / criteo.RAW_DAY, "wb") as f:
            for s in range(0, rows, CHUNK):
                e = min(s + CHUNK, rows)
                f.write(
                    format_lines(labels[s:e], dense[s:e], dense_missing[s:e], hashes[s:e], cat_missing[s:e])
                )
        auc = float(roc_auc_score(labels[:test_rows], scores))
        groups = len(criteo.draw_group_offsets(test_rows)) - 1
        info = {
            "what": "synthetic Criteo Terabyte day_23 (raw text) for DLRM; test-half labels from the fixed-seed "
            "FP32 model's own scores by a documented rule (a pipeline and equivalence check, not a Criteo result)",
            "version": VERSION,
            "seed": SEED,
            "rows": rows,
            "test_rows": test_rows,
            "groups": groups,
            "max_ind_range": max_ind_range,
            "table_sizes": list(sizes),
            "label_rule": f"u = (rank(score) + 0.5) / n; label = u + {NOISE} * N(0,1)[seed {LABEL_SEED}] >= "
            f"{THRESHOLD}",
            "positive_rate": float(labels[:test_rows].mean()),
            "reference_auc": 100.0 * auc,
            "reference_model": f"{MODEL_STEM}.pt",
            "onnx_model": f"{MODEL_STEM}.onnx",
            "score_range": [float(scores.min()), float(scores.max())],
            "distinct_scores": len(np.unique(scores)),
        }
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    build_once(folder, build)
    return DefaultAssets(folder, rows, max_ind_range)
