"""ResNet50-v1.5 (benchmarks/resnet50) on a tiny embedded data set.

The network is the full ResNet50; the data set has 8 images, and the runs are
cut short by --count and --time, so every scenario runs with both backends in
seconds. Needs the `benchmarks` extra (torch, onnxruntime, onnx, OpenCV);
without it the module fails (tests/conftest.py).
"""

from __future__ import annotations

import json

import benchmark_helpers as bench
import numpy as np
import pytest

RUN_PY = bench.use_benchmark("resnet50")
pytest.importorskip("cv2")
torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from loadgen.harness import RunOptions, run_benchmark
from resnet50 import accuracy, synthetic
from resnet50 import dataset as ds
from resnet50 import model as resnet
from resnet50.run import SPEC

N_IMAGES = 8


cache = bench.cache_fixture("resnet50")


@pytest.fixture(scope="module")
def assets(cache) -> synthetic.DefaultAssets:
    return synthetic.ensure_default_assets(cache, n_val=N_IMAGES, n_cal=8, log=lambda s: None)


def options(assets, cache, tmp_path, scenario, backend, **kw) -> RunOptions:
    model = assets.onnx_model if backend == "onnxruntime" else assets.torch_state_dict
    return bench.short_run_options(model, assets.data_dir, cache, tmp_path, scenario, backend, **kw)


# --- Preprocessing.


def test_preprocess_crops_the_centre_and_subtracts_the_mean_in_rgb_order():
    rng = np.random.default_rng(1)
    bgr = rng.integers(0, 256, size=(256, 256, 3), dtype=np.uint8)  # already 256: no resampling
    out = ds.preprocess(bgr)
    assert out.shape == (3, 224, 224) and out.dtype == np.float32
    crop_rgb = bgr[16:240, 16:240, ::-1].astype(np.float32)
    expected = (crop_rgb - np.array([123.68, 116.78, 103.94], np.float32)).transpose(2, 0, 1)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("shape", [(300, 500), (500, 300), (224, 224), (1000, 257)])
def test_preprocess_gives_224_square_from_any_aspect(shape):
    bgr = np.full((*shape, 3), (10, 20, 30), np.uint8)
    out = ds.preprocess(bgr)
    assert out.shape == (3, 224, 224)
    # A uniform picture stays uniform through area resizing: R, G, B = 30, 20, 10.
    np.testing.assert_allclose(out[:, 0, 0], [30 - 123.68, 20 - 116.78, 10 - 103.94], rtol=0, atol=1e-4)


def test_preprocessed_images_are_cached_on_disk_and_reused(assets, cache):
    d = ds.ImageNetVal(str(assets.data_dir), str(cache))
    first = d.get_item(0)
    cached = d.preprocessed_dir / (d.files[0] + ".npy")
    assert cached.is_file()
    np.testing.assert_array_equal(np.load(cached), first)
    np.testing.assert_array_equal(ds.ImageNetVal(str(assets.data_dir), str(cache)).get_item(0), first)


def test_count_limits_the_data_set_and_missing_images_are_skipped(assets, cache, tmp_path):
    folder = tmp_path / "val"
    folder.mkdir()
    names = [line.split()[0] for line in (assets.data_dir / "val_map.txt").read_text().splitlines()]
    for n in names[:3]:
        (folder / n).write_bytes((assets.data_dir / n).read_bytes())
    (folder / "val_map.txt").write_text("".join(f"{n} {i}\n" for i, n in enumerate(names)))
    d = ds.ImageNetVal(str(folder), str(cache))
    assert d.total_count == 3 and d.missing == len(names) - 3
    assert ds.ImageNetVal(str(folder), str(cache), count=2).total_count == 2


# --- The embedded default.


def test_synthetic_set_is_in_imagenet_layout_with_a_calibration_list(assets):
    lines = (assets.data_dir / "val_map.txt").read_text().splitlines()
    assert len(lines) == N_IMAGES
    for line in lines:
        name, label = line.split()
        assert (assets.data_dir / name).read_bytes()[:2] == b"\xff\xd8"  # a real JPEG
        assert 0 <= int(label) < 1000
    cal = assets.calibration_list.read_text().split()
    assert cal and all((assets.data_dir / c).is_file() for c in cal)
    info = json.loads((assets.data_dir / "dataset.json").read_text())
    assert info["reference_top1"] == 100.0


def test_labels_are_the_fp32_reference_models_predictions(assets):
    net = resnet.build_torch_model(assets.torch_state_dict)
    d = ds.ImageNetVal(str(assets.data_dir), str(assets.data_dir.parent))
    d.load(range(d.total_count))
    with torch.no_grad():
        argmax, _ = net(torch.from_numpy(d.get_batch(list(range(d.total_count)))))
    np.testing.assert_array_equal(argmax.numpy() - 1, d.labels)


def test_onnx_file_has_the_mlperf_interface(assets):
    sess = ort.InferenceSession(str(assets.onnx_model), providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    assert inp.name == "input_tensor:0" and inp.type == "tensor(float)" and inp.shape[1:] == [3, 224, 224]
    outs = {o.name: o for o in sess.get_outputs()}
    assert outs["ArgMax:0"].type == "tensor(int64)"
    assert outs["softmax_tensor:0"].type == "tensor(float)" and outs["softmax_tensor:0"].shape[1] == 1001


def test_onnx_export_computes_what_the_torch_model_computes(assets, cache):
    d = ds.ImageNetVal(str(assets.data_dir), str(cache))
    d.load(range(d.total_count))
    x = d.get_batch(list(range(d.total_count)))
    sess = ort.InferenceSession(str(assets.onnx_model), providers=["CPUExecutionProvider"])
    o_argmax, o_softmax = sess.run(["ArgMax:0", "softmax_tensor:0"], {"input_tensor:0": x})
    with torch.no_grad():
        t_argmax, t_softmax = resnet.build_torch_model(assets.torch_state_dict)(torch.from_numpy(x))
    np.testing.assert_array_equal(o_argmax, t_argmax.numpy())
    np.testing.assert_allclose(o_softmax, t_softmax.numpy(), rtol=1e-3, atol=1e-6)
    assert np.allclose(o_softmax.sum(axis=1), 1.0, atol=1e-5)


# --- Runs through the harness.


# Offline: 4 samples of ResNet50 outlast 50 ms, so the run is VALID.
test_every_scenario_runs_with_both_backends = bench.every_scenario_runs_test(
    SPEC, options, 4, more=lambda s: {}
)


@bench.every_scenario_with_both_backends
def test_both_backends_meet_the_quality_target_in_every_scenario(assets, cache, tmp_path, scenario, backend):
    acc = bench.accuracy_run(SPEC, options, assets, cache, tmp_path, scenario, backend)
    assert acc.details["total"] == N_IMAGES
    assert acc.value >= 99.0 and acc.passed


def test_accuracy_script_works_standalone_on_an_accuracy_log(assets, cache, tmp_path):
    report = run_benchmark(SPEC, options(assets, cache, tmp_path, "Offline", "onnxruntime", accuracy=True))
    out = bench.run_script(
        bench.BENCHMARKS / "resnet50" / "accuracy.py",
        check=True,
        mlperf_accuracy_file=report.logs["accuracy"],
        imagenet_val_file=assets.data_dir / "val_map.txt",
    )
    lines = out.stdout.splitlines()
    assert lines[0] == f"accuracy=100.000%, good={N_IMAGES}, total={N_IMAGES}"
    assert "PASSED" in lines[1] and "99.000" in lines[1]


def test_accuracy_counts_a_wrong_or_empty_response_as_wrong():
    labels = [5, 6, 7]
    responses = {0: np.float32(5).tobytes(), 1: np.float32(9).tobytes(), 2: b""}
    result = accuracy.evaluate(responses, labels)
    assert result.line == "accuracy=33.333%, good=1, total=3"
    assert result.target == pytest.approx(75.6954) and result.passed is False
    ints = accuracy.evaluate({0: np.int64(5).tobytes()}, labels, dtype="int64")
    assert ints.details == {"good": 1, "total": 1}


def test_run_py_single_stream_accuracy_writes_accuracy_txt(cache, tmp_path):
    out_dir = tmp_path / "cli"
    proc, text = bench.run_accuracy_cli(RUN_PY, "SingleStream", cache, out_dir, synthetic_images=N_IMAGES)
    assert text.startswith(f"accuracy=100.000%, good={N_IMAGES}, total={N_IMAGES}")
    assert "accuracy=100.000%" in proc.stdout
    assert (out_dir / "mlperf_log_accuracy.json").is_file()


test_run_py_with_dataset_but_no_model_is_a_usage_error = bench.usage_error_without_model_test(RUN_PY)


# Performance, accuracy and TEST01/04/05, packed and checked (issue 15).
test_compliance_and_submission_flow = bench.submission_flow_test(SPEC, options)
