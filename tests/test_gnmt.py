"""GNMT (benchmarks/gnmt) on a tiny embedded corpus and a tiny model of the real architecture.

The checks that do not rest on our own labels: BLEU against sacrebleu, beam
width 1 against greedy decoding, a hand-built decoder where the length
penalty decides, BPE round trips on real English text (the Zen of Python),
TF's LSTM cell computed by hand against the converted weights. Then every
scenario with both backends through the harness. Needs the `benchmarks`
extra (torch, onnxruntime, onnx, subword-nmt, sacremoses); without it the module fails (tests/conftest.py).
"""

from __future__ import annotations

import codecs
import json
import math
import sys

import benchmark_helpers as bench
import numpy as np
import pytest

RUN_PY = bench.use_benchmark("gnmt")
torch = pytest.importorskip("torch")
pytest.importorskip("subword_nmt")
pytest.importorskip("sacremoses")

from gnmt import accuracy, convert, synthetic
from gnmt import dataset as ds
from gnmt.backends import GnmtOnnxBackend, GnmtTorchBackend, TorchStepper
from gnmt.beam import BeamSearch, greedy, length_penalty
from gnmt.model import GNMTConfig, load_model, make_fixed_seed_model
from gnmt.run import SPEC
from gnmt.text import MosesBPE, Vocabulary, encode_source, join_bpe, learn_bpe_codes
from loadgen.harness import BackendOptions, RunOptions, run_benchmark

N_SENTENCES = 6
UNITS = 16
TINY = {"n": N_SENTENCES, "units": UNITS, "corpus_sentences": 300, "merges": 200}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The tiny model's ops are too small to split; on a busy machine torch's threads slow them 20x."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


cache = bench.cache_fixture("gnmt")


@pytest.fixture(scope="module")
def assets(cache) -> synthetic.DefaultAssets:
    return synthetic.ensure_default_assets(cache, log=lambda s: None, **TINY)


@pytest.fixture(scope="module")
def data(assets) -> ds.NewsTest:
    return ds.NewsTest(assets.data_dir)


def zen_of_python() -> list[str]:
    """Real English text shipped with Python (``this``: the Zen of Python, rot13-encoded)."""
    import this  # noqa: F401 - prints the Zen once; the text is this.s

    text = codecs.decode(sys.modules["this"].s, "rot13")
    return [line for line in text.splitlines() if line.strip()][1:]


def options(assets, cache, tmp_path, scenario, backend, **kw) -> RunOptions:
    kw = {"extra": {"repeat": 3}, **kw}
    return bench.short_run_options(
        assets.model_dir, assets.data_dir, cache, tmp_path, scenario, backend, **kw
    )


# --- Text: vocabulary rules, BPE, joining.


def test_vocabulary_puts_unk_s_and_eos_first_and_maps_unknown_words_to_0():
    v = Vocabulary(["Haus", "der@@", "die"])  # a file without the three: they are prepended
    assert v.tokens[:3] == ["<unk>", "<s>", "</s>"] and len(v) == 6
    assert Vocabulary(["<unk>", "<s>", "</s>", "x"]).tokens == ["<unk>", "<s>", "</s>", "x"]
    ids = encode_source("die  Haus\tnie", v)  # whitespace split, no </s> appended
    assert ids.tolist() == [5, 3, 0]


def test_join_bpe_glues_at_signs_and_drops_an_unfinished_last_word():
    assert join_bpe(["Die", "Bundes@@", "regierung", "hat", "&quot;", "ja", "&quot;", "gesagt", "."]) == (
        "Die Bundesregierung hat &quot; ja &quot; gesagt ."
    )
    assert join_bpe(["ein@@", "mal", "zu@@"]) == "einmal"  # as the reference's format_bpe_text
    assert join_bpe([]) == ""


def test_bpe_segmentation_and_joining_round_trip_on_real_english(assets, tmp_path):
    lines = zen_of_python()
    assert len(lines) >= 15
    # Codes learned on the real text itself (many merges apply) and the synthetic corpus's codes.
    segmenter = MosesBPE(assets.data_dir / ds.BPE_CODES_FILE)
    tokenized = [segmenter.tokenize(line) for line in lines]
    learn_bpe_codes(tokenized, tmp_path / "codes", 150)
    for codes in (tmp_path / "codes", assets.data_dir / ds.BPE_CODES_FILE):
        seg = MosesBPE(codes)
        split_somewhere = 0
        for raw, tok in zip(lines, tokenized):
            pieces = seg(raw).split()
            split_somewhere += any(p.endswith("@@") for p in pieces)
            assert join_bpe(pieces) == tok
        assert split_somewhere >= 5
    # Moses escaping as tokenizer.perl does it by default.
    assert segmenter.tokenize('"Don\'t," he said.') == "&quot; Don &apos;t , &quot; he said ."


def test_raw_english_input_is_segmented_like_the_bpe_file(assets):
    from_raw = ds.NewsTest(assets.data_dir, source_text=assets.data_dir / "newstest2014.en")
    from_bpe = ds.NewsTest(assets.data_dir)
    assert from_raw.sources == from_bpe.sources
    assert from_bpe.unknown_fraction == 0.0


# --- BLEU.

PAIRS = [
    (
        "Die Regierung hat am Montag einen neuen Haushalt vorgelegt .",
        "Die Regierung legte am Montag einen neuen Haushalt vor .",
    ),
    (
        "Der Zug nach München hatte drei Stunden Verspätung .",
        "Der Zug nach München war drei Stunden verspätet .",
    ),
    (
        "&quot; Wir wissen es nicht &quot; , sagte Merkel den Reportern in Berlin .",
        "&quot; Wir wissen es nicht &quot; , sagte Merkel vor Reportern in Berlin .",
    ),
    ("Die Preise stiegen um 3,5 Prozent .", "Die Preise sind um 3,5 Prozent gestiegen ."),
    ("Das Gericht wies die Klage ab .", "Das Gericht hat die Klage abgewiesen ."),
]


def test_bleu_equals_sacrebleu_without_tokenisation_or_smoothing():
    sacrebleu = pytest.importorskip("sacrebleu")
    refs = [r for r, _ in PAIRS]
    for hyps in (
        [h for _, h in PAIRS],
        [h.rsplit(" ", 3)[0] for _, h in PAIRS],
    ):  # the second is short: BP < 1
        ours = accuracy.corpus_bleu([r.split(" ") for r in refs], [h.split(" ") for h in hyps])
        theirs = sacrebleu.corpus_bleu(hyps, [refs], tokenize="none", smooth_method="none")
        assert ours["bleu"] * 100 == pytest.approx(theirs.score, abs=1e-9)
        assert ours["brevity_penalty"] == pytest.approx(theirs.bp, abs=1e-12)
    assert 0 < accuracy.corpus_bleu([refs[0].split()], [refs[0].split()[:5]])["brevity_penalty"] < 1


def test_bleu_reads_bpe_references_and_skips_empty_responses(tmp_path):
    ref_file = tmp_path / "ref.de"
    ref_file.write_text("Die Bundes@@ regierung hat es gesagt .\nDas ist gut .\n", encoding="utf-8")
    responses = {0: b"Die Bundesregierung hat es gesagt .", 1: b""}
    result = accuracy.evaluate(responses, accuracy.read_references(ref_file), reference_bleu=23.9)
    assert result.line == "BLEU: 100.0" and result.details["sentences"] == 1
    assert result.target == pytest.approx(23.661) and result.passed
    miss = accuracy.evaluate({0: b"Das ist"}, accuracy.read_references(ref_file), reference_bleu=23.9)
    assert miss.value == 0.0 and miss.passed is False


# --- Beam search.


class TableStepper:
    """A hand-built decoder: the next-token distribution depends only on the previous token."""

    def __init__(self, table: dict[int, dict[int, float]], vocab: int) -> None:
        self.logp = np.full((vocab, vocab), math.log(1e-6))
        for prev, dist in table.items():
            rest = (1.0 - sum(dist.values())) / (vocab - len(dist))
            self.logp[prev] = math.log(rest)
            for tok, p in dist.items():
                self.logp[prev, tok] = math.log(p)
        self.vocab = vocab

    def encode(self, ids, lengths):
        b = len(lengths)
        return (
            np.zeros((b, 1, 1), np.float32),
            np.zeros((b, 1, 1), np.float32),
            *(np.zeros((4, b, 1), np.float32) for _ in range(2)),
        )

    def step(self, tokens, context, h, c, memory, keys, lengths, k):
        logp = self.logp[tokens].astype(np.float32)
        eos = logp[:, 2].copy()
        logp[:, 2] = -np.inf
        order = np.argsort(-logp, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(logp, order, 1), order, eos, context, h, c


def test_length_penalty_changes_the_choice_as_the_formula_says():
    # A=3, B=4, C=5, D=6. "A </s>" is more likely; "B C D </s>" is longer.
    table = {1: {3: 0.5, 4: 0.45, 2: 0.01}, 3: {2: 0.6}, 4: {5: 0.8}, 5: {6: 0.8}, 6: {2: 0.95}}
    stepper = TableStepper(table, vocab=8)
    short = math.log(0.5) + math.log(0.6)
    long = math.log(0.45) + 2 * math.log(0.8) + math.log(0.95)
    assert long < short  # without a penalty the short one wins ...
    assert long / length_penalty(np.array(3), 1.0) > short / length_penalty(
        np.array(1), 1.0
    )  # ... with it, not
    src, lens = np.array([[3, 4]]), np.array([2])
    assert BeamSearch(width=2, alpha=0.0)(stepper, src, lens, 8)[0].tolist() == [3]
    assert BeamSearch(width=2, alpha=1.0)(stepper, src, lens, 8)[0].tolist() == [4, 5, 6]
    # The length limit: round(2 x source length) tokens at most.
    loop = TableStepper({1: {3: 0.9}, 3: {3: 0.9}}, vocab=8)
    assert BeamSearch(width=3)(loop, np.array([[5, 5, 5]]), np.array([3]), 8)[0].tolist() == [3] * 6


def test_beam_width_1_equals_greedy_decoding(data, assets):
    # Without the length penalty (alpha 0): with it, </s> is scored against a
    # shorter length than the other tokens, which is the penalty's point.
    b = data.get_batch(list(range(data.sentence_count)))
    for backend in (GnmtTorchBackend(), GnmtOnnxBackend()):
        backend.load(BackendOptions(model_path=str(assets.model_dir)))
        beam = BeamSearch(width=1, alpha=0.0)(
            backend.stepper, b["source_ids"], b["source_lengths"], backend.tgt_vocab_size
        )
        ref = greedy(backend.stepper, b["source_ids"], b["source_lengths"])
        assert [x.tolist() for x in beam] == [x.tolist() for x in ref]
        assert sum(len(x) for x in ref) > 0


def test_translations_do_not_depend_on_the_batch_or_the_backend(data, assets):
    n = data.sentence_count
    b = data.get_batch(list(range(n)))
    results = []
    for backend in (GnmtTorchBackend(), GnmtOnnxBackend()):
        backend.load(BackendOptions(model_path=str(assets.model_dir)))
        ids, lengths = backend.predict(b)
        results.append([ids[i, : lengths[i]].tolist() for i in range(n)])
        one_by_one = []
        for i in range(n):
            ids1, len1 = backend.predict(data.get_batch([i]))
            one_by_one.append(ids1[0, : len1[0]].tolist())
        assert one_by_one == results[-1]
    assert results[0] == results[1]
    assert len({tuple(r) for r in results[0]}) > 1  # not one degenerate output for all


# --- Model: graphs, converter.


def test_onnx_graphs_compute_what_the_torch_model_computes(data, assets):
    ort_b, torch_b = GnmtOnnxBackend(), GnmtTorchBackend()
    ort_b.load(BackendOptions(model_path=str(assets.model_dir)))
    torch_b.load(BackendOptions(model_path=str(assets.model_dir)))
    b = data.get_batch(list(range(data.sentence_count)))
    enc_o = ort_b.stepper.encode(b["source_ids"], b["source_lengths"])
    enc_t = torch_b.stepper.encode(b["source_ids"], b["source_lengths"])
    for o, t in zip(enc_o, enc_t):
        np.testing.assert_allclose(o, t, rtol=1e-4, atol=1e-5)
    k, n = 3, data.sentence_count * 3
    rng = np.random.default_rng(1)
    args = (
        rng.integers(0, torch_b.tgt_vocab_size, n),
        rng.normal(size=(n, UNITS)).astype(np.float32),
        np.repeat(enc_t[2], 3, axis=1),
        np.repeat(enc_t[3], 3, axis=1),
        enc_t[0],
        enc_t[1],
        b["source_lengths"],
        k,
    )
    out_o, out_t = ort_b.stepper.step(*args), torch_b.stepper.step(*args)
    np.testing.assert_array_equal(out_o[1], out_t[1])
    for i in (0, 2, 3, 4, 5):
        np.testing.assert_allclose(out_o[i], out_t[i], rtol=1e-4, atol=1e-5)


def tf_basic_lstm_cell(x, h, c, kernel, bias, forget_bias=1.0):
    """TF's BasicLSTMCell, by hand: gates i, j, f, o from [x, h] @ kernel + bias."""

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    i, j, f, o = np.split(np.concatenate([x, h], axis=1) @ kernel + bias, 4, axis=1)
    new_c = c * sigmoid(f + forget_bias) + sigmoid(i) * np.tanh(j)
    return np.tanh(new_c) * sigmoid(o), new_c


TF_NAMES = [
    "dynamic_seq2seq/encoder/embedding_encoder",
    "dynamic_seq2seq/decoder/embedding_decoder",
    "dynamic_seq2seq/encoder/bidirectional_rnn/fw/basic_lstm_cell/kernel",
    "dynamic_seq2seq/encoder/bidirectional_rnn/fw/basic_lstm_cell/bias",
    "dynamic_seq2seq/encoder/bidirectional_rnn/bw/basic_lstm_cell/kernel",
    "dynamic_seq2seq/encoder/bidirectional_rnn/bw/basic_lstm_cell/bias",
    *[
        f"dynamic_seq2seq/encoder/rnn/multi_rnn_cell/cell_{i}/basic_lstm_cell/{v}"
        for i in range(3)
        for v in ("kernel", "bias")
    ],
    "dynamic_seq2seq/decoder/memory_layer/kernel",
    "dynamic_seq2seq/decoder/multi_rnn_cell/cell_0_attention/attention/basic_lstm_cell/kernel",
    "dynamic_seq2seq/decoder/multi_rnn_cell/cell_0_attention/attention/basic_lstm_cell/bias",
    "dynamic_seq2seq/decoder/multi_rnn_cell/cell_0_attention/attention/bahdanau_attention/query_layer/kernel",
    "dynamic_seq2seq/decoder/multi_rnn_cell/cell_0_attention/attention/bahdanau_attention/attention_v",
    "dynamic_seq2seq/decoder/multi_rnn_cell/cell_0_attention/attention/bahdanau_attention/attention_g",
    "dynamic_seq2seq/decoder/multi_rnn_cell/cell_0_attention/attention/bahdanau_attention/attention_b",
    *[
        f"dynamic_seq2seq/decoder/multi_rnn_cell/cell_{i}/basic_lstm_cell/{v}"
        for i in (1, 2, 3)
        for v in ("kernel", "bias")
    ],
    "dynamic_seq2seq/decoder/output_projection/kernel",
]


def synthetic_tf_checkpoint(h=8, e=6, a=5, v_src=11, v_tgt=13) -> dict[str, np.ndarray]:
    """Random variables with the reference checkpoint's names and TF shapes (kernels [in, out])."""
    rng = np.random.default_rng(0)
    shapes = {
        "encoder/embedding_encoder": (v_src, e),
        "decoder/embedding_decoder": (v_tgt, e),
        "fw/basic_lstm_cell/kernel": (e + h, 4 * h),
        "bw/basic_lstm_cell/kernel": (e + h, 4 * h),
        "cell_0/basic_lstm_cell/kernel": (2 * h + h, 4 * h),
        "memory_layer/kernel": (h, a),
        "attention/basic_lstm_cell/kernel": (e + h + h, 4 * h),
        "query_layer/kernel": (h, a),
        "attention_v": (a,),
        "attention_g": (),
        "attention_b": (a,),
        "output_projection/kernel": (h, v_tgt),
    }
    out = {}
    for name in TF_NAMES:
        shape = next((s for k, s in shapes.items() if name.endswith(k)), None)
        if shape is None:
            shape = (4 * h,) if name.endswith("bias") else (2 * h, 4 * h)  # cells with [H (+ context), H]
            if "decoder/multi_rnn_cell/cell_" in name and name.endswith("kernel"):
                shape = (3 * h, 4 * h)  # [previous output, context, h]
        out[name + ":0"] = rng.uniform(-0.5, 0.5, size=shape).astype(np.float32)
    out["dynamic_seq2seq/decoder/output_projection/kernel/Adam:0"] = np.zeros((h, v_tgt), np.float32)
    out["global_step:0"] = np.array(1000, dtype=np.int64)
    return out


def test_converter_maps_the_reference_tf_names_and_lstm_gates(tmp_path):
    tf_vars = synthetic_tf_checkpoint()
    npz = tmp_path / "gnmt_tf.npz"
    np.savez(npz, **tf_vars)
    assert convert.main(["--checkpoint", str(npz), "--out", str(tmp_path / "model")]) == 0
    model = load_model(tmp_path / "model")
    cfg = json.loads((tmp_path / "model" / "gnmt.json").read_text())
    assert cfg == {
        "src_vocab_size": 11,
        "tgt_vocab_size": 13,
        "units": 8,
        "embedding_size": 6,
        "attention_units": 5,
    }
    # Decoder cell 2 (input: previous output and context) against TF's cell by hand.
    rng = np.random.default_rng(2)
    x, h, c = (rng.normal(size=(3, n)).astype(np.float32) for n in (16, 8, 8))
    name = "dynamic_seq2seq/decoder/multi_rnn_cell/cell_2/basic_lstm_cell/"
    want_h, want_c = tf_basic_lstm_cell(x, h, c, tf_vars[name + "kernel:0"], tf_vars[name + "bias:0"])
    with torch.no_grad():
        got_h, got_c = model.decoder.cells[2](torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    np.testing.assert_allclose(got_h.numpy(), want_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_c.numpy(), want_c, rtol=1e-5, atol=1e-6)
    # Dense kernels are transposed; the attention's vectors kept.
    np.testing.assert_array_equal(
        model.decoder.projection.weight.detach().numpy(),
        tf_vars["dynamic_seq2seq/decoder/output_projection/kernel:0"].T,
    )
    assert float(model.decoder.attention.g.detach()) == pytest.approx(
        float(
            tf_vars[
                "dynamic_seq2seq/decoder/multi_rnn_cell/cell_0_attention/attention/bahdanau_attention/attention_g:0"
            ]
        )
    )
    # Both backends run the converted model and agree.
    src = {"source_ids": np.array([[3, 4, 5], [6, 7, 2]]), "source_lengths": np.array([3, 2])}
    outs = []
    for backend in (GnmtTorchBackend(), GnmtOnnxBackend()):
        backend.load(BackendOptions(model_path=str(tmp_path / "model")))
        outs.append(backend.predict(src))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])


def test_converter_names_a_missing_variable(tmp_path):
    tf_vars = synthetic_tf_checkpoint()
    del tf_vars["dynamic_seq2seq/decoder/memory_layer/kernel:0"]
    with pytest.raises(KeyError, match="memory_layer/kernel"):
        convert.tf_variables_to_state_dict(tf_vars)


def test_converter_round_trips_the_fixed_seed_model():
    model = make_fixed_seed_model(GNMTConfig(20, 22, units=8, embedding_size=6, attention_units=4))
    sd = {k: v.numpy() for k, v in model.state_dict().items()}
    cfg, back = convert.tf_variables_to_state_dict(convert.state_dict_to_tf_variables(sd))
    assert cfg["units"] == 8 and set(back) == set(sd)
    for k, value in sd.items():
        np.testing.assert_allclose(back[k], value, atol=1e-6)


# --- The embedded default.


def test_embedded_references_are_the_fp32_models_translations(assets, data):
    info = json.loads((assets.data_dir / "dataset.json").read_text())
    assert info["reference_bleu"] == 100.0 and info["sentences"] == N_SENTENCES
    refs = [line.split() for line in (assets.data_dir / ds.REFERENCE_FILE).read_text().splitlines()]
    stepper = TorchStepper(load_model(assets.model_dir))
    for i in range(N_SENTENCES):
        b = data.get_batch([i])
        ids = BeamSearch()(stepper, b["source_ids"], b["source_lengths"], len(data.tgt_vocab))[0]
        assert join_bpe(data.tgt_vocab.pieces(ids)) == join_bpe(refs[i])


def test_performance_set_is_the_accuracy_set_repeated(assets):
    d = ds.NewsTest(assets.data_dir, repeat=5)
    assert d.total_count == 5 * N_SENTENCES
    a, b = d.get_batch([1]), d.get_batch([1 + 3 * N_SENTENCES])
    np.testing.assert_array_equal(a["source_ids"], b["source_ids"])
    with pytest.raises(IndexError):
        d.load([5 * N_SENTENCES])


# --- Runs through the harness.


test_every_scenario_runs_with_both_backends = bench.every_scenario_runs_test(SPEC, options, 4)


@bench.every_scenario_with_both_backends
def test_both_backends_meet_the_quality_target_in_every_scenario(assets, cache, tmp_path, scenario, backend):
    acc = bench.accuracy_run(SPEC, options, assets, cache, tmp_path, scenario, backend)
    assert acc.details["logged"] == N_SENTENCES
    assert acc.value == pytest.approx(100.0) and acc.passed
    assert acc.line.startswith("BLEU: 100.0")  # accuracy.txt starts with it


def test_null_backend_gives_empty_translations(assets, cache, tmp_path):
    report = run_benchmark(
        SPEC, options(assets, cache, tmp_path, "Offline", "null", accuracy=True, time_s=None)
    )
    assert report.error is None and report.accuracy is not None
    assert report.accuracy.value == 0.0 and report.accuracy.passed is False


def test_accuracy_script_works_standalone_on_an_accuracy_log(assets, cache, tmp_path):
    report = run_benchmark(SPEC, options(assets, cache, tmp_path, "Offline", "onnxruntime", accuracy=True))
    out = bench.run_script(
        bench.BENCHMARKS / "gnmt" / "accuracy.py",
        *("--reference", assets.data_dir / ds.REFERENCE_FILE, "--accuracy_log", report.logs["accuracy"]),
        check=True,
    )
    lines = out.stdout.splitlines()
    assert lines[0] == "BLEU: 100.0"
    assert "PASSED" in lines[1] and "99.000" in lines[1]


def test_run_py_single_stream_accuracy_writes_accuracy_txt(cache, tmp_path):
    out_dir = tmp_path / "cli"
    proc, text = bench.run_accuracy_cli(
        RUN_PY, "SingleStream", cache, out_dir, synthetic_sentences=3, synthetic_units=8
    )
    assert text.startswith("BLEU: 100.0")
    assert "BLEU: 100.0" in proc.stdout and "own beam-search output" in proc.stdout
    assert (out_dir / "mlperf_log_accuracy.json").is_file()


test_run_py_with_dataset_but_no_model_is_a_usage_error = bench.usage_error_without_model_test(RUN_PY)


test_compliance_and_submission_flow = bench.submission_flow_test(SPEC, options)
