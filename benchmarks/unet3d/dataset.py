"""KiTS19 for 3D-UNet: raw layout, preprocessing, the on-disk cache.

Raw layout (as the KiTS19 repository's): a ``data/`` folder of
``case_XXXXX/imaging.nii.gz`` (CT in Hounsfield units) and
``case_XXXXX/segmentation.nii.gz`` (0 background, 1 kidney, 2 tumor), read
with nibabel. The cases used are those of a case list: ``--case-list``, else
an ``inference_cases.json`` in the data folder, else the reference's 43
inference cases shipped beside this file.

Preprocessing (the reference's ``preprocess.py``, untimed), per case:

1. spacing from the NIfTI header ``pixdim[1:4]``; if it differs from
   1.6 x 1.2 x 1.2 mm, resample with ``scipy.ndimage.zoom`` by spacing / target:
   the image with order 1, ``mode="constant"``, ``cval`` = the image minimum,
   ``grid_mode=False``; the label with order 0 (``cval`` = its minimum);
2. clip to [-79, 304], then (x - 101) / 76.9;
3. pad each side below the patch size (128) up to it, edge mode, half before;
4. fit to the window stride (64): where size mod 64 < 32, crop it (half from
   the start); then pad with -2.2 (label 0) to a multiple of 64, and by another
   64 if still below 128, half before.

The cache (``<cache>/preprocessed/<data folder>-<hash>-p<patch>/``) keeps the
reference's bookkeeping: ``case_XXXXX.npy`` (the image, float32
``(1, D, H, W)``), ``nifti/case_XXXXX/segmentation.nii.gz`` (the label in the
preprocessed grid with the resampled affine: what DICE is scored against),
``case_XXXXX.json`` (``original_affine``, ``reshaped_affine``,
``zoom_factor``, ``case``, ``image_shape``, and the source files' size and
time, so that a changed file is preprocessed again) and
``preprocessed_files.json`` (``file_list`` in case-list order and ``cases``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
from loadgen.harness import ItemDataset
from loadgen.harness.cache import atomic_save_array, atomic_write_bytes

HERE = Path(__file__).resolve().parent
REFERENCE_CASE_LIST = HERE / "inference_cases.json"
TARGET_SPACING = (1.6, 1.2, 1.2)  # mm, along the array axes (slice, height, width)
CLIP_MIN, CLIP_MAX = -79.0, 304.0
MEAN, STD = 101.0, 76.9
PADDING_VAL = -2.2
PATCH = 128
OVERLAP = 0.5
CACHE_VERSION = 1


def _nib():
    import nibabel  # lazy: keeps `import dataset` cheap

    return nibabel


def stride_of(patch: int) -> int:
    return int(patch * (1 - OVERLAP))


# ---------------------------------------------------------------------------
# Preprocessing steps, each on arrays with a leading channel axis (1, D, H, W).


def reshaped_affine(original: np.ndarray, target: Sequence[float] = TARGET_SPACING) -> np.ndarray:
    """The affine of the resampled grid, as the reference builds it: in each of
    the three spatial rows, every non-zero entry of the 3x3 part becomes the
    target spacing of its column, with the entry's sign; the offsets stay."""
    out = np.array(original, dtype=np.float64, copy=True)
    targ = np.asarray(target, dtype=np.float64)
    for i in range(3):
        cols = np.nonzero(original[i, :3])[0]
        out[i, cols] = targ[cols] * np.where(original[i, cols] < 0, -1.0, 1.0)
    return out


def _as_float32(img) -> np.ndarray:
    """The voxel values as float32, equal to the reference's
    ``get_fdata().astype(float32)``. Integer data without scaling (CT in HU)
    is converted directly, which is exact and skips get_fdata's float64 copy
    (1.3 GB for a large KiTS19 case)."""
    raw = np.asanyarray(img.dataobj)
    if raw.dtype.kind in "iu" and raw.dtype.itemsize <= 2:
        return raw.astype(np.float32)
    return img.get_fdata().astype(np.float32)


def load_and_resample(
    image_path: str | Path, label_path: str | Path | None, target: Sequence[float] = TARGET_SPACING
) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """Read a case's NIfTI files and resample them to ``target`` spacing.

    Returns image float32 and label uint8, each ``(1, D, H, W)``, and the
    bookkeeping (``original_affine``, ``reshaped_affine``, ``zoom_factor``).
    """
    from scipy.ndimage import zoom

    nib = _nib()
    img = nib.load(str(image_path))
    if len(img.shape) != 3:
        raise ValueError(f"{image_path}: a CT volume must have 3 axes, this one has shape {img.shape}")
    spacing = [float(s) for s in np.asarray(img.header["pixdim"][1:4], dtype=np.float32)]
    if min(spacing) <= 0:
        raise ValueError(f"{image_path}: voxel spacing pixdim[1:4] = {spacing} must be positive")
    original_affine = np.asarray(img.affine, dtype=np.float64)
    image = _as_float32(img)
    label = None
    if label_path is not None:
        seg = nib.load(str(label_path))
        if tuple(seg.shape) != tuple(img.shape):
            raise ValueError(
                f"{label_path}: shape {tuple(seg.shape)} differs from the image's {tuple(img.shape)}"
            )
        raw = np.asanyarray(seg.dataobj)
        label = raw.astype(np.uint8) if raw.dtype.kind in "iu" else seg.get_fdata().astype(np.uint8)
    zoom_factor = np.asarray(spacing, dtype=np.float64) / np.asarray(target, dtype=np.float64)
    if spacing != list(target):
        image = zoom(image, zoom_factor, order=1, mode="constant", cval=float(image.min()), grid_mode=False)
        if label is not None:
            label = zoom(label, zoom_factor, order=0, mode="constant", cval=int(label.min()), grid_mode=False)
    aux = {
        "original_affine": original_affine,
        "reshaped_affine": reshaped_affine(original_affine, target),
        "zoom_factor": zoom_factor,
        "spacing": spacing,
    }
    return image[np.newaxis], (None if label is None else label[np.newaxis]), aux


def normalize_intensity(image: np.ndarray) -> np.ndarray:
    """Clip to the HU window [-79, 304], then standardise: (x - 101) / 76.9 (float32)."""
    image = np.clip(image, CLIP_MIN, CLIP_MAX)
    return (image - MEAN) / STD


def _halves(total: int) -> tuple[int, int]:
    return total // 2, total - total // 2


def pad_to_min_shape(volume: np.ndarray, patch: int = PATCH) -> np.ndarray:
    """Edge-pad each spatial axis shorter than ``patch`` up to it (half before)."""
    pads = [(0, 0)] + [_halves(max(0, patch - s)) for s in volume.shape[1:]]
    return np.pad(volume, pads, mode="edge")


def fit_to_stride(volume: np.ndarray, padding_val: float, patch: int = PATCH) -> np.ndarray:
    """Crop or pad each spatial axis to a multiple of the stride (``patch / 2``), at least ``patch``.

    Per axis, r = size mod stride: r < stride / 2 is cropped (half from the
    start, the rest from the end); then the axis is padded with
    ``padding_val`` up to the next multiple of the stride, plus one more
    stride if it is still shorter than the patch (half before).
    """
    stride = stride_of(patch)
    slices = [slice(None)]
    for s in volume.shape[1:]:
        r = s % stride
        r = r if r < stride // 2 else 0
        before, after = _halves(r)
        slices.append(slice(before, s - after))
    volume = volume[tuple(slices)]
    pads = [(0, 0)]
    for s in volume.shape[1:]:
        b = (stride - s % stride) % stride
        if s + b < patch:
            b += stride
        pads.append(_halves(b))
    return np.pad(volume, pads, mode="constant", constant_values=padding_val)


def preprocess_arrays(
    image: np.ndarray, label: np.ndarray | None, patch: int = PATCH
) -> tuple[np.ndarray, np.ndarray | None]:
    """Steps 2-4 on resampled ``(1, D, H, W)`` arrays: image float32, label uint8."""
    image = normalize_intensity(image.astype(np.float32, copy=False))
    image = fit_to_stride(pad_to_min_shape(image, patch), PADDING_VAL, patch).astype(np.float32)
    if label is not None:
        label = fit_to_stride(pad_to_min_shape(label, patch), 0, patch).astype(np.uint8)
    return image, label


def preprocess_case(
    case_dir: str | Path, patch: int = PATCH, with_label: bool = True
) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """One KiTS19 case folder -> (image, label, bookkeeping), as the reference preprocesses it."""
    case_dir = Path(case_dir)
    image, label, aux = load_and_resample(
        case_dir / "imaging.nii.gz", case_dir / "segmentation.nii.gz" if with_label else None
    )
    image, label = preprocess_arrays(image, label, patch)
    aux["case"] = case_dir.name
    aux["image_shape"] = list(image.shape)
    return image, label, aux


# ---------------------------------------------------------------------------
# Case lists and the data set.


def read_case_list(path: str | Path) -> list[str]:
    """Case names: a JSON array (the reference's ``meta/inference_cases.json``), or one name
    per line for a ``.txt`` file (the rules' ``calibration_cases.txt``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        names = (
            [ln.strip() for ln in text.splitlines() if ln.strip()]
            if path.suffix == ".txt"
            else json.loads(text)
        )
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read the case list ({e})") from e
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
        raise ValueError(
            f"{path}: a case list must be a non-empty JSON array (or, .txt, lines) of names like 'case_00000'"
        )
    return names


def case_list_for(data_path: str | Path, case_list: str | Path | None = None) -> Path:
    """Which case list applies: the one given, the data folder's own, or the reference's."""
    if case_list is not None:
        return Path(case_list)
    own = Path(data_path) / "inference_cases.json"
    return own if own.is_file() else REFERENCE_CASE_LIST


def _json_ready(aux: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in aux.items()}


def _source_stamp(case_dir: Path) -> list[list[int]]:
    out = []
    for name in ("imaging.nii.gz", "segmentation.nii.gz"):
        st = (case_dir / name).stat()
        out.append([st.st_size, st.st_mtime_ns])
    return out


@dataclass
class KiTS19(ItemDataset):
    """The KiTS19 inference cases (or any folder in that layout), preprocessed.

    ``data_path``: the ``data/`` folder of ``case_XXXXX`` folders;
    ``cache_dir``: where preprocessed cases go (a subfolder per data folder
    and patch size); ``count``: only the first ``count`` cases of the list;
    ``case_list``: a JSON list of case names (see ``case_list_for``);
    ``patch``: the sliding window's patch side (128; tests use less).

    Every case is preprocessed (or found in the cache) when the data set is
    made, before the test. A sample is one case's image ``(1, D, H, W)``;
    ``get_batch`` returns the loaded images of a batch as a 1-D object array
    (they differ in size), for the sliding-window backend to cut into patches.
    """

    data_path: str
    cache_dir: str
    count: int | None = None
    case_list: str | None = None
    patch: int = PATCH
    log: Callable[[str], None] | None = None

    name = "kits19"

    def __post_init__(self) -> None:
        root = Path(self.data_path)
        if not root.is_dir():
            raise FileNotFoundError(f"{root}: no such data folder (expected KiTS19's data/ with case_XXXXX/)")
        if self.patch < 2 or self.patch % 2:
            raise ValueError(f"patch = {self.patch}: must be an even number of voxels")
        list_path = case_list_for(root, self.case_list)
        cases = read_case_list(list_path)
        missing = [
            c
            for c in cases
            if not ((root / c / "imaging.nii.gz").is_file() and (root / c / "segmentation.nii.gz").is_file())
        ]
        if missing:
            hint = (
                " (case_00400 is a copy of case_00185 that the reference's Makefile makes: "
                "cp -r data/case_00185 data/case_00400)"
                if "case_00400" in missing
                else ""
            )
            raise FileNotFoundError(
                f"{root}: {len(missing)} of the {len(cases)} cases of {list_path} lack imaging.nii.gz "
                f"or segmentation.nii.gz: {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}{hint}"
            )
        if self.count is not None:
            cases = cases[: self.count]
        self.cases = cases
        self.case_list_path = list_path
        key = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:12]
        self.preprocessed_dir = (
            Path(self.cache_dir) / "preprocessed" / f"{root.name}-{key}-p{self.patch}-v{CACHE_VERSION}"
        )
        self.aux: dict[str, dict[str, Any]] = {}
        for i, case in enumerate(cases):
            self.aux[case] = self._ensure_case(case, i)
        info = {"file_list": cases, "cases": self.aux, "data_path": str(root.resolve())}
        atomic_write_bytes(
            self.preprocessed_dir / "preprocessed_files.json",
            (json.dumps(info, indent=1) + "\n").encode("utf-8"),
        )
        super().__init__()

    def _say(self, msg: str) -> None:
        (self.log or (lambda s: print(s, file=sys.stderr, flush=True)))(msg)

    def _ensure_case(self, case: str, i: int) -> dict[str, Any]:
        """The case's bookkeeping; preprocesses it first if the cache lacks it or is stale."""
        case_dir = Path(self.data_path) / case
        stamp = _source_stamp(case_dir)
        meta_path = self.preprocessed_dir / f"{case}.json"
        label_path = self.preprocessed_dir / "nifti" / case / "segmentation.nii.gz"
        image_path = self.preprocessed_dir / f"{case}.npy"
        try:
            aux = json.loads(meta_path.read_text(encoding="utf-8"))
            if aux.get("source") == stamp and image_path.is_file() and label_path.is_file():
                return aux
        except (OSError, ValueError):
            pass
        self._say(f"preprocessing {case} ({i + 1}/{len(self.cases)}) into {self.preprocessed_dir}")
        image, label, aux = preprocess_case(case_dir, self.patch)
        assert label is not None
        atomic_save_array(image_path, image)
        nib = _nib()
        label_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = label_path.with_name(f"tmp-{label_path.name}")
        nib.save(nib.Nifti1Image(label[0], affine=aux["reshaped_affine"]), str(tmp))
        tmp.replace(label_path)
        aux = _json_ready(aux)
        aux["source"] = stamp
        atomic_write_bytes(meta_path, (json.dumps(aux, indent=1) + "\n").encode("utf-8"))
        return aux

    # --- Dataset interface.

    @property
    def total_count(self) -> int:
        return len(self.cases)

    def image_shape(self, index: int) -> tuple[int, ...]:
        return tuple(self.aux[self.cases[index]]["image_shape"])

    def label(self, index: int) -> Path:
        """The ground-truth NIfTI file of a case, in the preprocessed grid."""
        return self.preprocessed_dir / "nifti" / self.cases[index] / "segmentation.nii.gz"

    def get_item(self, index: int) -> np.ndarray:
        image = np.load(self.preprocessed_dir / f"{self.cases[index]}.npy", allow_pickle=False)
        if tuple(image.shape) != self.image_shape(index):
            raise ValueError(
                f"{self.cases[index]}: cached image has shape {image.shape}, expected "
                f"{self.image_shape(index)}; delete {self.preprocessed_dir} to rebuild it"
            )
        return image

    def get_batch(self, indices: Sequence[int]) -> np.ndarray:
        out = np.empty(len(indices), dtype=object)
        for j, i in enumerate(indices):
            out[j] = self.loaded_item(i)
        return out
