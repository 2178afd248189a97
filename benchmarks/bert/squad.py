"""SQuAD v1.1 for BERT: reading ``dev-v1.1.json``, feature creation, post-processing, scoring.

Feature creation (shared/spec/benchmarks.md §2.2, as the reference's
``create_squad_data.py``): a context is split into "document words" at
space, tab, CR, LF and U+202F; each question is tokenised and cut to
``max_query_length`` (64) tokens; the document's word pieces are covered by
windows of at most ``max_seq_length - len(query) - 3`` tokens, starting at 0
and advancing by ``min(window length, doc_stride)`` (128) until a window
reaches the end; each window becomes one feature ``[CLS] query [SEP] window
[SEP]``, zero-padded to ``max_seq_length`` (384), with segment ids 0 up to
the first ``[SEP]`` and 1 after, an input mask of 1 for real tokens, a map
from positions to document words, and per position a flag saying whether
this window gives that token its largest context (min(left, right) + 0.01 x
window length). Unique ids count from 1000000000. Features are kept in
creation order (examples in file order, windows in order).

Post-processing (§2.4, the reference's ``accuracy-squad.py``) and scoring
(§2.5, the official ``evaluate-v1.1.py``) are here too, so that the
standalone ``accuracy.py`` and the embedded default (whose answers are the
FP32 model's own predictions) use one implementation.
"""

from __future__ import annotations

import collections
import json
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .tokenization import CLS, SEP, FullTokenizer

MAX_SEQ_LENGTH = 384
MAX_QUERY_LENGTH = 64
DOC_STRIDE = 128
FIRST_UNIQUE_ID = 1000000000
N_BEST = 20
MAX_ANSWER_LENGTH = 30
PAD_LOGIT = -10000.0  # what accuracy-squad.py pads a short response with
REFERENCE_F1 = 90.874  # the FP32 reference model on the dev set (rules)


def is_document_whitespace(c: str) -> bool:
    return c in (" ", "\t", "\r", "\n") or ord(c) == 0x202F


@dataclass
class SquadExample:
    """One question: its id, text, the paragraph's document words, and the
    ground-truth answer texts."""

    qas_id: str
    question: str
    doc_tokens: list[str]
    answers: list[str]
    context_index: int  # which paragraph (examples of one paragraph share doc_tokens)


@dataclass
class Feature:
    """One window of one example: the bookkeeping post-processing needs
    (the model inputs are in ``Features.input_ids`` and friends)."""

    unique_id: int
    example_index: int
    doc_span_index: int
    tokens: list[str]
    token_to_orig_map: dict[int, int]
    token_is_max_context: dict[int, bool]


@dataclass
class Features:
    """All features of a data set: model inputs as arrays, bookkeeping as a list."""

    input_ids: np.ndarray  # int64 [N, max_seq_length]
    input_mask: np.ndarray
    segment_ids: np.ndarray
    features: list[Feature] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.features)

    @property
    def lengths(self) -> np.ndarray:
        """Real (unpadded) length of each feature."""
        return self.input_mask.sum(axis=1).astype(np.int64)


def _where(path: str | Path, *keys: Any) -> str:
    return f"{path}: " + "".join(f"[{k!r}]" for k in keys)


def read_squad_examples(path: str | Path) -> list[SquadExample]:
    """The questions of a SQuAD v1.1 file, in file order. Raises ValueError naming
    the place in the file that does not have the v1.1 structure."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError(f"{path}: expected an object with a 'data' list (the SQuAD v1.1 layout)")  # noqa: TRY004 - a bad file, not a bad argument
    examples: list[SquadExample] = []
    context_index = 0
    for a, article in enumerate(data["data"]):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise ValueError(_where(path, "data", a) + " has no 'paragraphs' list")  # noqa: TRY004 - a bad file, not a bad argument
        for p, paragraph in enumerate(paragraphs):
            try:
                context = paragraph["context"]
                qas = paragraph["qas"]
            except (KeyError, TypeError):
                raise ValueError(
                    _where(path, "data", a, "paragraphs", p) + " needs 'context' and 'qas'"
                ) from None
            if not isinstance(context, str) or not isinstance(qas, list):
                raise ValueError(  # noqa: TRY004 - a bad file, not a bad argument
                    _where(path, "data", a, "paragraphs", p) + ": 'context' must be text, 'qas' a list"
                )
            doc_tokens: list[str] = []
            prev_is_whitespace = True
            for c in context:
                if is_document_whitespace(c):
                    prev_is_whitespace = True
                else:
                    if prev_is_whitespace:
                        doc_tokens.append(c)
                    else:
                        doc_tokens[-1] += c
                    prev_is_whitespace = False
            for q, qa in enumerate(qas):
                try:
                    qas_id, question = qa["id"], qa["question"]
                    answers = [ans["text"] for ans in qa.get("answers", [])]
                except (KeyError, TypeError):
                    raise ValueError(
                        _where(path, "data", a, "paragraphs", p, "qas", q)
                        + " needs 'id', 'question' and answers "
                        "with 'text'"
                    ) from None
                examples.append(SquadExample(str(qas_id), str(question), doc_tokens, answers, context_index))
            context_index += 1
    return examples


def _is_max_context(spans: Sequence[tuple[int, int]], cur: int, position: int) -> bool:
    """Whether window ``cur`` gives the token at ``position`` (in document pieces)
    its largest context: min(left, right) + 0.01 x window length, first window on ties."""
    best_score = -1.0
    best = -1
    for i, (start, length) in enumerate(spans):
        end = start + length - 1
        if position < start or position > end:
            continue
        score = min(position - start, end - position) + 0.01 * length
        if score > best_score:
            best_score, best = score, i
    return best == cur


def convert_examples_to_features(
    examples: Sequence[SquadExample],
    tokenizer: FullTokenizer,
    max_seq_length: int = MAX_SEQ_LENGTH,
    doc_stride: int = DOC_STRIDE,
    max_query_length: int = MAX_QUERY_LENGTH,
) -> Features:
    """The features of ``examples`` in creation order (see the module doc)."""
    if max_seq_length < max_query_length + 4:
        raise ValueError(f"max_seq_length {max_seq_length} leaves no room for a document after the query")
    cls_id, sep_id = tokenizer.convert_tokens_to_ids([CLS, SEP])
    ids_rows: list[list[int]] = []
    seg_rows: list[list[int]] = []
    feats: list[Feature] = []
    doc_cache: dict[int, tuple[list[str], list[int], list[int]]] = {}
    unique_id = FIRST_UNIQUE_ID
    for example_index, ex in enumerate(examples):
        query_tokens = tokenizer.tokenize(ex.question)[:max_query_length]
        cached = doc_cache.get(ex.context_index)
        if cached is None:
            doc_pieces, tok_to_orig = tokenizer.tokenize_words(ex.doc_tokens)
            cached = (doc_pieces, tok_to_orig, tokenizer.convert_tokens_to_ids(doc_pieces))
            doc_cache = {ex.context_index: cached}  # examples of one paragraph are consecutive
        doc_pieces, tok_to_orig, doc_ids = cached
        query_ids = tokenizer.convert_tokens_to_ids(query_tokens)
        max_tokens_for_doc = max_seq_length - len(query_tokens) - 3
        spans: list[tuple[int, int]] = []
        start = 0
        while start < len(doc_pieces):
            length = min(len(doc_pieces) - start, max_tokens_for_doc)
            spans.append((start, length))
            if start + length == len(doc_pieces):
                break
            start += min(length, doc_stride)
        head = [CLS, *query_tokens, SEP]
        head_ids = [cls_id, *query_ids, sep_id]
        for span_index, (start, length) in enumerate(spans):
            offset = len(head)
            tokens = head + doc_pieces[start : start + length] + [SEP]
            ids = head_ids + doc_ids[start : start + length] + [sep_id]
            token_to_orig_map = {offset + i: tok_to_orig[start + i] for i in range(length)}
            token_is_max_context = {
                offset + i: _is_max_context(spans, span_index, start + i) for i in range(length)
            }
            ids_rows.append(ids)
            seg_rows.append([0] * len(head) + [1] * (length + 1))
            feats.append(
                Feature(unique_id, example_index, span_index, tokens, token_to_orig_map, token_is_max_context)
            )
            unique_id += 1
    n = len(feats)
    input_ids = np.zeros((n, max_seq_length), dtype=np.int64)
    input_mask = np.zeros((n, max_seq_length), dtype=np.int64)
    segment_ids = np.zeros((n, max_seq_length), dtype=np.int64)
    for i, (ids, seg) in enumerate(zip(ids_rows, seg_rows)):
        input_ids[i, : len(ids)] = ids
        input_mask[i, : len(ids)] = 1
        segment_ids[i, : len(seg)] = seg
    return Features(input_ids, input_mask, segment_ids, feats)


# ---------------------------------------------------------------------------
# Feature cache (no pickle: arrays in .npz, bookkeeping in JSON).


def save_features(features: Features, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(
        folder / "inputs.npz",
        input_ids=features.input_ids,
        input_mask=features.input_mask,
        segment_ids=features.segment_ids,
    )
    rows = [
        [
            f.unique_id,
            f.example_index,
            f.doc_span_index,
            f.tokens,
            sorted(f.token_to_orig_map.items()),
            sorted(k for k, v in f.token_is_max_context.items() if v),
            sorted(f.token_is_max_context),
        ]
        for f in features.features
    ]
    (folder / "features.json").write_text(json.dumps(rows), encoding="utf-8")


def load_features(folder: Path) -> Features:
    with np.load(folder / "inputs.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in ("input_ids", "input_mask", "segment_ids")}
    feats = []
    for uid, ex, span, tokens, t2o, maxc, positions in json.loads(
        (folder / "features.json").read_text("utf-8")
    ):
        best = set(maxc)
        feats.append(
            Feature(
                uid,
                ex,
                span,
                tokens,
                {int(k): int(v) for k, v in t2o},
                {int(p): p in best for p in positions},
            )
        )
    return Features(arrays["input_ids"], arrays["input_mask"], arrays["segment_ids"], feats)


# ---------------------------------------------------------------------------
# Post-processing: logits -> answer texts (accuracy-squad.py's rules).


def _best_indexes(logits: np.ndarray, n_best: int) -> list[int]:
    """The ``n_best`` positions of the largest logits; ties: the lower position first."""
    return np.argsort(-logits, kind="stable")[:n_best].tolist()


def _strip_spaces(text: str) -> tuple[str, dict[int, int]]:
    chars: list[str] = []
    ns_to_s: dict[int, int] = {}
    for i, c in enumerate(text):
        if c == " ":
            continue
        ns_to_s[len(chars)] = i
        chars.append(c)
    return "".join(chars), ns_to_s


def final_text(pred_text: str, orig_text: str, tokenizer: FullTokenizer) -> str:
    """Map the (lower-cased, accent-free) predicted word pieces back onto the
    original words: align the two texts character by character without
    spaces; if that fails, the whole original span."""
    tok_text = " ".join(tokenizer.basic_tokenize(orig_text))
    start = tok_text.find(pred_text)
    if start == -1:
        return orig_text
    end = start + len(pred_text) - 1
    orig_ns, orig_ns_to_s = _strip_spaces(orig_text)
    tok_ns, tok_ns_to_s = _strip_spaces(tok_text)
    if len(orig_ns) != len(tok_ns):
        return orig_text
    tok_s_to_ns = {v: k for k, v in tok_ns_to_s.items()}
    ns_start = tok_s_to_ns.get(start)
    ns_end = tok_s_to_ns.get(end)
    if ns_start is None or ns_end is None:
        return orig_text
    orig_start = orig_ns_to_s.get(ns_start)
    orig_end = orig_ns_to_s.get(ns_end)
    if orig_start is None or orig_end is None:
        return orig_text
    return orig_text[orig_start : orig_end + 1]


@dataclass
class Prediction:
    text: str
    feature_index: int  # -1 when no candidate was valid ("empty")
    start: int
    end: int
    score: float
    margin: float = math.inf  # lead over the best other text (with_margin only)


def predict_example(
    example: SquadExample,
    feature_indices: Sequence[int],
    features: Sequence[Feature],
    logits: Mapping[int, tuple[np.ndarray, np.ndarray]],
    tokenizer: FullTokenizer,
    n_best: int = N_BEST,
    max_answer_length: int = MAX_ANSWER_LENGTH,
    with_margin: bool = False,
) -> Prediction:
    """The best answer of one example over its features' (start, end) logits.

    ``with_margin``: also measure by how much the best candidate's score leads
    the best candidate with a different text (``Prediction.margin``)."""
    prelim: list[tuple[float, int, int, int]] = []
    for fi in feature_indices:
        if fi not in logits:
            continue
        feat = features[fi]
        start_logits, end_logits = logits[fi]
        n_tokens = len(feat.tokens)
        starts = _best_indexes(start_logits, n_best)
        ends = _best_indexes(end_logits, n_best)
        sl, el = start_logits.tolist(), end_logits.tolist()
        for s in starts:
            if (
                s >= n_tokens
                or s not in feat.token_to_orig_map
                or not feat.token_is_max_context.get(s, False)
            ):
                continue
            for e in ends:
                if e >= n_tokens or e not in feat.token_to_orig_map or e < s or e - s + 1 > max_answer_length:
                    continue
                prelim.append((sl[s] + el[e], fi, s, e))
    prelim.sort(key=lambda p: p[0], reverse=True)  # stable, as the reference's sorted(reverse=True)

    def text_of(fi: int, s: int, e: int) -> str:
        feat = features[fi]
        tok_text = " ".join(feat.tokens[s : e + 1]).replace(" ##", "").replace("##", "")
        tok_text = " ".join(tok_text.strip().split())
        orig_text = " ".join(example.doc_tokens[feat.token_to_orig_map[s] : feat.token_to_orig_map[e] + 1])
        return final_text(tok_text, orig_text, tokenizer)

    if prelim:
        # The reference builds an n-best list of distinct texts and answers its first entry:
        # the best-scoring candidate.
        score, fi, s, e = prelim[0]
        best = Prediction(text_of(fi, s, e), fi, s, e, score)
        if with_margin:  # how far ahead of the best candidate with another text
            for other_score, ofi, os_, oe in prelim[1:]:
                if text_of(ofi, os_, oe) != best.text:
                    best.margin = score - other_score
                    break
        return best
    return Prediction("empty", -1, 0, 0, 0.0)


def features_by_example(features: Sequence[Feature]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = collections.defaultdict(list)
    for i, f in enumerate(features):
        out[f.example_index].append(i)
    return out


# ---------------------------------------------------------------------------
# Official SQuAD v1.1 scoring (evaluate-v1.1.py).

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(s: str) -> str:
    """Lower-case, drop ASCII punctuation, drop a/an/the, collapse whitespace."""
    s = "".join(ch for ch in s.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", s).split())


def f1_score(prediction: str, ground_truth: str) -> float:
    pred = normalize_answer(prediction).split()
    truth = normalize_answer(ground_truth).split()
    common = collections.Counter(pred) & collections.Counter(truth)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(truth)
    return 2 * precision * recall / (precision + recall)


def exact_match_score(prediction: str, ground_truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def evaluate(examples: Iterable[SquadExample], predictions: Mapping[str, str]) -> dict[str, float]:
    """``{"exact_match": .., "f1": ..}`` in percent over ``examples``; a question
    without a prediction scores 0 (as evaluate-v1.1.py)."""
    total = em = f1 = 0.0
    for ex in examples:
        total += 1
        if ex.qas_id not in predictions:
            continue
        pred = predictions[ex.qas_id]
        truths = ex.answers or [""]
        em += max(exact_match_score(pred, t) for t in truths)
        f1 += max(f1_score(pred, t) for t in truths)
    if total == 0:
        return {"exact_match": 0.0, "f1": 0.0}
    return {"exact_match": 100.0 * em / total, "f1": 100.0 * f1 / total}
