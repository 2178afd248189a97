"""The embedded default: a synthetic SQuAD v1.1 file, a WordPiece vocab made from
it, and a fixed-seed BERT with the MLPerf ONNX interface.

Made once per cache folder, in the real formats, so the whole real pipeline
runs on it (feature creation with the real tokenizer, both backends, the
accuracy script):

    <cache>/synthetic-v1-<config>-<questions>/
        dev-v1.1.json         articles > paragraphs > questions, SQuAD v1.1 layout
        vocab.txt             uncased WordPiece vocab trained on the texts by `tokenizers`
        model.onnx            BERT for QA, the MLPerf fp32 interface (graph)
        model.onnx.data       its weights (external data; 1.3 GB for BERT-Large)
        bert_config.json      the network's configuration
        dataset.json          what this is; written last (marks it complete)

Contexts are made of seeded pseudo-English sentences (words, names with
accents, numbers, punctuation, a few rare symbols the vocab lacks, so
``[UNK]`` occurs), and a few are long enough to need several 384-token
windows. Each paragraph holds one answer phrase: a start word
(``START_WORDS``), 0-2 words, an end word (``END_WORDS``), marker words
found nowhere else; its 1-3 questions ask for it, cued by the words around
it. The encoder has BERT's fixed-seed weights; the answer head
(``qa_outputs``) is fitted in closed form to the marker words' final hidden
states (answer_head.py), as a trained head reads what marks an answer, so
each best span leads by a clear margin (``dataset.json``: smallest and
median). The ground-truth answer of every question is then replaced by the
FP32 model's own best span (torch, FP32, the post-processing of
accuracy.py), so that model scores F1 = EM = 100 by construction: a
pipeline and equivalence check, not a SQuAD result. A question whose windows
give no valid span, or whose best span leads the best other answer text by
less than MIN_MARGIN (a near-tie that another runtime's rounding could
flip), is dropped, and so is one whose best span is not its answer phrase
(where the head missed the phrase, the lead over another span is not
assured; the WordPiece trainer's tie-breaking varies between builds, so the
data's tokens, and with them such misses, vary a little too).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from loadgen.harness.cache import AssetFolder, build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir

from . import squad
from .tokenization import FullTokenizer

VERSION = 5  # 5: one answer phrase per paragraph, a fitted answer head (real margins)
SEED = 0
DEFAULT_QUESTIONS = 32
LONG_EVERY = 4  # every 4th paragraph is long (several windows)
VOCAB_SIZE = 1500
# A question whose best span leads the best other answer text by less than this
# (start + end logit) is dropped: another runtime's rounding could flip it.
MIN_MARGIN = 0.01

_ONSETS = [
    "b",
    "c",
    "d",
    "f",
    "g",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "t",
    "v",
    "w",
    "br",
    "st",
    "tr",
    "ch",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou"]
_CODAS = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ck"]
_FUNCTION = ["the", "of", "and", "in", "to", "a", "was", "is", "for", "on", "by", "with", "as", "at", "from"]
_NAMES = ["Zoë", "Renée", "José", "Müller", "Ångström", "Dvořák", "Chloé", "Łukasz", "Søren", "Núñez"]
_RARE = ["☃", "⌘", "♞"]  # left out of the vocab: they become [UNK]
_QUESTION_WORDS = ["What", "Who", "Which", "Where", "When", "How"]
_VERBS = ["happened", "followed", "came next", "was named", "was described", "is meant"]
# Each paragraph's answer phrase starts with one of START_WORDS and ends with one of END_WORDS.
# They begin with letters no lexicon word begins with and occur nowhere else, so each is one
# vocab token of its own, which the fitted answer head finds (answer_head.py).
START_WORDS = ("Quorvan", "Xandril")
END_WORDS = ("jastomb", "yelmark")
_MARKERS = {w.lower() for w in START_WORDS + END_WORDS}


@dataclass(frozen=True)
class DefaultAssets(AssetFolder):
    question_count: int
    FILES: ClassVar[dict[str, str]] = {
        "dev_json": "dev-v1.1.json",
        "vocab": "vocab.txt",
        "onnx_model": "model.onnx",
    }


default_cache_dir = partial(_cache_dir, "bert")


def _lexicon(rng: np.random.Generator, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        syllables = int(rng.choice([1, 2, 2, 3, 3, 4, 5]))
        w = "".join(
            str(rng.choice(_ONSETS)) + str(rng.choice(_VOWELS)) + str(rng.choice(_CODAS))
            for _ in range(syllables)
        )
        words.add(w)
    return sorted(words)


def _sentence(rng: np.random.Generator, lexicon: list[str]) -> str:
    n = int(rng.integers(6, 18))
    words = []
    for i in range(n):
        r = rng.random()
        if r < 0.3:
            w = str(rng.choice(_FUNCTION))
        elif r < 0.36:
            w = str(rng.choice(_NAMES))
        elif r < 0.41:
            w = str(int(rng.integers(1, 3000)))
        elif r < 0.42:
            w = str(rng.choice(_RARE))
        else:
            w = str(rng.choice(lexicon))
        if i == 0:
            w = w[:1].upper() + w[1:]
        if i < n - 1 and rng.random() < 0.08:
            w += str(rng.choice([",", ";", ":"]))
        if rng.random() < 0.03:
            w = f"({w})"
        if rng.random() < 0.02:
            w += "'s"
        words.append(w)
    return " ".join(words) + str(rng.choice([".", ".", ".", "!", "?"]))


def _context(rng: np.random.Generator, lexicon: list[str], long: bool) -> tuple[str, str, int]:
    """A paragraph with its one answer phrase (a start word, 0-2 lexicon words, an end
    word) somewhere inside: (context, answer text, answer_start)."""
    n_sentences = int(rng.integers(18, 26)) if long else int(rng.integers(3, 9))
    sentences = [_sentence(rng, lexicon) for _ in range(n_sentences)]
    j = int(rng.integers(0, n_sentences))
    words = sentences[j].split(" ")
    phrase = [str(rng.choice(START_WORDS))]
    phrase += [str(rng.choice(lexicon)) for _ in range(int(rng.integers(0, 3)))]
    phrase.append(str(rng.choice(END_WORDS)))
    i = int(rng.integers(1, len(words)))  # after the first word, before the last (its punctuation)
    sentences[j] = " ".join(words[:i] + phrase + words[i:])
    start = sum(len(t) + 1 for t in sentences[:j]) + sum(len(w) + 1 for w in words[:i])
    text = " ".join(sentences)
    if long:  # some of the real file's other separators: newlines, a narrow no-break space
        text = text.replace(". ", ".\n", 2).replace(" ", "\u202f", 1)  # same lengths: offsets hold
    end = start + sum(len(w) + 1 for w in phrase) - 1
    return text, text[start:end], start


def _question(rng: np.random.Generator, context: str, answer_start: int, answer: str) -> str:
    """A question about the answer phrase: a few words before (or after) it as the cue."""
    before = context[:answer_start].split()[-4:]
    after = context[answer_start + len(answer) :].split()[:4]
    cue = before if before and (not after or rng.random() < 0.5) else after
    cue_text = " ".join(cue).lower().strip(".,;:!?")
    return f"{rng.choice(_QUESTION_WORDS)} {cue_text} {rng.choice(_VERBS)}?"


def write_squad_json(path: Path, n_questions: int, seed: int = SEED) -> None:
    """A SQuAD v1.1 file of about ``n_questions`` questions; the 1-3 questions of a
    paragraph ask for its one answer phrase."""
    rng = np.random.default_rng(seed)
    lexicon = [w for w in _lexicon(rng, 600) if w not in _MARKERS]
    articles = []
    q_total = 0
    p_index = 0
    while q_total < n_questions:
        paragraphs = []
        for _ in range(int(rng.integers(1, 4))):
            long = p_index % LONG_EVERY == LONG_EVERY - 1
            context, answer, start = _context(rng, lexicon, long)
            qas = []
            for _ in range(int(rng.integers(1, 4))):
                if q_total >= n_questions:
                    break
                qas.append(
                    {
                        "id": f"{seed:02d}{q_total:06d}{rng.integers(0, 16**8):08x}",
                        "question": _question(rng, context, start, answer),
                        "answers": [{"answer_start": start, "text": answer}],
                    }
                )
                q_total += 1
            p_index += 1
            if qas:
                paragraphs.append({"context": context, "qas": qas})
        if paragraphs:
            title = "_".join(str(rng.choice(lexicon)).capitalize() for _ in range(2))
            articles.append({"title": title, "paragraphs": paragraphs})
    path.write_text(
        json.dumps({"version": "1.1", "data": articles}, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def train_vocab(dev_json: Path, out_dir: Path, vocab_size: int = VOCAB_SIZE) -> Path:
    """An uncased WordPiece ``vocab.txt`` trained on the file's contexts and questions
    by the ``tokenizers`` WordPiece trainer."""
    from tokenizers import BertWordPieceTokenizer

    data = json.loads(dev_json.read_text(encoding="utf-8"))
    texts = []
    for article in data["data"]:
        for p in article["paragraphs"]:
            texts.append(p["context"])
            texts.extend(qa["question"] for qa in p["qas"])
    tok = BertWordPieceTokenizer(
        lowercase=True, strip_accents=True, clean_text=True, handle_chinese_chars=True
    )
    rare = set("".join(_RARE))
    tok.train_from_iterator(
        ("".join(c for c in t if c not in rare) for t in texts),  # keep the rare symbols out: [UNK]
        vocab_size=vocab_size,
        min_frequency=2,
        show_progress=False,
    )
    tok.save_model(str(out_dir))
    return out_dir / "vocab.txt"


def _word_starts(context: str) -> list[int]:
    """Character offset of each document word (split as squad.read_squad_examples does)."""
    starts = []
    prev_ws = True
    for i, c in enumerate(context):
        if squad.is_document_whitespace(c):
            prev_ws = True
        else:
            if prev_ws:
                starts.append(i)
            prev_ws = False
    return starts


def context_span(
    context: str, doc_tokens: list[str], first_word: int, last_word: int, text: str
) -> tuple[str, int]:
    """Where the predicted ``text`` lies in ``context``: (the context's own characters, start).

    ``text`` is a piece of ``" ".join(doc_tokens[first_word:last_word + 1])``
    (it may start or end inside a word); the context may separate those words
    by other whitespace (newline, U+202F), which the returned text keeps.
    """
    orig_text = " ".join(doc_tokens[first_word : last_word + 1])
    word_starts = _word_starts(context)

    def to_context(offset: int) -> int:
        w = first_word
        for tok in doc_tokens[first_word : last_word + 1]:
            if offset <= len(tok):
                break
            offset -= len(tok) + 1
            w += 1
        return word_starts[w] + offset

    a = orig_text.find(text)
    start, end = to_context(a), to_context(a + len(text))
    return context[start:end], start


@dataclass(frozen=True)
class Answers:
    """The FP32 model's answers and how they relate to the data."""

    spans: dict[str, tuple[str, int]]  # {id: (text, answer_start)}
    head: tuple[np.ndarray, np.ndarray]  # the fitted qa_outputs weight and bias
    margins: list[float]  # of the kept questions: best span's lead over another text
    missed: int  # questions left out because their best span is not their answer phrase


def _final_hidden_states(net, feats: squad.Features, log: Callable[[str], None]) -> dict[int, np.ndarray]:
    """The encoder's last hidden states of every feature, ``[real length, hidden]``."""
    import torch

    lengths = feats.lengths
    out: dict[int, np.ndarray] = {}
    t0 = last = time.monotonic()
    order = np.argsort(-lengths, kind="stable")
    batch = 4
    with torch.inference_mode():
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            seq = int(lengths[idx].max())
            inputs = [
                torch.from_numpy(a[idx, :seq]) for a in (feats.input_ids, feats.input_mask, feats.segment_ids)
            ]
            hidden = net.bert(*inputs).numpy()
            for j, i in enumerate(idx.tolist()):
                out[i] = hidden[j, : int(lengths[i])].copy()
            done = min(b + batch, len(order))
            if done == len(order) or time.monotonic() - last > 5:
                last = time.monotonic()
                log(
                    f"  the FP32 model's hidden states: {done}/{len(order)} features ({time.monotonic() - t0:.0f} s)"
                )
    return out


def fp32_answers(dev_json: Path, vocab: Path, onnx_model: Path, log: Callable[[str], None]) -> Answers:
    """Fit the answer head (answer_head.py) on the FP32 torch model's hidden states, then
    that model's best span per question; questions with no valid span, or whose best span
    is a near-tie with another text (less than MIN_MARGIN ahead) or not the question's
    answer phrase, are left out."""
    import torch

    from . import answer_head
    from . import model as bert

    net = bert.build_torch_model(onnx_model)
    tokenizer = FullTokenizer(vocab)
    for word in START_WORDS + END_WORDS:
        if tokenizer.tokenize(word) != [word.lower()]:
            raise ValueError(
                f"the answer marker {word!r} is not one token of the vocab: {tokenizer.tokenize(word)}"
            )
    examples = squad.read_squad_examples(dev_json)
    contexts = [
        p["context"] for a in json.loads(dev_json.read_text("utf-8"))["data"] for p in a["paragraphs"]
    ]
    feats = squad.convert_examples_to_features(examples, tokenizer)
    hidden = _final_hidden_states(net, feats, log)
    classes = answer_head.token_classes(
        feats.features, {w.lower() for w in START_WORDS}, {w.lower() for w in END_WORDS}
    )
    weight, bias = answer_head.fit(hidden, classes)
    net.qa_outputs.weight.data = torch.from_numpy(weight)
    net.qa_outputs.bias.data = torch.from_numpy(bias)
    logits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    with torch.inference_mode():
        for i, h in hidden.items():  # the model's own head on its own hidden states
            both = net.qa_outputs(torch.from_numpy(h)).numpy()
            s = np.full(squad.MAX_SEQ_LENGTH, squad.PAD_LOGIT, np.float32)
            e = s.copy()
            s[: len(h)], e[: len(h)] = both[:, 0], both[:, 1]
            logits[i] = (s, e)
    by_example = squad.features_by_example(feats.features)
    spans: dict[str, tuple[str, int]] = {}
    margins: list[float] = []
    missed = 0
    for ei, ex in enumerate(examples):
        pred = squad.predict_example(
            ex, by_example.get(ei, []), feats.features, logits, tokenizer, with_margin=True
        )
        if pred.feature_index < 0 or pred.margin < MIN_MARGIN:
            continue
        feat = feats.features[pred.feature_index]
        first_word = feat.token_to_orig_map[pred.start]
        last_word = feat.token_to_orig_map[pred.end]
        text, start = context_span(
            contexts[ex.context_index], ex.doc_tokens, first_word, last_word, pred.text
        )
        if squad.normalize_answer(text) != squad.normalize_answer(ex.answers[0]):
            missed += 1
            continue
        spans[ex.qas_id] = (text, start)
        margins.append(float(pred.margin))
    return Answers(spans, (weight, bias), margins, missed)


def _relabel(dev_json: Path, answers: dict[str, tuple[str, int]]) -> tuple[int, int]:
    """Set each question's answer to the model's span; drop questions without one."""
    data = json.loads(dev_json.read_text(encoding="utf-8"))
    kept = dropped = 0
    for article in data["data"]:
        for p in article["paragraphs"]:
            qas = []
            for qa in p["qas"]:
                if qa["id"] not in answers:
                    dropped += 1
                    continue
                text, start = answers[qa["id"]]
                qa["answers"] = [{"answer_start": start, "text": text}]
                qas.append(qa)
                kept += 1
            p["qas"] = qas
        article["paragraphs"] = [p for p in article["paragraphs"] if p["qas"]]
    data["data"] = [a for a in data["data"] if a["paragraphs"]]
    dev_json.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return kept, dropped


def config_tag(config) -> str:
    c = config
    return f"L{c.num_hidden_layers}-H{c.hidden_size}-A{c.num_attention_heads}-I{c.intermediate_size}"


def ensure_default_assets(
    cache_dir: str | Path,
    n_questions: int = DEFAULT_QUESTIONS,
    config=None,
    log: Callable[[str], None] = print,
) -> DefaultAssets:
    """The default data set and model under ``cache_dir``, made if missing.

    ``config`` (a ``model.BertConfig``; default BERT-Large) is what tests
    shrink. Built in a temporary folder and renamed into place, so an
    interrupted build leaves nothing half-made.
    """
    from . import config as bert_config
    from . import onnx_export

    config = config or bert_config.BERT_LARGE
    folder = Path(cache_dir) / f"synthetic-v{VERSION}-{config_tag(config)}-{n_questions}q"
    if (folder / "dataset.json").is_file():
        return DefaultAssets(folder, n_questions)
    size_mb = 4 * sum(int(np.prod(s)) for _, s in bert_config.parameter_shapes(config)) / 1e6
    log(
        f"making the embedded default (once): a synthetic SQuAD v1.1 file of {n_questions} questions, "
        f"its WordPiece vocab, and a fixed-seed BERT ({config_tag(config)}, {size_mb:.0f} MB) in {folder}"
    )

    def build(tmp: Path) -> None:
        t0 = time.monotonic()
        dev = tmp / "dev-v1.1.json"
        write_squad_json(dev, n_questions)
        vocab = train_vocab(dev, tmp)
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if done == total or time.monotonic() - last[0] > 2.0:
                last[0] = time.monotonic()
                log(
                    f"  writing the model: {done / 1e6:.0f} / {total / 1e6:.0f} MB ({time.monotonic() - t0:.0f} s)"
                )

        onnx_export.write_onnx(
            bert_config.fixed_seed_weights(config, SEED), config, tmp / "model.onnx", progress
        )
        answers = fp32_answers(dev, vocab, tmp / "model.onnx", log)
        weight, bias = answers.head
        onnx_export.replace_onnx_weights(
            tmp / "model.onnx", {"qa_outputs.weight": weight, "qa_outputs.bias": bias}
        )
        kept, dropped = _relabel(dev, answers.spans)
        feats = squad.convert_examples_to_features(squad.read_squad_examples(dev), FullTokenizer(vocab))
        windows = np.bincount([f.example_index for f in feats.features])
        info = {
            "what": "synthetic SQuAD v1.1 data set for BERT; the answers are the fixed-seed FP32 model's own best "
            "spans (a pipeline and equivalence check, not a SQuAD result)",
            "version": VERSION,
            "seed": SEED,
            "questions": kept,
            "questions_dropped_without_a_clear_best_span": dropped,
            "min_margin": MIN_MARGIN,
            "answer_head": "qa_outputs fitted in closed form to the answer phrases' start and end words "
            "(answer_head.py); the encoder is the fixed-seed one",
            "answers_that_are_the_answer_phrase": kept,
            "questions_dropped_not_the_answer_phrase": answers.missed,
            "smallest_margin": round(min(answers.margins), 3) if answers.margins else None,
            "median_margin": round(float(np.median(answers.margins)), 3) if answers.margins else None,
            "features": len(feats),
            "questions_with_several_windows": int((windows > 1).sum()),
            "unk_tokens": int(sum(t == "[UNK]" for f in feats.features for t in f.tokens)),
            "reference_f1": 100.0,
            "reference_exact_match": 100.0,
            "model": "model.onnx",
            "config": config.__dict__,
            "build_seconds": round(time.monotonic() - t0, 1),
        }
        (tmp / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        log(f"  done: {kept} questions, {len(feats)} features, in {time.monotonic() - t0:.0f} s")

    build_once(folder, build)
    return DefaultAssets(folder, n_questions)


if __name__ == "__main__":  # python -m bert.synthetic [cache-dir]: build the default
    ensure_default_assets(sys.argv[1] if len(sys.argv) > 1 else default_cache_dir(), log=print)
