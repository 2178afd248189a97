"""DLRM on Criteo Terabyte (benchmarks/dlrm) on tiny tables.

The network is the full DLRM (26 tables of dimension 128, both MLPs); the
tables have at most 64 rows and the synthetic day_23 has 6001 lines (11
groups in its test half), so every scenario runs with both backends in
seconds. Needs the `benchmarks` extra (torch, onnxruntime, onnx,
scikit-learn); without it the module fails (tests/conftest.py).
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import benchmark_helpers as bench
import numpy as np
import pytest

RUN_PY = bench.use_benchmark("dlrm")
torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")
sklearn_metrics = pytest.importorskip("sklearn.metrics")

ACCURACY_PY = bench.BENCHMARKS / "dlrm" / "accuracy.py"

from dlrm import accuracy, criteo, synthetic
from dlrm import model as dlrm_model
from dlrm.run import SPEC
from loadgen.harness import Backend, BackendOptions, Dataset, RunOptions, ThreadedSUT, run_benchmark

ROWS = 6001  # test half: ceil(6001 / 2) = 3001 rows
TEST_ROWS = 3001
MAX_IND_RANGE = 64
# The first sizes of the reference's dist_trace_verification.txt (shared/spec/benchmarks.md §3.4).
REFERENCE_TRACE_START = [
    200,
    200,
    200,
    200,
    500,
    700,
    200,
    100,
    100,
    500,
    300,
    200,
    100,
    300,
    100,
    300,
    700,
    300,
    200,
    100,
]


cache = bench.cache_fixture("dlrm")


@pytest.fixture(scope="module")
def assets(cache) -> synthetic.DefaultAssets:
    return synthetic.ensure_default_assets(cache, rows=ROWS, max_ind_range=MAX_IND_RANGE, log=lambda s: None)


@pytest.fixture(scope="module")
def data(assets, cache) -> criteo.CriteoTerabyte:
    d = criteo.CriteoTerabyte(assets.data_dir, cache, MAX_IND_RANGE, log=lambda s: None)
    d.load(range(d.total_count))
    return d


def options(assets, cache, tmp_path, scenario, backend, **kw) -> RunOptions:
    model = assets.onnx_model if backend == "onnxruntime" else assets.torch_state_dict
    kw = {"max_batchsize": 1000, "extra": {"max_ind_range": MAX_IND_RANGE}, **kw}
    return bench.short_run_options(model, assets.data_dir, cache, tmp_path, scenario, backend, **kw)


def torch_scores(net, batch) -> np.ndarray:
    with torch.no_grad():
        out = net(*(torch.from_numpy(np.array(batch[k])) for k in ("dense_x", "offsets", "indices")))
    return out.numpy().reshape(-1)


# --- The aggregated samples (groups) and the trace file.


def test_group_sizes_match_the_reference_trace():
    offsets = criteo.draw_group_offsets(10**6)
    sizes = np.diff(offsets)
    assert sizes[: len(REFERENCE_TRACE_START)].tolist() == REFERENCE_TRACE_START
    assert set(sizes[:-1].tolist()) <= set(criteo.QUANTILE_TABLE)
    assert offsets[0] == 0 and offsets[-1] == 10**6 and (sizes >= 1).all()
    assert abs(sizes.mean() - 270) < 5  # the table's mean is 270


def test_last_group_is_cut_at_the_end_of_the_test_half():
    offsets = criteo.draw_group_offsets(450)  # 200, 200, then 50 of the next 200
    assert offsets.tolist() == [0, 200, 400, 450]
    assert criteo.fixed_group_offsets(450, 200).tolist() == [0, 200, 400, 450]


def test_quantile_file_in_the_reference_format_is_read(tmp_path):
    f = tmp_path / "dist_quantile.txt"
    f.write_text(", ".join(str(s) for s in criteo.QUANTILE_TABLE) + "\n")
    assert tuple(criteo.read_quantile_file(f).tolist()) == criteo.QUANTILE_TABLE
    f.write_text("100, x\n")
    with pytest.raises(ValueError, match="line 1"):
        criteo.read_quantile_file(f)


def test_trace_file_round_trips_in_start_end_count_format(tmp_path):
    offsets = criteo.draw_group_offsets(5000)
    path = tmp_path / "trace.txt"
    criteo.write_trace(path, offsets)
    lines = path.read_text().splitlines()
    assert lines[:3] == ["0, 200, 200", "200, 400, 200", "400, 600, 200"]
    assert len(lines) == len(offsets) - 1
    np.testing.assert_array_equal(criteo.read_trace(path), offsets)


def test_trace_with_a_gap_is_rejected_naming_the_line(tmp_path):
    path = tmp_path / "trace.txt"
    path.write_text("0, 100, 100\n150, 250, 100\n")
    with pytest.raises(ValueError, match=r"trace.txt:2"):
        criteo.read_trace(path)


# --- Reading the raw day file and the npz.


def test_raw_lines_parse_with_empty_fields_negatives_and_crlf(tmp_path):
    day = tmp_path / "day_23"
    line1 = "1\t5\t-2\t\t" + "\t".join(str(i) for i in range(10)) + "\t68fd1e64\t\tFFFFFFFF" + "\t0a" * 23
    line2 = "0" + "\t" * 39
    line3 = "1" + "\t12" * 13 + "\tabc" * 26
    day.write_bytes((line1 + "\n" + line2 + "\r\n" + line3).encode())  # no newline at the end
    assert criteo.count_lines(day) == 3
    blocks = list(criteo.iter_raw_rows(day, block_bytes=64))  # blocks smaller than a line
    y = np.concatenate([b[0] for b in blocks])
    dense = np.concatenate([b[1] for b in blocks])
    cats = np.concatenate([b[2] for b in blocks])
    assert y.tolist() == [1, 0, 1]
    assert dense[0].tolist() == [5, -2, 0, *range(10)]
    assert (dense[1] == 0).all() and (dense[2] == 12).all()
    assert cats[0, :4].tolist() == [0x68FD1E64, 0, 0xFFFFFFFF, 10]
    assert (cats[1] == 0).all() and (cats[2] == 0xABC).all()
    assert [len(b[0]) for b in criteo.iter_raw_rows(day, stop=2)] == [2]


def test_a_line_with_missing_fields_is_an_error_naming_the_line(tmp_path):
    day = tmp_path / "day_23"
    day.write_text("0" + "\t1" * 39 + "\n" + "1\t2\t3\n")
    with pytest.raises(ValueError, match=r"line 2 has 3 tab-separated fields, expected 40"):
        list(criteo.iter_raw_rows(day))
    day.write_text("0" + "\t1" * 13 + "\tzz" + "\t1" * 25 + "\n")
    with pytest.raises(ValueError, match=r"line 1: categorical field 0 is not a base-16 number"):
        list(criteo.iter_raw_rows(day))


def test_dense_features_are_clamped_at_zero_then_log1p():
    out = criteo.dense_transform(np.array([[-3, 0, 1, 9]]))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.0, math.log(2), math.log(10)]], rtol=1e-6)


def test_categories_get_ids_in_order_of_first_appearance_across_blocks():
    d = criteo.FirstSeenIds()
    assert d.map(np.array([50, 7, 50, 9])).tolist() == [0, 1, 0, 2]
    assert d.map(np.array([9, 3, 7, 1, 3])).tolist() == [2, 3, 1, 4, 3]
    assert d.unique_in_order().tolist() == [50, 7, 9, 3, 1]
    ref = criteo.FirstSeenIds.from_unique(np.array([50, 7, 9]))
    assert ref.map(np.array([9, 50])).tolist() == [2, 0]
    with pytest.raises(ValueError, match="not in the dictionary"):
        ref.map(np.array([4]))


def test_test_half_is_the_first_ceil_n_over_2_rows(data):
    assert data.meta["rows_in_file"] == ROWS and data.meta["test_rows"] == TEST_ROWS == data.pairs
    assert data.offsets[-1] == TEST_ROWS and data.total_count == len(criteo.draw_group_offsets(TEST_ROWS)) - 1


def test_raw_path_applies_modulo_and_the_dictionary(assets, data):
    dense, dense_missing, hashes, cat_missing = synthetic.draw_raw_values(
        ROWS, criteo.table_sizes_for(MAX_IND_RANGE), MAX_IND_RANGE
    )
    assert (hashes >= MAX_IND_RANGE).mean() > 0.9  # the file's values really need the modulo
    dicts = [criteo.FirstSeenIds() for _ in range(criteo.NUM_CAT)]
    x, ids = synthetic.features_as_read(
        dense[:TEST_ROWS],
        dense_missing[:TEST_ROWS],
        hashes[:TEST_ROWS],
        cat_missing[:TEST_ROWS],
        MAX_IND_RANGE,
        dicts,
    )
    np.testing.assert_array_equal(np.asarray(data.dense), x)
    np.testing.assert_array_equal(np.asarray(data.cat), ids)
    assert (np.asarray(data.cat).max(axis=1) < np.array(criteo.table_sizes_for(MAX_IND_RANGE))).all()


def test_npz_form_reads_the_same_test_half_as_the_raw_form(data, cache, tmp_path):
    # The reference's day_23_reordered.npz holds table ids already; build it from the raw reading.
    n = ROWS
    raw_rows = list(criteo.iter_raw_rows(Path(data.meta["source"])))
    y = np.concatenate([b[0] for b in raw_rows])
    x_int = np.maximum(np.concatenate([b[1] for b in raw_rows]), 0).astype(np.int32)
    x_cat = np.zeros((n, criteo.NUM_CAT), np.int32)
    x_cat[:TEST_ROWS] = np.asarray(data.cat).T
    folder = tmp_path / "npz"
    folder.mkdir()
    np.savez_compressed(folder / "day_23_reordered.npz", X_int=x_int, X_cat=x_cat, y=y.astype(np.int32))
    d = criteo.CriteoTerabyte(folder, cache, MAX_IND_RANGE, log=lambda s: None)
    assert d.meta["form"] == "npz" and d.meta["test_rows"] == TEST_ROWS
    np.testing.assert_array_equal(np.asarray(d.dense), np.asarray(data.dense))
    np.testing.assert_array_equal(np.asarray(d.cat), np.asarray(data.cat))
    np.testing.assert_array_equal(np.asarray(d.labels_all), np.asarray(data.labels_all))
    # ids are reduced modulo --max-ind-range
    d8 = criteo.CriteoTerabyte(folder, cache, 8, log=lambda s: None)
    np.testing.assert_array_equal(np.asarray(d8.cat), np.asarray(data.cat) % 8)


def test_reference_dictionaries_are_used_when_present(assets, cache, tmp_path):
    folder = tmp_path / "with-dicts"
    folder.mkdir()
    (folder / "day_23").write_bytes((assets.data_dir / "day_23").read_bytes())
    rs = np.random.RandomState(3)
    for j in range(criteo.NUM_CAT):  # every residue 0..63, in a shuffled order
        np.savez_compressed(
            folder / f"day_fea_dict_{j}.npz", unique=rs.permutation(MAX_IND_RANGE).astype(np.int32)
        )
    d = criteo.CriteoTerabyte(folder, cache, MAX_IND_RANGE, log=lambda s: None)
    assert "day_fea_dict" in d.meta["categorical_ids"]
    first = next(criteo.iter_raw_rows(folder / "day_23", stop=1))[2][0] % MAX_IND_RANGE
    for j in (0, 5, 25):
        unique = np.load(folder / f"day_fea_dict_{j}.npz")["unique"]
        assert d.cat[j, 0] == int(np.flatnonzero(unique == first[j])[0])


def test_missing_day_file_is_a_clear_error(tmp_path, cache):
    with pytest.raises(FileNotFoundError, match="day_23_reordered.npz or day_23"):
        criteo.CriteoTerabyte(tmp_path, cache, 64)


def test_a_batch_of_groups_is_the_reference_input(data):
    batch = data.get_batch([2, 0])
    n = int(data.sizes[2] + data.sizes[0])
    assert batch["dense_x"].shape == (n, 13) and batch["dense_x"].dtype == np.float32
    assert batch["indices"].shape == (26, n) and batch["indices"].dtype == np.int64
    np.testing.assert_array_equal(batch["offsets"], np.tile(np.arange(n), (26, 1)))
    s2, e2 = data.group_rows(2)
    np.testing.assert_array_equal(batch["indices"][:, : e2 - s2], np.asarray(data.cat)[:, s2:e2])


# --- The model.


def test_state_dict_has_the_reference_checkpoint_keys():
    net = dlrm_model.DLRM(criteo.table_sizes_for(8))
    keys = set(net.state_dict())
    expected = {f"emb_l.{k}.weight" for k in range(26)}
    expected |= {f"bot_l.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")}
    expected |= {f"top_l.{i}.{p}" for i in (0, 2, 4, 6, 8) for p in ("weight", "bias")}
    assert keys == expected
    assert net.top_l[0].in_features == 479 == dlrm_model.interaction_features()
    assert [net.bot_l[i].out_features for i in (0, 2, 4)] == [512, 256, 128]
    assert [net.top_l[i].out_features for i in (0, 2, 4, 6, 8)] == [1024, 1024, 512, 256, 1]


def test_interaction_is_the_lower_triangle_of_pairwise_dot_products():
    net = dlrm_model.make_fixed_seed_model(criteo.table_sizes_for(8), seed=1)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.random((3, 13), dtype=np.float32))
    idx = torch.from_numpy(np.stack([rng.integers(0, n, 3) for n in net.table_sizes]))
    off = torch.arange(3).expand(26, 3).contiguous()
    with torch.no_grad():
        bottom = net.bot_l(x)
        vecs = [bottom] + [net.emb_l[k].weight[idx[k]] for k in range(26)]
        feats = [bottom[b].tolist() for b in range(3)]
        for b in range(3):
            feats[b] += [float(vecs[i][b] @ vecs[j][b]) for i in range(27) for j in range(i)]
        expected = net.top_l(torch.tensor(feats))
        np.testing.assert_allclose(net(x, off, idx).numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)


def test_reference_checkpoint_layout_loads(tmp_path):
    net = dlrm_model.make_fixed_seed_model(criteo.table_sizes_for(8), seed=2)
    torch.save({"state_dict": net.state_dict(), "epoch": 1}, tmp_path / "tb.pt")
    loaded = dlrm_model.build_torch_model(tmp_path / "tb.pt")
    assert loaded.table_sizes == criteo.table_sizes_for(8)
    for k, v in net.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)


def test_onnx_file_has_the_reference_interface(assets):
    sess = ort.InferenceSession(str(assets.onnx_model), providers=["CPUExecutionProvider"])
    ins = {i.name: i for i in sess.get_inputs()}
    assert list(ins) == ["dense_x", "offsets", "indices"]
    assert ins["dense_x"].type == "tensor(float)" and ins["dense_x"].shape[1] == 13
    assert ins["offsets"].type == ins["indices"].type == "tensor(int64)" and ins["indices"].shape[0] == 26
    (out,) = sess.get_outputs()
    assert out.name == "pred" and out.shape[1] == 1


def test_onnx_computes_what_torch_computes_also_for_multi_index_bags(assets, data):
    net = dlrm_model.build_torch_model(assets.torch_state_dict)
    sess = ort.InferenceSession(str(assets.onnx_model), providers=["CPUExecutionProvider"])
    batch = data.get_batch([0, 1])
    np.testing.assert_allclose(
        sess.run(["pred"], batch)[0].reshape(-1), torch_scores(net, batch), rtol=1e-5, atol=1e-6
    )
    n = len(batch["dense_x"])
    bags = np.tile(np.sort(np.random.default_rng(1).integers(0, n, n)), (26, 1))
    bags[:, 0] = 0  # bags of 0..several indices
    general = {**batch, "offsets": bags}
    np.testing.assert_allclose(
        sess.run(["pred"], general)[0].reshape(-1), torch_scores(net, general), rtol=1e-5, atol=1e-6
    )


# --- The embedded default.


def test_labels_follow_the_documented_rule_on_the_fp32_scores(assets, data):
    info = json.loads((assets.data_dir / "dataset.json").read_text())
    net = dlrm_model.build_torch_model(assets.torch_state_dict)
    everything = list(range(data.total_count))
    scores = torch_scores(net, data.get_batch(everything))
    labels = data.batch_labels(everything)
    # Rescoring in another batch shape may move scores by float rounding, which
    # can swap neighbouring ranks: allow a label flip or two at the threshold.
    assert (labels != synthetic.labels_from_scores(scores)).sum() <= 2
    auc = 100 * sklearn_metrics.roc_auc_score(labels, scores)
    assert auc == pytest.approx(info["reference_auc"], abs=0.01)
    assert 70 < auc < 90  # the rule aims near 80 %
    assert info["table_sizes"] == list(criteo.table_sizes_for(MAX_IND_RANGE))


# --- Batching whole groups.


class _RecordingBackend(Backend):
    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.lock = threading.Lock()

    def load(self, options: BackendOptions) -> None:
        pass

    def predict(self, batch):
        n = len(batch["dense_x"])
        with self.lock:
            self.sizes.append(n)
        return [np.zeros((n, 1), np.float32)]


def test_batches_hold_whole_groups_up_to_max_batchsize_pairs(data, monkeypatch):
    completed: dict[int, int] = {}
    lock = threading.Lock()
    all_done = threading.Event()

    def complete(ids, data_=None):
        with lock:
            for i, d in zip(ids, data_):
                completed[int(i)] = len(bytes(memoryview(d)))
            if len(completed) == data.total_count:
                all_done.set()

    monkeypatch.setattr("loadgen.harness.sut._core.complete_samples", complete)
    backend = _RecordingBackend()
    sut = ThreadedSUT(data, backend, None, 1000, 2, respond=SPEC.respond, sample_weights=data.sizes)
    idx = np.arange(data.total_count, dtype=np.uint64)
    try:
        sut.issue_queries(idx + 100, idx)
        assert all_done.wait(60), f"{len(completed)} of {data.total_count} groups completed"
    finally:
        sut.close()
    assert sut.error is None
    assert sum(backend.sizes) == int(data.sizes.sum())
    biggest = int(data.sizes.max())
    assert len(backend.sizes) > 1 and all(s <= max(1000, biggest) for s in backend.sizes)
    assert sorted(completed) == (idx + 100).tolist()
    for i in range(data.total_count):  # each response is its whole group: 8 bytes per pair
        assert completed[100 + i] == 8 * int(data.sizes[i])


def test_weighted_packing_is_greedy_in_issue_order(data):
    class Null(Dataset):
        total_count = 5

        def load(self, indices):
            pass

        def unload(self, indices):
            pass

        def get_batch(self, indices):
            return np.zeros(len(indices))

    sut = ThreadedSUT(
        Null(), _RecordingBackend(), lambda o: None, 500, 1, sample_weights=np.array([300, 200, 100, 700, 50])
    )
    try:
        idx = np.arange(5, dtype=np.uint64)
        pieces = sut._pieces(idx, idx)
        assert [p[1].tolist() for p in pieces] == [[0, 1], [2], [3], [4]]
        assert [p[2] for p in pieces] == [500, 100, 700, 50]
        with pytest.raises(ValueError, match="one integer >= 1 per sample"):
            ThreadedSUT(Null(), _RecordingBackend(), lambda o: None, 500, 1, sample_weights=np.ones(4))
    finally:
        sut.close()


# --- Runs through the harness.


test_every_scenario_runs_with_both_backends = bench.every_scenario_runs_test(SPEC, options, 4)


@pytest.mark.parametrize("backend", bench.BACKENDS)
def test_offline_accuracy_meets_both_targets_with_both_backends(assets, cache, tmp_path, backend):
    report = run_benchmark(
        SPEC, options(assets, cache, tmp_path, "Offline", backend, accuracy=True, time_s=None)
    )
    acc = bench.accuracy_of(report)
    info = json.loads((assets.data_dir / "dataset.json").read_text())
    assert acc.details["total"] == TEST_ROWS and acc.passed
    assert acc.value == pytest.approx(info["reference_auc"], abs=0.01)
    text = (tmp_path / "out" / "accuracy.txt").read_text().splitlines()
    assert text[0] == acc.line and text[0].startswith("AUC=")
    assert "dlrm-99: " in text[1] and "dlrm-99.9: " in text[1] and "FAILED" not in text[1]


@pytest.mark.parametrize("scenario", ["SingleStream", "MultiStream", "Server"])
def test_accuracy_in_the_other_scenarios_covers_every_group(assets, cache, tmp_path, scenario):
    report = run_benchmark(
        SPEC, options(assets, cache, tmp_path, scenario, "onnxruntime", accuracy=True, time_s=None)
    )
    assert report.error is None and report.accuracy is not None and report.accuracy.passed
    assert report.accuracy.details["queries"] == len(criteo.draw_group_offsets(TEST_ROWS)) - 1


def test_auc_line_matches_scikit_learn_on_a_hand_made_log():
    preds = {0: [0.1, 0.4], 1: [0.35, 0.8, 0.7]}
    labels = {0: [0, 0], 1: [1, 1, 0]}
    responses = {i: np.column_stack([preds[i], labels[i]]).astype(np.float32).tobytes() for i in preds}
    r = accuracy.evaluate(responses, reference_auc=80.25)
    # pairs (p, y): positives 0.35, 0.8; negatives 0.1, 0.4, 0.7 -> 4 of 6 ordered pairs right
    assert r.line == "AUC=66.667%, accuracy=60.000%, good=3, total=5, queries=2"
    assert r.target == pytest.approx(79.4475) and r.passed is False
    assert "dlrm-99: AUC >= 79.448" in r.target_line() and "dlrm-99.9: AUC >= 80.170" in r.target_line()
    with pytest.raises(ValueError, match="not \\[prediction, label\\] pairs"):
        accuracy.evaluate({0: np.float32([0.5, 1, 0.2]).tobytes()})


def test_accuracy_script_standalone_with_pairs_and_with_predictions_only(assets, cache, tmp_path):
    trace = tmp_path / "trace.txt"
    opts = options(assets, cache, tmp_path, "Offline", "onnxruntime", accuracy=True, time_s=None)
    opts.extra["samples_to_aggregate_trace_file"] = str(trace)
    report = run_benchmark(SPEC, opts)
    log = report.logs["accuracy"]
    out = bench.run_script(ACCURACY_PY, check=True, mlperf_accuracy_file=log)
    assert out.stdout.splitlines()[0] == report.accuracy.line
    # Predictions only: labels come from day_23 at the trace's rows.
    records = json.loads(Path(log).read_text())
    for rec in records:
        pairs = np.frombuffer(bytes.fromhex(rec["data"]), np.float32).reshape(-1, 2)
        rec["data"] = pairs[:, 0].copy().tobytes().hex()
    preds_only = tmp_path / "preds.json"
    preds_only.write_text(json.dumps(records))
    out2 = bench.run_script(
        ACCURACY_PY, check=True, mlperf_accuracy_file=preds_only, day_23_file=assets.data_dir / "day_23",
        aggregation_trace_file=trace,
    )  # fmt: skip
    assert out2.stdout.splitlines()[0] == report.accuracy.line
    assert "PASSED" in out2.stdout.splitlines()[1]


def test_run_py_offline_accuracy_writes_accuracy_txt_and_logs_to_output(cache, tmp_path):
    out_dir = tmp_path / "cli"
    trace = tmp_path / "trace.txt"
    tiny = {"synthetic_rows": ROWS, "max_ind_range": MAX_IND_RANGE}
    proc, text = bench.run_accuracy_cli(
        RUN_PY, "Offline", cache, out_dir, **tiny, samples_to_aggregate_trace_file=trace
    )
    assert text.startswith("AUC=")
    for f in ("mlperf_log_summary.txt", "mlperf_log_detail.txt", "mlperf_log_accuracy.json", "results.json"):
        assert (out_dir / f).is_file()
    assert "96.1 GB" in proc.stdout  # what the official tables would need
    assert trace.read_text().splitlines()[0] == "0, 200, 200"
    # The same groups, read back from the trace.
    _, text2 = bench.run_accuracy_cli(
        RUN_PY, "Offline", cache, tmp_path / "cli2", **tiny, aggregation_trace_file=trace
    )
    assert text2 == (out_dir / "accuracy.txt").read_text()


test_run_py_with_dataset_but_no_model_is_a_usage_error = bench.usage_error_without_model_test(RUN_PY)


test_compliance_and_submission_flow = bench.submission_flow_test(SPEC, options)
