"""SSD-ResNet34 and SSD-MobileNet-v1 (benchmarks/ssd_resnet34, benchmarks/ssd_mobilenet)
and the shared COCO / detection modules, on tiny inputs.

SSD-ResNet34 runs in its tiny configuration (400 px input, 1/8 of the
channels: the same code); SSD-MobileNet-v1 at its real size. Decoding/NMS
and mAP are checked against hand-computed cases (mAP through pycocotools
itself). Needs the `benchmarks` extra (torch, onnxruntime, onnx, OpenCV,
pycocotools); without it the module fails (tests/conftest.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("loadgen.harness")
pytest.importorskip("cv2")
torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("pycocotools")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from loadgen.harness import RunOptions, coco, run_benchmark
from loadgen.harness.detection import multiclass_nms
from ssd_mobilenet import model as mb_model
from ssd_mobilenet import run as mb_run
from ssd_mobilenet import synthetic as mb_synthetic
from ssd_resnet34 import model as r34_model
from ssd_resnet34 import run as r34_run
from ssd_resnet34 import synthetic as r34_synthetic

SCENARIOS = ["SingleStream", "MultiStream", "Server", "Offline"]
BACKENDS = ["onnxruntime", "torch"]
N_IMAGES = 5


# --- NMS, hand-computed.


def nms(boxes, scores, thr=0.05, iou=0.5, pre=200, max_det=200):
    b = torch.tensor(boxes, dtype=torch.float32)[None]
    s = torch.tensor(scores, dtype=torch.float32)[None]
    ob, os_, oc, ov = multiclass_nms(b, s, thr, iou, pre, max_det)
    v = ov[0]
    return ob[0][v].tolist(), [round(x, 6) for x in os_[0][v].tolist()], oc[0][v].tolist()


BOX_A = [0.0, 0.0, 1.0, 1.0]
BOX_B = [0.0, 0.0, 1.0, 0.75]  # IoU with A = 0.75
BOX_C = [0.0, 0.5, 1.0, 1.5]  # IoU with A = 1/3
BOX_D = [2.0, 2.0, 3.0, 3.0]  # disjoint


def test_nms_drops_an_overlapping_box_of_the_same_class_and_keeps_a_distant_one():
    boxes, scores, classes = nms([BOX_A, BOX_B, BOX_C, BOX_D], [[0.9, 0.8, 0.7, 0.6]])
    assert boxes == [BOX_A, BOX_C, BOX_D] and scores == [0.9, 0.7, 0.6] and classes == [0, 0, 0]


def test_nms_threshold_is_strict_iou_above_it_suppresses():
    # IoU(A, C) = 1/3: a threshold of 1/3 keeps C, one just below drops it.
    assert nms([BOX_A, BOX_C], [[0.9, 0.8]], iou=1 / 3 + 1e-6)[0] == [BOX_A, BOX_C]
    assert nms([BOX_A, BOX_C], [[0.9, 0.8]], iou=0.3)[0] == [BOX_A]


def test_the_same_boxes_in_two_classes_are_suppressed_per_class_only():
    boxes, scores, classes = nms([BOX_A, BOX_B], [[0.9, 0.8], [0.6, 0.7]])
    assert scores == [0.9, 0.7] and classes == [0, 1] and boxes == [BOX_A, BOX_B]


def test_score_threshold_pre_nms_cap_and_final_cap():
    far = [[3.0 * i, 0.0, 3.0 * i + 1, 1.0] for i in range(5)]  # no overlaps
    s = [[0.9, 0.8, 0.7, 0.6, 0.04]]
    assert nms(far, s)[1] == [0.9, 0.8, 0.7, 0.6]  # 0.04 <= 0.05 is no candidate
    assert nms(far, s, pre=2)[1] == [0.9, 0.8]  # only the 2 best enter NMS
    two = [[0.9, 0.8, 0.7, 0.6, 0.5], [0.95, 0.1, 0.1, 0.1, 0.85]]
    assert nms(far, two, max_det=3)[1:] == ([0.95, 0.9, 0.85], [1, 0, 1])


def test_equal_scores_keep_the_lower_index_first():
    boxes, scores, _ = nms([BOX_B, BOX_A, BOX_D], [[0.5, 0.5, 0.5]])
    assert boxes == [BOX_B, BOX_D] and scores == [0.5, 0.5]


def test_an_image_without_candidates_gives_no_detections():
    assert nms([BOX_A, BOX_B], [[0.01, 0.02]]) == ([], [], [])


def test_r34_decoding_by_hand():
    d = torch.tensor([[0.5, 0.5, 0.2, 0.4]])  # cx, cy, w, h
    locs = torch.tensor([[[1.0], [0.0], [0.0], [5.0]]])  # dx = 1 -> +0.1 * w; dh = 5 -> exp(1) * h
    (box,) = r34_model.decode(locs, d)[0].tolist()
    h = 0.4 * np.e
    assert box == pytest.approx([0.52 - 0.1, 0.5 - h / 2, 0.52 + 0.1, 0.5 + h / 2], abs=1e-6)


def test_mobilenet_decoding_by_hand():
    prior = torch.tensor([[0.2, 0.4, 0.6, 0.6]])  # ymin, xmin, ymax, xmax: cy .4 cx .5 h .4 w .2
    codes = torch.tensor([[[10.0, 0.0, 5.0, 0.0]]])  # ty = 10 -> +1 h; th = 5 -> exp(1) h
    (box,) = mb_model.decode(codes, prior)[0].tolist()
    h = 0.4 * np.e
    assert box == pytest.approx([0.8 - h / 2, 0.4, 0.8 + h / 2, 0.6], abs=1e-6)


# --- The architectures' fixed facts.


def test_ssd_resnet34_has_15130_default_boxes_on_maps_50_25_13_7_3_3():
    assert r34_model.feature_map_sizes(1200) == [50, 25, 13, 7, 3, 3]
    assert len(r34_model.default_boxes(1200)) == 15130
    keys = r34_model.SSDResNet34(size=1200, width_div=8).state_dict().keys()
    for k in (
        "model.layer1.0.weight",
        "model.layer1.4.0.conv1.weight",
        "model.layer1.5.0.downsample.0.weight",
        "model.layer2.0.5.bn2.running_var",
        "additional_blocks.4.2.weight",
        "loc.5.bias",
        "conf.0.weight",
    ):
        assert k in keys


def test_ssd_mobilenet_has_1917_anchors_and_the_reference_parameter_names():
    assert mb_model.feature_map_sizes(300) == [19, 10, 5, 3, 2, 1]
    a = mb_model.anchors()
    assert a.shape == (1917, 4)
    # The first anchor: scale 0.1, ratio 1, centred on the first 19x19 cell.
    c = 0.5 / 19
    np.testing.assert_allclose(a[0], [c - 0.05, c - 0.05, c + 0.05, c + 0.05], atol=1e-6)
    keys = mb_model.SSDMobileNetV1().state_dict().keys()
    for k in (
        "backbone.0.0.weight",
        "backbone.0.0/BatchNorm.bias",
        "backbone.13.depthwise/BatchNorm.scale",
        "backbone.5.pointwise/BatchNorm.bias",
        "extras.3.2.weight",
        "predictors.0.classification.weight",
        "predictors.5.regression.bias",
    ):
        assert k in keys


# --- COCO: label maps, pycocotools known answers, the folder.


def test_label_maps_80_to_91_and_back():
    inv = coco.inverse_label_map(coco.COCO_CATEGORY_IDS)
    fwd = coco.forward_label_map(coco.COCO_CATEGORY_IDS)
    assert len(coco.COCO_CATEGORY_IDS) == 80 and inv[1] == 1 and inv[12] == 13 and inv[80] == 90
    assert all(inv[fwd[c]] == c for c in coco.COCO_CATEGORY_IDS)


def write_coco(root: Path, images, annotations, files=True) -> None:
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    (root / "val2017").mkdir(exist_ok=True)
    cats = [{"id": c, "name": n} for c, n in coco.COCO_CATEGORIES]
    data = {"images": images, "annotations": annotations, "categories": cats}
    (root / coco.ANNOTATION_FILE).write_text(json.dumps(data))
    if files:
        import cv2

        for img in images:
            cv2.imwrite(
                str(root / "val2017" / img["file_name"]),
                np.full((img["height"], img["width"], 3), 90, np.uint8),
            )


def ann(i, image_id, cat, bbox):
    return {
        "id": i,
        "image_id": image_id,
        "category_id": cat,
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
        "iscrowd": 0,
    }


@pytest.fixture(scope="module")
def hand_set(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hand")
    images = [{"id": 7, "file_name": "000000000007.jpg", "height": 100, "width": 50}]
    write_coco(root, images, [ann(1, 7, 18, [0, 0, 10, 10]), ann(2, 7, 18, [20, 20, 10, 10])])
    return root


def payload(rows) -> bytes:
    return np.array(rows, np.float32).tobytes()


def evaluate_hand_image(hand_set, data: bytes, target):
    """coco.evaluate of the hand set's one image (id 7, 50 x 100, w x h)
    answered with ``data``; ``target``: the mAP target, or None."""
    return coco.evaluate(
        {0: data}, [{"id": 7, "height": 100, "width": 50}], hand_set / coco.ANNOTATION_FILE, False, target
    )


def test_map_of_perfect_detections_is_100(hand_set):
    # Normalised [ymin, xmin, ymax, xmax] of the two boxes in a 50 x 100 (w x h) image.
    rows = [[0, 0.0, 0.0, 0.1, 0.2, 0.9, 18], [0, 0.2, 0.4, 0.3, 0.6, 0.8, 18]]
    r = evaluate_hand_image(hand_set, payload(rows), 20.0)
    assert r.line == "mAP=100.000%" and r.passed


def test_map_with_one_shifted_box_is_the_hand_computed_value(hand_set):
    # Box 2 shifted 2 px right: IoU = 80 / 120 = 2/3: a match at IoU 0.50..0.65 (4 thresholds),
    # a false positive at 0.70..0.95 (6), where AP = 51/101 (recall 0.5 at precision 1).
    rows = [[0, 0.0, 0.0, 0.1, 0.2, 0.9, 18], [0, 0.2, 0.44, 0.3, 0.64, 0.8, 18]]
    r = evaluate_hand_image(hand_set, payload(rows), None)
    assert r.value == pytest.approx(100 * (4 + 6 * 51 / 101) / 10, abs=1e-3)
    assert r.line == "mAP=70.297%"


def test_an_empty_response_counts_as_all_missed(hand_set):
    r = evaluate_hand_image(hand_set, b"", None)
    assert r.line == "mAP=0.000%"


def test_images_follow_annotation_order_and_missing_files_are_counted(tmp_path):
    images = [{"id": i, "file_name": f"{i:012d}.jpg", "height": 20, "width": 30} for i in (9, 3, 5, 4)]
    write_coco(tmp_path, images, [ann(1, 3, 1, [1, 1, 5, 5]), ann(2, 4, 2, [1, 1, 5, 5])])
    (tmp_path / "val2017" / "000000000005.jpg").unlink()
    d = coco.CocoDetection(str(tmp_path), str(tmp_path / "cache"), coco.PROFILES["coco-300"])
    assert [img["id"] for img in d.images] == [9, 3, 4] and d.missing == 1
    assert any("1 of the 4 images" in n for n in d.notes())
    e = coco.CocoDetection(
        str(tmp_path), str(tmp_path / "cache"), coco.PROFILES["coco-300"], remove_empty=True
    )
    assert [img["id"] for img in e.images] == [3, 4]
    with pytest.raises(FileNotFoundError, match="instances_val2017.json"):
        coco.CocoDetection(str(tmp_path / "nothing"), str(tmp_path), coco.PROFILES["coco-300"])


def test_preprocessing_profiles_by_hand():
    bgr = np.zeros((8, 8, 3), np.uint8)
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = 10, 100, 200  # B, G, R
    u8 = coco.PROFILES["coco-300"].preprocess(bgr)
    assert u8.shape == (300, 300, 3) and u8.dtype == np.uint8 and u8[0, 0].tolist() == [200, 100, 10]
    pt = coco.PROFILES["coco-300-pt"].preprocess(bgr)
    assert pt.shape == (3, 300, 300)
    np.testing.assert_allclose(
        pt[:, 5, 5], [(200 - 127.5) / 127.5, (100 - 127.5) / 127.5, (10 - 127.5) / 127.5], atol=1e-6
    )
    big = coco.PROFILES["coco-1200"].preprocess(bgr)
    assert big.shape == (3, 1200, 1200) and big.dtype == np.float32
    expected = (np.array([200, 100, 10]) / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    np.testing.assert_allclose(big[:, 600, 600], expected, atol=1e-5)


# --- The embedded defaults (tiny) and runs through the harness.


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ssd-cache")


@pytest.fixture(scope="module")
def r34_assets(cache):
    return r34_synthetic.ensure_default_assets(
        cache, n_images=N_IMAGES, size=400, width_div=8, log=lambda s: None
    )


@pytest.fixture(scope="module")
def mb_assets(cache):
    return mb_synthetic.ensure_default_assets(cache, n_images=N_IMAGES, log=lambda s: None)


BENCH = {"ssd_resnet34": (r34_run.SPEC, "r34_assets"), "ssd_mobilenet": (mb_run.SPEC, "mb_assets")}


def assets_for(request, name):
    return request.getfixturevalue(BENCH[name][1])


@pytest.mark.parametrize("name", list(BENCH))
def test_synthetic_set_is_coco_layout_with_an_empty_image_and_several_classes(request, name):
    a = assets_for(request, name)
    info = json.loads((a.data_dir / "dataset.json").read_text())
    data = json.loads((a.data_dir / coco.ANNOTATION_FILE).read_text())
    assert len(data["images"]) == N_IMAGES and info["images_without_annotations"] >= 1
    assert info["images_with_several_classes"] >= 1 and info["reference_map"] > 99.0
    for img in data["images"]:
        assert (a.data_dir / "val2017" / img["file_name"]).read_bytes()[:2] == b"\xff\xd8"
    assert {x["category_id"] for x in data["annotations"]} <= set(coco.COCO_CATEGORY_IDS)


@pytest.mark.parametrize("name", list(BENCH))
def test_onnx_file_has_the_mlperf_interface_and_agrees_with_torch(request, name, cache):
    a = assets_for(request, name)
    spec = BENCH[name][0]
    sess = ort.InferenceSession(str(a.onnx_model), providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == list(spec.inputs)
    assert [o.name for o in sess.get_outputs()] == list(spec.outputs)
    ds_onnx = spec.make_dataset(
        RunOptions(backend="onnxruntime", dataset_path=str(a.data_dir), cache_dir=str(cache))
    )
    ds_torch = spec.make_dataset(
        RunOptions(backend="torch", dataset_path=str(a.data_dir), cache_dir=str(cache))
    )
    net = spec.torch_model_factory(str(a.torch_state_dict))
    idx = np.arange(2, dtype=np.uint64)
    for i in range(2):
        xo = ds_onnx.get_item(i)[None]
        xt = ds_torch.get_item(i)[None]
        o = spec.respond(sess.run(list(spec.outputs), {spec.inputs[0]: xo}), None, idx[i : i + 1])
        with torch.no_grad():
            t = spec.respond([v.numpy() for v in net(torch.from_numpy(xt))], None, idx[i : i + 1])
        ro, rt = coco.decode_payload(o[0]), coco.decode_payload(t[0])
        strong_o, strong_t = ro[ro[:, 5] > 0.5], rt[rt[:, 5] > 0.5]
        assert len(strong_o) == len(strong_t)
        np.testing.assert_allclose(strong_o, strong_t, atol=2e-3)


def options(a, cache, tmp_path, scenario, backend, **kw) -> RunOptions:
    base = {
        "scenario": scenario,
        "backend": backend,
        "model": str(a.onnx_model if backend == "onnxruntime" else a.torch_state_dict),
        "dataset_path": str(a.data_dir),
        "cache_dir": str(cache),
        "output": str(tmp_path / "out"),
        "progress": False,
        "warmup_batches": 1,
        "samples_per_query": 2,
        "max_batchsize": 2,
        "threads": 2,
        "qps": 50.0,
        "time_s": 0.05,
    }
    base.update(kw)
    return RunOptions(**base)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("name", list(BENCH))
def test_every_scenario_runs_with_both_backends(request, cache, tmp_path, name, scenario, backend):
    a = assets_for(request, name)
    report = run_benchmark(BENCH[name][0], options(a, cache, tmp_path, scenario, backend, count=3))
    assert report.error is None
    p = report.performance
    assert p is not None and p.samples_completed == p.samples_issued >= 1
    assert f"Scenario : {scenario}" in (tmp_path / "out" / "mlperf_log_summary.txt").read_text()
    if scenario == "Server" and not p.valid:  # the flags for a VALID demonstration, from the latency
        assert any("--max-latency" in h and "--qps" in h for h in report.hints), report.hints


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(BENCH))
def test_accuracy_meets_the_target_and_the_script_agrees_standalone(request, cache, tmp_path, name, backend):
    a = assets_for(request, name)
    report = run_benchmark(
        BENCH[name][0], options(a, cache, tmp_path, "Offline", backend, accuracy=True, time_s=None)
    )
    assert report.error is None
    acc = report.accuracy
    assert acc is not None and acc.details["images"] == N_IMAGES and acc.passed, acc
    assert (tmp_path / "out" / "accuracy.txt").read_text().startswith(acc.line)
    out = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / name / "accuracy.py"),
            "--mlperf-accuracy-file",
            report.logs["accuracy"],
            "--coco-dir",
            str(a.data_dir),
            "--output-file",
            str(tmp_path / "res.json"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = out.stdout.splitlines()
    assert acc.line in lines and "PASSED" in lines[-1]


def test_payload_is_7_float_records_with_the_qsl_index_and_empty_without_detections():
    out = r34_run.respond(
        [
            np.array([[[0.1, 0.2, 0.3, 0.4]], [[0, 0, 0, 0]]], np.float32),
            np.array([[5], [0]]),
            np.array([[0.9], [0]], np.float32),
        ],
        None,
        np.array([11, 12], np.uint64),
    )
    np.testing.assert_allclose(np.frombuffer(out[0], np.float32), [11, 0.2, 0.1, 0.4, 0.3, 0.9, 5], rtol=1e-6)
    assert out[1] == b""


def test_a_whole_pickled_module_of_an_unavailable_class_loads_as_a_state_dict(tmp_path):
    # The MLPerf resnet34-ssd1200.pytorch is a pickled SSD_R34 module; its classes are not importable here.
    (tmp_path / "refmodels_x").mkdir()
    (tmp_path / "refmodels_x" / "__init__.py").write_text(
        "import torch\nclass Net(torch.nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.conv = torch.nn.Conv2d(3, 2, 1)\n"
    )
    script = (
        "import sys, torch; sys.path.insert(0, sys.argv[1]); import refmodels_x; "
        "torch.manual_seed(0); torch.save(refmodels_x.Net(), sys.argv[2])"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path), str(tmp_path / "net.pytorch")], check=True)
    state = r34_model.load_state_dict_file(tmp_path / "net.pytorch")
    assert set(state) == {"conv.weight", "conv.bias"} and state["conv.weight"].shape == (2, 3, 1, 1)


def test_run_py_single_stream_accuracy_writes_accuracy_txt(mb_assets, cache, tmp_path):
    out_dir = tmp_path / "cli"
    cmd = [sys.executable, str(BENCHMARKS / "ssd_mobilenet" / "run.py"), "--scenario", "SingleStream"]
    cmd += ["--accuracy", "--cache-dir", str(cache), "--synthetic-images", str(N_IMAGES)]
    proc = subprocess.run(
        cmd + ["--output", str(out_dir), "--no-progress"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (out_dir / "accuracy.txt").read_text()
    assert text.startswith("mAP=100.000%") and "PASSED" in text
    assert "FP32 mAP on it 100.000%" in proc.stdout  # the pipeline-check note


@pytest.mark.parametrize("name", list(BENCH))
def test_run_py_with_dataset_but_no_model_is_a_usage_error(name, tmp_path):
    write_coco(tmp_path, [{"id": 1, "file_name": "000000000001.jpg", "height": 8, "width": 8}], [])
    cmd = [sys.executable, str(BENCHMARKS / name / "run.py"), "--dataset-path", str(tmp_path)]
    proc = subprocess.run(
        cmd + ["--output", str(tmp_path / "o")], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2 and "--model" in proc.stderr


@pytest.mark.parametrize("name", sorted(BENCH))
def test_compliance_and_submission_flow(request, cache, tmp_path, name):
    """Performance, accuracy and the model's compliance tests, packed and checked (issue 15)."""
    from submission_flow import check_flow

    spec, fixture = BENCH[name]
    a = request.getfixturevalue(fixture)
    check_flow(spec, lambda **kw: options(a, cache, tmp_path, "Offline", "onnxruntime", **kw), tmp_path)
