"""The embedded default: synthetic CT volumes in the KiTS19 layout and a fixed-seed 3D-UNet.

Made once per cache folder, so that the whole real pipeline runs on it
(NIfTI reading, resampling with SciPy, normalisation, the cache, the sliding
window on both backends, the accuracy script)::

    <cache>/synthetic-v2-<profile>/
        data/case_00000/imaging.nii.gz       CT-like volume, int16 Hounsfield units
        data/case_00000/segmentation.nii.gz  ground truth (see below), uint8
        ...
        data/inference_cases.json            the case list
        data/case_00050/...                  calibration cases (training cases: not in the list)
        data/calibration_cases.txt           their names, the rules' calibration list format
        unet3d_kits19_seed0.pth              the FP32 reference model (a checkpoint, as the reference's)
        unet3d_kits19_seed0.onnx             the same weights with the MLPerf interface
        dataset.json                         what this is; written last (marks it complete)

The volumes: a body (soft tissue, about 40 HU) in air (-1000 HU), a spine
(about 700 HU), two kidneys (bright ellipsoids, about 160 HU), a tumor (about
90 HU) and noise, with a voxel spacing finer than the target 1.6 x 1.2 x 1.2 mm
and different per case, in KiTS19's axis order and affine convention (array
axes slice, height, width; a permuted affine with negative entries), so the
resampling path runs. The sizes differ so that cases cost 1 to 4 patches.

The ground truth is the FP32 reference model's own prediction, so that model
scores DICE 1.0 by construction and the quality target is 99 % of that: a
pipeline and equivalence check, not a KiTS19 result. It is written in the
raw grid so that the reference preprocessing (order-0 resampling) turns it
back into exactly that prediction: every case resamples to a grid that needs
no padding or cropping, and each preprocessed voxel takes its label from one
raw voxel (resampling here only shrinks, so no two take the same one); the
build checks the round trip and fails if it does not hold. The model's
output-layer biases are calibrated on one separate synthetic calibration
volume, none of the inference cases.

For ``--precision int8`` the data folder also holds calibration cases (made
and labelled as the inference cases are, from their own seed, none of them
an inference case) and ``calibration_cases.txt`` naming them, one per line,
as the rules' KiTS list does (calibration.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from loadgen.harness.cache import AssetFolder, build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir

from . import dataset as ds

VERSION = 2  # 2: calibration cases and calibration_cases.txt
SEED = 0
MODEL_STEM = f"unet3d_kits19_seed{SEED}"


@dataclass(frozen=True)
class CaseSpec:
    name: str
    grid: tuple[int, int, int]  # the preprocessed (resampled) shape
    spacing: tuple[float, float, float]  # raw voxel spacing, mm, each <= the target


@dataclass(frozen=True)
class Profile:
    name: str
    channels: tuple[int, ...]
    patch: int
    cases: tuple[CaseSpec, ...]
    calibration: tuple[CaseSpec, ...]  # for --precision int8: calibration_cases.txt


# 1 + 2 + 2 + 4 + 4 = 13 patches of 128^3 (about 10 s each on 2 cores).
DEFAULT = Profile(
    "default",
    (32, 64, 128, 256, 320),
    128,
    (
        CaseSpec("case_00000", (128, 128, 128), (1.0, 0.8, 0.8)),
        CaseSpec("case_00003", (192, 128, 128), (1.25, 0.9, 0.9)),
        CaseSpec("case_00005", (128, 128, 192), (1.5, 1.0, 1.0)),
        CaseSpec("case_00006", (128, 192, 192), (1.4, 1.1, 1.1)),
        CaseSpec("case_00012", (192, 192, 128), (1.2, 0.85, 0.85)),
    ),
    (
        CaseSpec("case_00050", (128, 128, 128), (1.1, 0.9, 0.9)),
        CaseSpec("case_00051", (128, 128, 192), (1.3, 0.95, 0.95)),
    ),
)

# For tests: the same code with a 3-stage, 4-16 channel network and 32^3 patches.
TINY = Profile(
    "tiny",
    (4, 8, 16),
    32,
    (
        CaseSpec("case_00000", (32, 32, 32), (1.0, 0.8, 0.8)),
        CaseSpec("case_00003", (48, 32, 32), (1.25, 0.9, 0.9)),
        CaseSpec("case_00005", (32, 48, 48), (1.5, 1.0, 1.0)),
    ),
    (
        CaseSpec("case_00050", (32, 32, 32), (1.1, 0.9, 0.9)),
        CaseSpec("case_00051", (32, 32, 48), (1.3, 0.95, 0.95)),
    ),
)
PROFILES = {p.name: p for p in (DEFAULT, TINY)}


@dataclass(frozen=True)
class DefaultAssets(AssetFolder):
    profile: Profile
    FILES: ClassVar[dict[str, str]] = {
        "data_dir": "data",
        "checkpoint": f"{MODEL_STEM}.pth",
        "onnx_model": f"{MODEL_STEM}.onnx",
    }


default_cache_dir = partial(_cache_dir, "unet3d")


def raw_shape(grid: Sequence[int], spacing: Sequence[float]) -> tuple[int, ...]:
    """A raw shape that scipy's zoom (spacing / target) turns into exactly
    ``grid``, each resampled voxel reading a distinct raw voxel inside the
    volume (for some sizes the last output coordinate falls a rounding error
    outside and takes the fill value; those sizes are avoided)."""
    out = []
    for k, (g, s, t) in enumerate(zip(grid, spacing, ds.TARGET_SPACING)):
        n0 = round(g * t / s)
        for n in sorted(range(n0 - 3, n0 + 4), key=lambda n: abs(n - n0)):
            idx = _zoom_index(n, s / t)
            if len(idx) == g and idx.min() >= 0 and len(np.unique(idx)) == g:
                out.append(n)
                break
        else:
            raise ValueError(f"axis {k}: no raw size near {n0} resamples one-to-one to {g} at spacing {s}")
    return tuple(out)


def kits_affine(spacing: Sequence[float]) -> np.ndarray:
    """KiTS19's affine convention: array axes (slice, height, width) map to
    world rows (2, 1, 0), all with negative sign."""
    a = np.zeros((4, 4))
    a[2, 0], a[1, 1], a[0, 2] = -spacing[0], -spacing[1], -spacing[2]
    a[3, 3] = 1.0
    return a


def ct_volume(shape: Sequence[int], spacing: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """A CT-like int16 volume (HU): body, spine, kidneys, a tumor, noise."""
    d, h, w = (np.arange(n, dtype=np.float32) * s for n, s in zip(shape, spacing))
    zz, yy, xx = d[:, None, None], h[None, :, None], w[None, None, :]
    ext = [n * s for n, s in zip(shape, spacing)]
    cz, cy, cx = (e / 2 for e in ext)
    img = np.full(shape, -1000.0, dtype=np.float32)
    body = ((yy - cy) / (0.42 * ext[1])) ** 2 + ((xx - cx) / (0.46 * ext[2])) ** 2 <= 1.0
    img[np.broadcast_to(body, shape)] = 40.0
    spine = ((yy - (cy + 0.22 * ext[1])) / (0.07 * ext[1])) ** 2 + ((xx - cx) / (0.06 * ext[2])) ** 2 <= 1.0
    img[np.broadcast_to(spine, shape)] = 700.0
    for side in (-1.0, 1.0):
        kz = cz + rng.uniform(-0.08, 0.08) * ext[0]
        ky = cy + rng.uniform(0.02, 0.1) * ext[1]
        kx = cx + side * rng.uniform(0.2, 0.26) * ext[2]
        r = (
            rng.uniform(0.22, 0.3) * ext[0],
            rng.uniform(0.1, 0.14) * ext[1],
            rng.uniform(0.07, 0.1) * ext[2],
        )
        kidney = ((zz - kz) / r[0]) ** 2 + ((yy - ky) / r[1]) ** 2 + ((xx - kx) / r[2]) ** 2 <= 1.0
        img[kidney] = 160.0 + rng.uniform(-15, 15)
        if side > 0:
            tr = 0.5 * min(r)
            tumor = ((zz - kz - 0.5 * r[0]) ** 2 + (yy - ky) ** 2 + (xx - kx - 0.6 * r[2]) ** 2) <= tr**2
            img[tumor] = 90.0
    img += rng.normal(0.0, 18.0, size=shape).astype(np.float32)
    return np.clip(np.round(img), -1024, 3071).astype(np.int16)


def _zoom_index(n_in: int, factor: float) -> np.ndarray:
    """Which raw index each resampled index takes with order-0 zoom (grid_mode off)."""
    from scipy.ndimage import zoom

    # Indices from 1, so that a coordinate outside the volume shows as -1 (the fill value 0, minus 1).
    ramp = np.arange(1, n_in + 1, dtype=np.float64)
    return zoom(ramp, factor, order=0, mode="constant", cval=0.0, grid_mode=False).astype(np.int64) - 1


def label_in_raw_grid(pred: np.ndarray, raw: Sequence[int], spacing: Sequence[float]) -> np.ndarray:
    """A raw-grid label that order-0 resampling turns back into ``pred`` exactly."""
    idx = [_zoom_index(n, s / t) for n, s, t in zip(raw, spacing, ds.TARGET_SPACING)]
    for k, (i, g) in enumerate(zip(idx, pred.shape)):
        if len(i) != g or i.min() < 0 or len(np.unique(i)) != g:
            raise RuntimeError(f"axis {k}: resampling {raw[k]} -> {g} voxels is not one-to-one")
    # Every raw voxel first gets the label of the nearest resampled voxel ...
    near = [
        np.clip(np.round(np.arange(n) * (g - 1) / max(n - 1, 1)), 0, g - 1).astype(np.int64)
        for n, g in zip(raw, pred.shape)
    ]
    label = pred[np.ix_(*near)].copy()
    # ... and the raw voxels that resampling reads get exactly theirs.
    label[np.ix_(*idx)] = pred
    return label


def _save_nifti(array: np.ndarray, affine: np.ndarray, path: Path) -> None:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    img = nib.Nifti1Image(array, affine)
    img.header.set_xyzt_units("mm")
    nib.save(img, str(path))


def ensure_default_assets(
    cache_dir: str | Path, profile: str | Profile = DEFAULT, log=print
) -> DefaultAssets:
    """The embedded data set and models under ``cache_dir``, made if missing.

    Needs torch, onnx, scipy and nibabel the first time (the default profile
    takes a few minutes: the labels are 13 FP32 patch inferences). Built in a
    temporary folder and renamed into place.
    """
    prof = PROFILES[profile] if isinstance(profile, str) else profile
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{prof.name}"
    if (folder / "dataset.json").is_file():
        return DefaultAssets(folder, prof)
    try:
        import torch

        from . import model as unet
        from .sliding import sliding_window
    except ImportError as e:
        raise ImportError(
            f"making the embedded default data set and model needs torch, onnx, scipy and nibabel ({e}); "
            f"pip install 'loadgen[benchmarks]', or give --dataset-path and --model"
        ) from e
    log(
        f"making the embedded default (once): {len(prof.cases)} synthetic CT volumes and a fixed-seed "
        f"3D-UNet in {folder}"
    )

    def build(tmp: Path) -> None:
        rng = np.random.default_rng(SEED + 1)
        data = tmp / "data"
        raws = {}
        for c in prof.cases:
            shape = raw_shape(c.grid, c.spacing)
            image = ct_volume(shape, c.spacing, rng)
            raws[c.name] = shape
            _save_nifti(image, kits_affine(c.spacing), data / c.name / "imaging.nii.gz")
        (data / "inference_cases.json").write_text(
            json.dumps([c.name for c in prof.cases], indent=1) + "\n", encoding="utf-8"
        )
        cal_rng = np.random.default_rng(SEED + 3)  # its own seed: the inference cases stay as they were
        for c in prof.calibration:
            shape = raw_shape(c.grid, c.spacing)
            raws[c.name] = shape
            _save_nifti(
                ct_volume(shape, c.spacing, cal_rng), kits_affine(c.spacing), data / c.name / "imaging.nii.gz"
            )
        (data / "calibration_cases.txt").write_text(
            "".join(c.name + "\n" for c in prof.calibration), encoding="utf-8"
        )

        # Calibration: one more volume, not an inference case, at the target spacing.
        p = prof.patch
        cal_raw = ct_volume((p, p, p), ds.TARGET_SPACING, np.random.default_rng(SEED + 2))[np.newaxis]
        cal, _ = ds.preprocess_arrays(cal_raw.astype(np.float32), None, p)
        net = unet.make_fixed_seed_model(cal[np.newaxis], seed=SEED, channels=prof.channels)
        state = net.state_dict()
        torch.save({"best_model_state_dict": state}, tmp / f"{MODEL_STEM}.pth")
        unet.export_onnx(state, tmp / f"{MODEL_STEM}.onnx", patch=p)

        # Labels: the FP32 model's prediction on each case as the harness sees
        # it (preprocessed from the written file), written in the raw grid.
        counts = {}
        torch.set_num_threads(max(1, torch.get_num_threads()))
        for c in prof.cases + prof.calibration:
            image, _, _ = ds.load_and_resample(data / c.name / "imaging.nii.gz", None)
            image, _ = ds.preprocess_arrays(image, None, p)
            if tuple(image.shape[1:]) != c.grid:
                raise RuntimeError(f"{c.name}: preprocessed to {image.shape[1:]}, expected {c.grid}")
            log(f"  labels for {c.name}: FP32 torch over {len(ds_patches(c.grid, p))} patch(es)")
            with torch.inference_mode():
                [pred] = sliding_window(lambda x: net(torch.from_numpy(x)).numpy(), [image], p, max_patches=1)
            label = label_in_raw_grid(pred, raws[c.name], c.spacing)
            _save_nifti(label, kits_affine(c.spacing), data / c.name / "segmentation.nii.gz")
            _, back, _ = ds.preprocess_case(data / c.name, p)
            assert back is not None
            if not np.array_equal(back[0], pred):
                raise RuntimeError(f"{c.name}: the written label does not preprocess back to the prediction")
            counts[c.name] = np.bincount(pred.ravel(), minlength=3).tolist()
        info = {
            "what": "synthetic KiTS19-layout CT volumes for 3D-UNet; ground truth = the FP32 reference "
            "model's own prediction (a pipeline and equivalence check, not a KiTS19 result)",
            "version": VERSION,
            "profile": prof.name,
            "seed": SEED,
            "channels": list(prof.channels),
            "patch": p,
            "cases": [
                {
                    "case": c.name,
                    "raw_shape": list(raws[c.name]),
                    "spacing": list(c.spacing),
                    "preprocessed_shape": list(c.grid),
                    "patches": len(ds_patches(c.grid, p)),
                    "voxels_per_class": counts[c.name],
                }
                for c in prof.cases
            ],
            "calibration_cases": [
                {"case": c.name, "patches": len(ds_patches(c.grid, prof.patch))} for c in prof.calibration
            ],
            "reference_dice": {"mean": 1.0, "kidney": 1.0, "tumor": 1.0},
            "reference_model": f"{MODEL_STEM}.pth",
            "onnx_model": f"{MODEL_STEM}.onnx",
        }
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    build_once(folder, build)
    return DefaultAssets(folder, prof)


def ds_patches(grid: Sequence[int], patch: int) -> list[tuple[int, int, int]]:
    from .sliding import patch_origins

    return patch_origins(grid, patch)
