"""3D-UNet on KiTS19 (benchmarks/unet3d) on a tiny embedded data set.

The runs use the same code with a tiny network (4-16 channels, three stages)
and 32^3 patches over three small synthetic volumes, so that every scenario
runs with both backends in seconds. What does not rest on our own labels:
reading and resampling a real NIfTI file shipped with nibabel, compared with
scipy.ndimage.zoom called directly; the sliding window's weight sums and
patch positions against values computed by hand from the Gaussian's formula;
DICE on hand-built masks, against scikit-learn's F1 score. Needs the
`benchmarks` extra (torch, onnxruntime, onnx, scipy, nibabel); without
it the module fails (tests/conftest.py).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import benchmark_helpers as bench
import numpy as np
import pytest

RUN_PY = bench.use_benchmark("unet3d")
torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
nib = pytest.importorskip("nibabel")
ndimage = pytest.importorskip("scipy.ndimage")

from loadgen.harness import RunOptions, run_benchmark
from unet3d import accuracy, synthetic
from unet3d import dataset as ds
from unet3d import model as unet
from unet3d.run import SPEC, patches_per_case
from unet3d.sliding import SlidingWindowBackend, importance_map, patch_origins, sliding_window

TINY = synthetic.TINY
N_CASES = len(TINY.cases)


cache = bench.cache_fixture("unet3d")


@pytest.fixture(scope="module")
def assets(cache) -> synthetic.DefaultAssets:
    return synthetic.ensure_default_assets(cache, TINY, log=lambda s: None)


def options(assets, cache, tmp_path, scenario, backend, **kw) -> RunOptions:
    model = assets.onnx_model if backend == "onnxruntime" else assets.checkpoint
    # RunOptions' own number of warm-up batches, 3 a patch, not the short run's 1.
    tiny = {"warmup_batches": RunOptions.warmup_batches, "max_batchsize": 3, "threads": 1}
    kw = {**tiny, "extra": {"patch_size": TINY.patch}, **kw}
    return bench.short_run_options(model, assets.data_dir, cache, tmp_path, scenario, backend, **kw)


# --- Reading and resampling, on real NIfTI files shipped with nibabel.


def nibabel_case(tmp_path: Path, name: str) -> tuple[Path, np.ndarray, np.ndarray, object]:
    """A KiTS-layout case folder holding one of nibabel's test files as imaging.nii.gz
    and a 3-class label made from its intensities."""
    from nibabel.testing import data_path

    src = Path(data_path) / name
    case = tmp_path / "data" / "case_00000"
    case.mkdir(parents=True)
    with open(src, "rb") as f, gzip.open(case / "imaging.nii.gz", "wb") as g:
        shutil.copyfileobj(f, g)
    img = nib.load(str(case / "imaging.nii.gz"))
    data = img.get_fdata()
    finite = np.nan_to_num(data)  # resampled_anat_moved.nii has NaNs outside the brain
    label = np.digitize(finite, np.quantile(finite, [0.6, 0.9])).astype(np.uint8)
    nib.save(nib.Nifti1Image(label, img.affine), str(case / "segmentation.nii.gz"))
    return case, data, label, img


@pytest.mark.parametrize(
    "name, spacing, axcodes",
    [
        ("anatomical.nii", (2.0, 2.0, 2.0), ("L", "A", "S")),
        ("reoriented_anat_moved.nii", (4.0, 4.0, 4.0), ("R", "A", "S")),
        ("resampled_anat_moved.nii", (4.0, 4.0, 8.0), ("L", "A", "S")),
    ],
)
def test_reading_and_resampling_a_real_nifti_file_match_scipy_zoom_called_directly(
    tmp_path, name, spacing, axcodes
):
    case, data, label, img = nibabel_case(tmp_path, name)
    image, seg, aux = ds.load_and_resample(case / "imaging.nii.gz", case / "segmentation.nii.gz")
    assert aux["spacing"] == list(spacing)
    factor = np.array(spacing) / np.array([1.6, 1.2, 1.2])
    assert np.allclose(aux["zoom_factor"], factor)
    expected = ndimage.zoom(
        data.astype(np.float32), factor, order=1, mode="constant", cval=float(data.min()), grid_mode=False
    )
    assert image.shape == (1, *expected.shape) == (1, *(round(n * f) for n, f in zip(data.shape, factor)))
    assert image.dtype == np.float32 and np.array_equal(image[0], expected, equal_nan=True)
    expected_label = ndimage.zoom(label, factor, order=0, mode="constant", cval=0, grid_mode=False)
    assert seg.dtype == np.uint8 and np.array_equal(seg[0], expected_label)
    # The resampled affine keeps orientation and origin; its voxel sizes are the target's.
    assert np.array_equal(aux["original_affine"], img.affine)
    new = aux["reshaped_affine"]
    assert nib.aff2axcodes(new) == nib.aff2axcodes(img.affine) == axcodes
    assert np.allclose(nib.affines.voxel_sizes(new), [1.6, 1.2, 1.2])
    assert np.array_equal(new[:, 3], img.affine[:, 3])


def test_reshaped_affine_of_a_kits_style_permuted_affine():
    a = synthetic.kits_affine((5.0, 0.78, 0.78))
    a[:3, 3] = [10.0, -20.0, 30.0]
    r = ds.reshaped_affine(a)
    expected = np.array([[0, 0, -1.2, 10.0], [0, -1.2, 0, -20.0], [-1.6, 0, 0, 30.0], [0, 0, 0, 1]])
    assert np.array_equal(r, expected)


def test_a_case_already_at_the_target_spacing_keeps_its_shape(tmp_path):
    case = tmp_path / "case_00001"
    case.mkdir()
    vol = np.arange(130 * 128 * 140, dtype=np.int16).reshape(130, 128, 140) % 400 - 100
    aff = np.diag([1.6, 1.2, 1.2, 1.0])
    nib.save(nib.Nifti1Image(vol, aff), str(case / "imaging.nii.gz"))
    nib.save(nib.Nifti1Image((vol > 200).astype(np.uint8), aff), str(case / "segmentation.nii.gz"))
    image, _, aux = ds.preprocess_case(case)
    # 130 -> crop 2 (1 + 1) to 128; 140 -> crop 12 (6 + 6) to 128.
    assert aux["image_shape"] == [1, 128, 128, 128]
    expected = ((np.clip(vol.astype(np.float32), -79, 304) - 101) / 76.9)[1:129, :, 6:134]
    assert np.allclose(image[0], expected, atol=1e-6)


# --- The preprocessing steps, by hand.


def test_normalisation_clips_to_the_hu_window_then_standardises():
    x = np.array([[-1000.0, -79.0, 101.0, 304.0, 2000.0]], dtype=np.float32)
    y = ds.normalize_intensity(x)
    assert y.dtype == np.float32
    assert np.allclose(y, [[-180 / 76.9, -180 / 76.9, 0.0, 203 / 76.9, 203 / 76.9]])


def test_padding_to_the_minimum_size_repeats_the_edges_half_before():
    v = np.arange(100, dtype=np.float32).reshape(1, 100, 1, 1) * np.ones((1, 1, 130, 128), np.float32)
    p = ds.pad_to_min_shape(v, 128)
    assert p.shape == (1, 128, 130, 128)
    assert (
        np.all(p[0, :14] == 0) and np.all(p[0, 14:114, 0, 0] == np.arange(100)) and np.all(p[0, 114:] == 99)
    )


@pytest.mark.parametrize(
    "size, kept, before, final",
    [
        (130, slice(1, 129), 0, 128),  # 130 % 64 = 2 < 32: crop 1 + 1
        (150, slice(11, 139), 0, 128),  # 22 < 32: crop 11 + 11
        (180, slice(0, 180), 6, 192),  # 52 >= 32: pad 12 (6 + 6)
        (100, slice(0, 100), 14, 128),  # 36 >= 32: pad 28 (14 + 14)
        (40, slice(0, 40), 44, 128),  # pad 24 -> 64, still < 128: pad 88 (44 + 44)
        (192, slice(0, 192), 0, 192),  # a multiple of 64: unchanged
    ],
)
def test_fit_to_stride_crops_small_remainders_and_pads_the_rest(size, kept, before, final):
    v = np.arange(size, dtype=np.float32).reshape(1, size, 1, 1) * np.ones((1, 1, 128, 128), np.float32)
    out = ds.fit_to_stride(v, -2.2, 128)
    n = kept.stop - kept.start
    assert out.shape == (1, final, 128, 128)
    assert np.array_equal(out[0, before : before + n, 0, 0], np.arange(size, dtype=np.float32)[kept])
    assert np.all(out[0, :before] == np.float32(-2.2)) and np.all(out[0, before + n :] == np.float32(-2.2))


# --- The sliding window.


def gaussian_by_hand(p: int) -> np.ndarray:
    """The 1-D factor of the importance map from the formula: exp(-n^2 / (2 sigma^2)),
    n measured from the window's centre (p - 1) / 2, sigma = p / 8; cube root; max 1."""
    n = np.arange(p) - (p - 1) / 2
    a = np.exp(-(n**2) / (2 * (p / 8) ** 2)) ** (1 / 3)
    return a / a.max()


def test_importance_map_is_the_cube_root_of_a_3d_gaussian_scaled_to_one():
    for p in (32, 128):
        a = gaussian_by_hand(p)
        m = importance_map(p)
        assert m.shape == (p, p, p) and m.dtype == np.float32
        assert np.allclose(m, np.einsum("i,j,k->ijk", a, a, a), rtol=1e-5, atol=1e-7)
        assert m.max() == pytest.approx(1.0)


def test_patch_origins_step_by_half_a_patch_depth_major():
    assert patch_origins((48, 32, 64), 32) == [
        (0, 0, 0), (0, 0, 16), (0, 0, 32), (16, 0, 0), (16, 0, 16), (16, 0, 32),
    ]  # fmt: skip
    with pytest.raises(ValueError, match="multiple of 16"):
        patch_origins((40, 32, 32), 32)


def test_sliding_window_with_constant_logits_reproduces_hand_computed_weight_sums_and_positions():
    p = 32
    shape = (48, 32, 64)
    d, h, w = np.meshgrid(*(np.arange(s) for s in shape), indexing="ij")
    volume = (d * 10000 + h * 100 + w).astype(np.float32)[np.newaxis]  # each voxel names its position
    seen: list[tuple[int, int, int]] = []
    batch_sizes: list[int] = []
    logits_value = np.array([0.25, 1.5, -3.0], dtype=np.float32)

    def constant_model(x: np.ndarray) -> np.ndarray:
        batch_sizes.append(len(x))
        for patch in x:
            v = int(patch[0, 0, 0, 0])
            seen.append((v // 10000, v // 100 % 100, v % 100))
        return np.broadcast_to(logits_value[None, :, None, None, None], (len(x), 3, p, p, p)).copy()

    sums: list[tuple[np.ndarray, np.ndarray]] = []
    [out] = sliding_window(constant_model, [volume], p, max_patches=4, keep_sums=sums)
    assert seen == [(0, 0, 0), (0, 0, 16), (0, 0, 32), (16, 0, 0), (16, 0, 16), (16, 0, 32)]
    assert batch_sizes == [4, 2]
    assert out.shape == shape and out.dtype == np.uint8 and np.all(out == 1)
    result, weights = sums[0]
    # Weight sum = product over axes of the sum of the 1-D factors of the patches covering the voxel.
    a = gaussian_by_hand(p)

    def axis_sum(size: int) -> np.ndarray:
        s = np.zeros(size)
        for o in range(0, size - p + 1, p // 2):
            s[o : o + p] += a
        return s

    expected = np.einsum("i,j,k->ijk", axis_sum(48), axis_sum(32), axis_sum(64))
    assert np.allclose(weights, expected, rtol=1e-5)
    # Two voxels by hand: a corner (one patch) and the centre of the overlap of all six.
    assert weights[0, 0, 0] == pytest.approx(a[0] ** 3, rel=1e-5)
    assert weights[16, 16, 31] == pytest.approx((a[16] + a[0]) * a[16] * (a[31] + a[15]), rel=1e-5)
    assert np.allclose(result, logits_value[:, None, None, None] * weights, rtol=1e-5)


def test_patches_of_several_volumes_share_a_batch_and_give_the_same_maps():
    rng = np.random.default_rng(0)
    vols = [rng.normal(size=(1, *s)).astype(np.float32) for s in [(32, 32, 32), (48, 32, 32), (32, 48, 32)]]
    sizes: list[int] = []

    def model(x):  # logits that depend on the voxel value, so that all three classes occur
        sizes.append(len(x))
        return np.concatenate([x, x * x - 1, -x], axis=1)

    one = sliding_window(model, vols, 32, max_patches=1)
    sizes.clear()
    many = sliding_window(model, vols, 32, max_patches=4)
    assert sizes == [4, 1]  # 1 + 2 + 2 patches, the first batch spanning all three volumes
    for a, b in zip(one, many):
        assert np.array_equal(a, b)
    assert len(np.unique(one[1])) == 3


# --- DICE.


def test_dice_on_hand_built_masks_kidney_alone_and_an_empty_class():
    from sklearn.metrics import f1_score

    gt = np.zeros((4, 4, 4), np.uint8)
    pred = np.zeros((4, 4, 4), np.uint8)
    gt[0, :, :2] = 1  # 8 kidney voxels
    pred[0, :3, :2] = 1  # 6 of them predicted kidney
    pred[1, 0, 0] = 1  # 1 false kidney
    gt[2, 0, :2] = 2  # 2 tumor voxels ...
    pred[2, 0, 0] = 1  # ... one predicted kidney: a kidney false positive, not merged into kidney
    kidney, tumor = accuracy.dice_per_class(pred, gt)
    assert kidney == pytest.approx((2 * 6 + 1e-6) / (8 + 8 + 1e-6))
    assert tumor == pytest.approx(1e-6 / (2 + 1e-6))
    assert kidney == pytest.approx(f1_score((gt == 1).ravel(), (pred == 1).ravel()))
    assert tumor == pytest.approx(
        f1_score((gt == 2).ravel(), (pred == 2).ravel(), zero_division=0.0), abs=1e-6
    )
    # A class in neither map scores 1 (the smoothing terms); in one map only, about 0.
    empty_gt = np.where(gt == 2, 0, gt).astype(np.uint8)
    empty_pred = np.where(pred == 2, 0, pred).astype(np.uint8)
    assert accuracy.dice_per_class(empty_pred, empty_gt)[1] == 1.0
    assert accuracy.dice_per_class(gt, empty_gt)[1] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="outside 0..2"):
        accuracy.dice_per_class(gt + 3, gt)


def test_accuracy_line_and_both_targets(tmp_path, assets, cache):
    data = ds.KiTS19(str(assets.data_dir), str(cache), patch=TINY.patch, log=lambda s: None)
    responses = {}
    for i, case in enumerate(data.cases):
        gt = np.asarray(nib.load(str(data.label(i))).dataobj).astype(np.uint8)
        if i == 0:
            gt = gt.copy()
            gt[gt == 2] = 1  # tumor called kidney in case 0
        responses[i] = gt.tobytes()
    r = accuracy.evaluate(responses, data.preprocessed_dir, tmp_path / "post", reference=0.86170)
    k0 = r.details["per_case"][0][1]
    assert r.details["per_case"][0][2] == pytest.approx(0.0, abs=1e-6) and k0 < 1.0
    assert r.value == pytest.approx((k0 + 1 + 0 + 1 + 1 + 1) / 6)
    assert r.line == f"Accuracy: mean = {r.value:.5f}, kidney = {(k0 + 2) / 3:.4f}, tumor = {2 / 3:.4f}"
    assert r.target == pytest.approx(0.85308, abs=1e-5)
    assert "3d-unet-99: mean DICE >= 0.85308" in r.target_line()
    assert "3d-unet-99.9: mean DICE >= 0.86084" in r.target_line()
    pred = nib.load(str(tmp_path / "post" / data.cases[1] / "prediction.nii.gz"))
    assert np.allclose(pred.affine, np.array(data.aux[data.cases[1]]["reshaped_affine"]), atol=1e-6)
    assert (tmp_path / "post" / "summary.csv").read_text().splitlines()[-1].startswith("mean,")


# --- Model and data set.


def test_state_dict_keys_are_those_of_the_reference_checkpoint():
    net = unet.Unet3D()
    sd = net.state_dict()
    shapes = {k: tuple(v.shape) for k, v in sd.items()}
    assert shapes["input_block.conv1.0.weight"] == (32, 1, 3, 3, 3)
    assert shapes["input_block.conv1.1.weight"] == (32,)  # the InstanceNorm's affine weight
    assert shapes["downsample.0.conv1.0.weight"] == (64, 32, 3, 3, 3)
    assert shapes["downsample.3.conv2.1.bias"] == (320,)
    assert shapes["bottleneck.conv1.0.weight"] == (320, 320, 3, 3, 3)
    assert shapes["upsample.0.upsample_conv.0.weight"] == (320, 320, 2, 2, 2)
    assert shapes["upsample.0.upsample_conv.0.bias"] == (320,)
    assert shapes["upsample.4.upsample_conv.0.weight"] == (64, 32, 2, 2, 2)
    assert shapes["upsample.4.conv1.0.weight"] == (32, 64, 3, 3, 3)
    assert shapes["output.conv.weight"] == (3, 32, 1, 1, 1) and shapes["output.conv.bias"] == (3,)
    assert not any("running" in k or "num_batches" in k for k in sd)
    assert len(sd) == 11 * 2 * 3 + 5 * 2 + 2  # 11 stages x 2 blocks x (conv, norm w, b); 5 deconvs; output
    assert not any(k.endswith("0.bias") and "upsample_conv" not in k and "output" not in k for k in sd)


@pytest.mark.filterwarnings("ignore")  # torch.jit deprecation and tracer notes
def test_training_checkpoints_and_torchscript_files_load(tmp_path):
    net = unet.Unet3D(channels=(4, 8, 16))
    path = tmp_path / "ckpt.pth"
    torch.save(
        {"best_model_state_dict": {"module." + k: v for k, v in net.state_dict().items()}, "epoch": 3}, path
    )
    loaded = unet.build_torch_model(path)
    assert loaded.channels == (4, 8, 16)
    x = torch.randn(1, 1, 32, 32, 32)
    with torch.inference_mode():
        assert torch.equal(loaded(x), net.eval()(x))
    # A checkpoint holding more than tensors (weights_only refuses it), and a TorchScript file.
    full = tmp_path / "full.pth"
    torch.save(
        {"best_model_state_dict": net.state_dict(), "epoch": np.int64(3), "lr": [np.float32(1e-3)]}, full
    )
    traced = tmp_path / "model.ptc"
    torch.jit.trace(net, x).save(str(traced))
    for path in (full, traced):
        with torch.inference_mode():
            assert torch.equal(unet.build_torch_model(path)(x), net(x))
    bad = tmp_path / "bad.pth"
    torch.save({"best_model_state_dict": {"fc.weight": torch.zeros(2)}}, bad)
    with pytest.raises(ValueError, match="not a 3D-UNet state dict"):
        unet.build_torch_model(bad)


def test_onnx_file_has_the_mlperf_interface_and_computes_what_torch_computes(assets):
    sess = ort.InferenceSession(str(assets.onnx_model), providers=["CPUExecutionProvider"])
    [inp], [out] = sess.get_inputs(), sess.get_outputs()
    assert inp.name == "input" and inp.shape == ["N", 1, 32, 32, 32]
    assert out.name == "output" and out.shape == ["N", 3, 32, 32, 32]
    x = np.random.default_rng(1).normal(size=(2, 1, 32, 32, 32)).astype(np.float32)
    net = unet.build_torch_model(assets.checkpoint)
    with torch.inference_mode():
        expected = net(torch.from_numpy(x)).numpy()
    assert np.allclose(sess.run(["output"], {"input": x})[0], expected, atol=1e-4, rtol=1e-4)


def test_synthetic_set_is_in_the_kits_layout_with_non_unit_spacing_and_fp32_labels(assets, cache):
    info = json.loads((assets.folder / "dataset.json").read_text())
    assert info["reference_dice"]["mean"] == 1.0
    cases = json.loads((assets.data_dir / "inference_cases.json").read_text())
    assert cases == [c.name for c in TINY.cases]
    for c in TINY.cases:
        img = nib.load(str(assets.data_dir / c.name / "imaging.nii.gz"))
        assert img.get_data_dtype() == np.int16 and tuple(img.header["pixdim"][1:4]) == pytest.approx(
            c.spacing
        )
        hu = np.asarray(img.dataobj)
        assert hu.min() < -900 and hu.max() > 500  # air to bone
    # Ground truth = the FP32 torch model's own prediction, in the preprocessed grid.
    data = ds.KiTS19(str(assets.data_dir), str(cache), patch=TINY.patch, log=lambda s: None)
    net = unet.build_torch_model(assets.checkpoint)
    for i in range(data.total_count):
        image = data.get_item(i)
        with torch.inference_mode():
            [pred] = sliding_window(lambda x: net(torch.from_numpy(x)).numpy(), [image], TINY.patch, 2)
        gt = np.asarray(nib.load(str(data.label(i))).dataobj)
        assert np.array_equal(pred, gt)
        assert set(np.unique(gt)) == {0, 1, 2}


def test_preprocessed_cases_are_cached_with_the_reference_bookkeeping(assets, cache):
    data = ds.KiTS19(str(assets.data_dir), str(cache), patch=TINY.patch, log=lambda s: None)
    info = json.loads((data.preprocessed_dir / "preprocessed_files.json").read_text())
    assert info["file_list"] == data.cases
    aux = info["cases"][data.cases[2]]
    assert set(aux) >= {"original_affine", "reshaped_affine", "zoom_factor", "case", "image_shape"}
    assert aux["image_shape"] == [1, *TINY.cases[2].grid]
    # The SUT packs whole cases by patch count (32^3, 48x32^2, 32x48^2 at stride 16).
    assert patches_per_case(data).tolist() == [1, 2, 4]
    said = []
    again = ds.KiTS19(str(assets.data_dir), str(cache), patch=TINY.patch, log=said.append)
    assert said == []  # all from the cache
    assert np.array_equal(again.get_item(1), data.get_item(1))
    two = ds.KiTS19(str(assets.data_dir), str(cache), count=2, patch=TINY.patch, log=said.append)
    assert two.total_count == 2 and said == []


def test_missing_cases_are_a_clear_error(tmp_path):
    (tmp_path / "case_00000").mkdir()
    with pytest.raises(FileNotFoundError, match=r"43 cases .* case_00000, case_00003.*case_00400 is a copy"):
        ds.KiTS19(str(tmp_path), str(tmp_path / "c"))


def test_an_onnx_model_for_another_patch_size_is_rejected(assets):
    from loadgen.harness import BackendOptions, create_backend

    b = SlidingWindowBackend(create_backend("onnxruntime"), 64, 2)
    with pytest.raises(ValueError, match="not 64"):
        b.load(BackendOptions(model_path=str(assets.onnx_model), inputs=("input",), outputs=("output",)))


# --- Runs through the harness.


test_every_scenario_runs_with_both_backends = bench.every_scenario_runs_test(SPEC, options, 2)


@pytest.mark.parametrize("backend", bench.BACKENDS)
@pytest.mark.parametrize("scenario", ["SingleStream", "Offline"])
def test_both_backends_meet_both_quality_targets(assets, cache, tmp_path, scenario, backend):
    acc = bench.accuracy_run(SPEC, options, assets, cache, tmp_path, scenario, backend)
    assert acc.details["cases"] == N_CASES
    assert acc.value >= 0.999 and acc.passed
    for c in TINY.cases:
        assert (tmp_path / "out" / "postprocessed" / c.name / "prediction.nii.gz").is_file()


def test_accuracy_script_works_standalone_on_an_accuracy_log(assets, cache, tmp_path):
    report = run_benchmark(SPEC, options(assets, cache, tmp_path, "Offline", "torch", accuracy=True))
    data = ds.KiTS19(str(assets.data_dir), str(cache), patch=TINY.patch, log=lambda s: None)
    out = bench.run_script(
        bench.BENCHMARKS / "unet3d" / "accuracy.py",
        *("--log_file", report.logs["accuracy"], "--preprocessed_data_dir", data.preprocessed_dir),
        *("--postprocessed_data_dir", tmp_path / "post"),
        check=True,
    )
    lines = out.stdout.splitlines()
    assert lines[0] == "Accuracy: mean = 1.00000, kidney = 1.0000, tumor = 1.0000"
    assert "3d-unet-99: mean DICE >= 0.99000: PASSED" in lines[1]
    assert (tmp_path / "post" / "case_00003" / "prediction.nii.gz").is_file()


def test_run_py_single_stream_accuracy_writes_accuracy_txt(cache, tmp_path):
    out_dir = tmp_path / "cli"
    proc, text = bench.run_accuracy_cli(RUN_PY, "SingleStream", cache, out_dir, embedded="tiny")
    assert text.startswith("Accuracy: mean = ")
    assert "DICE 1.0 by construction" in proc.stdout
    assert (out_dir / "mlperf_log_accuracy.json").is_file()


test_run_py_with_dataset_but_no_model_is_a_usage_error = bench.usage_error_without_model_test(RUN_PY)


test_compliance_and_submission_flow = bench.submission_flow_test(SPEC, options)
