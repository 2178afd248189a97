"""Sliding-window inference (timed): volumes -> patches -> model -> class maps.

As the reference does it (``base_SUT.py`` / ``inference_utils.py``), for a
preprocessed volume ``(1, D, H, W)`` whose sides are multiples of the stride
(patch / 2) and at least the patch:

* patch origins 0, stride, ..., side - patch along each axis (all
  combinations, depth-major);
* each patch's logits ``(3, P, P, P)`` are multiplied by the importance map
  (a 1-D Gaussian of P points with sigma = P / 8, its 3-D outer product, the
  cube root of that, scaled to a maximum of 1) and added into a float32
  result; the map itself is added into a weight sum;
* result / weight sum, then the arg-max over the classes: a uint8 class map
  ``(D, H, W)`` in the preprocessed grid, the sample's response.

``SlidingWindowBackend`` wraps the harness's backend (onnxruntime, torch or
null) that runs the model on patches. ``predict`` takes the volumes of a
batch, runs their patches in model batches of up to ``max_patches`` (a model
batch may hold patches of consecutive volumes) and returns one class map per
volume. A volume's result arrays exist only while its patches are in
flight, so memory stays at about one volume's result and weights per batch
boundary.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np
from loadgen.harness import Backend, BackendOptions
from loadgen.harness.dataset import Batch

NUM_CLASSES = 3


def importance_map(patch: int, dtype: type = np.float32) -> np.ndarray:
    """The Gaussian importance map ``(P, P, P)``: cube root of the 3-D outer
    product of ``scipy.signal.windows.gaussian(P, P / 8)``, scaled to max 1
    (computed in float64, then cast)."""
    from scipy.signal import windows

    g = windows.gaussian(patch, 0.125 * patch)
    g3 = np.multiply.outer(np.multiply.outer(g, g), g)
    g3 = np.cbrt(g3)
    g3 /= g3.max()
    return g3.astype(dtype)


def patch_origins(shape: Sequence[int], patch: int) -> list[tuple[int, int, int]]:
    """Origins of the patches over a volume of spatial ``shape``, depth-major."""
    stride = patch // 2
    for s in shape:
        if s < patch or s % stride:
            raise ValueError(
                f"volume of spatial shape {tuple(shape)}: every side must be a multiple of {stride} "
                f"and at least {patch} (is it preprocessed for patch {patch}?)"
            )
    axes = [range(0, s - patch + 1, stride) for s in shape]
    return [tuple(int(v) for v in o) for o in itertools.product(*axes)]  # type: ignore[misc]


class _Volume:
    """One volume in flight: its result and weight sums, and patches still to come."""

    __slots__ = ("image", "origins", "pending", "result", "weights")

    def __init__(self, image: np.ndarray, patch: int, n_class: int) -> None:
        if image.ndim == 4 and image.shape[0] == 1:
            image = image[0]
        if image.ndim != 3:
            raise ValueError(f"a volume must be (1, D, H, W) or (D, H, W), got shape {image.shape}")
        self.image = image
        self.origins = patch_origins(image.shape, patch)
        self.result = np.zeros((n_class, *image.shape), dtype=np.float32)
        self.weights = np.zeros(image.shape, dtype=np.float32)
        self.pending = len(self.origins)


def sliding_window(
    predict,
    volumes: Sequence[np.ndarray],
    patch: int,
    max_patches: int,
    gauss: np.ndarray | None = None,
    keep_sums: list | None = None,
) -> list[np.ndarray]:
    """Class maps (uint8 ``(D, H, W)``) of ``volumes``; ``predict(x)`` maps
    float32 ``[n, 1, P, P, P]`` to logits ``[n, C, P, P, P]``, n <= max_patches.
    ``keep_sums`` (for tests) receives each volume's (result, weight sum)
    before the division."""
    if max_patches < 1:
        raise ValueError(f"max_patches = {max_patches}: must be >= 1")
    gauss = importance_map(patch) if gauss is None else gauss
    out: list[np.ndarray | None] = [None] * len(volumes)
    vols: dict[int, _Volume] = {}

    def jobs() -> Iterator[tuple[int, tuple[int, int, int]]]:
        for v, image in enumerate(volumes):
            vols[v] = _Volume(np.asarray(image), patch, NUM_CLASSES)
            for origin in vols[v].origins:
                yield v, origin

    it = jobs()
    while True:
        chunk = list(itertools.islice(it, max_patches))
        if not chunk:
            break
        x = np.empty((len(chunk), 1, patch, patch, patch), dtype=np.float32)
        for j, (v, (i, k, m)) in enumerate(chunk):
            x[j, 0] = vols[v].image[i : i + patch, k : k + patch, m : m + patch]
        logits = predict(x)
        if logits.shape[0] != len(chunk) or logits.shape[2:] != (patch, patch, patch):
            raise ValueError(
                f"the model returned logits of shape {logits.shape} for {len(chunk)} patches of {patch}^3"
            )
        for j, (v, (i, k, m)) in enumerate(chunk):
            vol = vols[v]
            sl = (slice(i, i + patch), slice(k, k + patch), slice(m, m + patch))
            vol.result[(slice(None), *sl)] += logits[j] * gauss
            vol.weights[sl] += gauss
            vol.pending -= 1
            if vol.pending == 0:
                if keep_sums is not None:
                    keep_sums.append((vol.result.copy(), vol.weights.copy()))
                vol.result /= vol.weights
                out[v] = np.argmax(vol.result, axis=0).astype(np.uint8)
                del vols[v]
    assert all(o is not None for o in out)
    return out  # type: ignore[return-value]


class SlidingWindowBackend(Backend):
    """A Backend over volumes, running ``inner`` (the model on patches) in a sliding window.

    ``predict(batch)`` takes the batch's volumes (a 1-D object array, or one
    array ``(n, 1, D, H, W)``) and returns one output: a 1-D object array of
    uint8 class maps, one per volume.
    """

    def __init__(self, inner: Backend, patch: int, max_patches: int) -> None:
        self.inner = inner
        self.patch = int(patch)
        self.max_patches = int(max_patches)
        self.name = inner.name
        self.gauss = importance_map(self.patch)
        self.notes: list[str] = []

    @property
    def version(self) -> str:
        return self.inner.version

    def load(self, options: BackendOptions) -> None:
        p = self.patch
        self.inner.load(replace(options, null_outputs=(((NUM_CLASSES, p, p, p), "float32"),)))
        session = getattr(self.inner, "session", None)  # onnxruntime: check the file's fixed dims
        if session is not None:
            shape = session.get_inputs()[0].shape
            spatial = [d for d in shape[2:] if isinstance(d, int)]
            if any(d != p for d in spatial):
                raise ValueError(
                    f"{options.model_path}: the model takes patches of {shape[2:]}, not {p}^3 "
                    f"(--patch-size {p})"
                )
            if isinstance(shape[0], int) and shape[0] < self.max_patches:
                self.notes.append(
                    f"the ONNX model has a fixed batch of {shape[0]}: patches go through it "
                    f"{shape[0]} at a time (max batch size {self.max_patches} ignored)"
                )
                self.max_patches = shape[0]
        # One patch through the model before the test (untimed): first-call costs.
        self._predict(np.zeros((1, 1, p, p, p), dtype=np.float32))

    def _predict(self, x: np.ndarray) -> np.ndarray:
        return self.inner.predict(x)[0]

    def predict(self, batch: Batch) -> list[np.ndarray]:
        if not isinstance(batch, np.ndarray):
            raise TypeError("the sliding-window backend takes volumes as an array, not a dict")
        maps = sliding_window(self._predict, list(batch), self.patch, self.max_patches, self.gauss)
        out = np.empty(len(maps), dtype=object)
        for j, m in enumerate(maps):
            out[j] = m
        return [out]

    def close(self) -> None:
        self.inner.close()
