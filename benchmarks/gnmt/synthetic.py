"""The embedded default: a synthetic parallel corpus in the reference's layout, and a fixed-seed GNMT.

Made once per cache folder, so that the whole real pipeline runs on it
(vocabulary rules, BPE-segmented source, both backends, beam search, the
accuracy script):

    <cache>/embedded-v2-n<sentences>-u<units>/
        data/newstest2014.en                  raw English (sentences from a small seeded grammar)
        data/newstest2014.tok.bpe.32000.en    the same, Moses-tokenised (sacremoses) and BPE-segmented
        data/newstest2014.tok.bpe.32000.de    references: the FP32 model's own beam-search output
        data/bpe.32000                        BPE codes learned by subword-nmt on a larger synthetic
                                              English+German corpus (joint, as the real codes are)
        data/vocab.bpe.32000.en, .de          the shared vocabulary (<unk> <s> </s>, then pieces by frequency)
        data/dataset.json                     what this is, reference_bleu = 100
        model/gnmt.json, gnmt.pt, gnmt_encoder.onnx, gnmt_decoder_step.onnx
        done.json                             written last (marks it complete)

The German side of the synthetic corpus is a word-for-word rendering of the
English: it gives the BPE codes and the shared vocabulary German pieces,
nothing more. The model is untrained (fixed seed), so its "translations" are
token sequences, not German; the references are those sequences, so the FP32
torch model scores BLEU 100 by construction, and the quality target is 99 %
of that. A pipeline and backend-equivalence check, not a translation result.

The model has the real architecture with smaller sizes by default
(``DEFAULT_UNITS``; the MLPerf model's 1024 units make beam search take about
a second per sentence on two cores): ``units`` is a parameter.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from loadgen.harness.cache import AssetFolder, build_once
from loadgen.harness.cache import default_cache_dir as _cache_dir

from . import dataset as ds
from .text import EOS, SOS, UNK, MosesBPE, Vocabulary, join_bpe, learn_bpe_codes

VERSION = 2
SEED = 0
DEFAULT_SENTENCES = 64
DEFAULT_UNITS = 64
CORPUS_SENTENCES = 2000  # for learning the BPE codes and the vocabulary
BPE_MERGES = 800

# English word -> German word (a lexicon for the synthetic corpus).
NOUNS = {
    "government": "Regierung",
    "minister": "Minister",
    "city": "Stadt",
    "company": "Unternehmen",
    "court": "Gericht",
    "report": "Bericht",
    "police": "Polizei",
    "market": "Markt",
    "president": "Präsident",
    "council": "Rat",
    "family": "Familie",
    "school": "Schule",
    "hospital": "Krankenhaus",
    "election": "Wahl",
    "agreement": "Abkommen",
    "budget": "Haushalt",
    "train": "Zug",
    "bridge": "Brücke",
    "river": "Fluss",
    "village": "Dorf",
    "team": "Mannschaft",
    "season": "Saison",
    "player": "Spieler",
    "worker": "Arbeiter",
    "student": "Student",
    "teacher": "Lehrer",
    "price": "Preis",
    "energy": "Energie",
    "weather": "Wetter",
    "parliament": "Parlament",
    "investigation": "Untersuchung",
    "railway": "Eisenbahn",
}
ADJECTIVES = {
    "new": "neue",
    "old": "alte",
    "local": "örtliche",
    "national": "nationale",
    "large": "große",
    "small": "kleine",
    "important": "wichtige",
    "difficult": "schwierige",
    "public": "öffentliche",
    "economic": "wirtschaftliche",
    "European": "europäische",
    "German": "deutsche",
    "former": "frühere",
    "independent": "unabhängige",
    "international": "internationale",
    "recent": "jüngste",
}
VERBS = {
    "announced": "kündigte",
    "rejected": "lehnte",
    "approved": "genehmigte",
    "criticised": "kritisierte",
    "supported": "unterstützte",
    "opened": "eröffnete",
    "closed": "schloss",
    "visited": "besuchte",
    "increased": "erhöhte",
    "reduced": "senkte",
    "investigated": "untersuchte",
    "welcomed": "begrüßte",
}
NAMES = {
    "Merkel": "Merkel",
    "Obama": "Obama",
    "Smith": "Smith",
    "Müller": "Müller",
    "Schmidt": "Schmidt",
    "Johnson": "Johnson",
    "Brown": "Brown",
    "Wagner": "Wagner",
}
PLACES = {
    "Berlin": "Berlin",
    "London": "London",
    "Munich": "München",
    "Paris": "Paris",
    "Washington": "Washington",
    "Cologne": "Köln",
    "Vienna": "Wien",
    "Brussels": "Brüssel",
}
FUNCTION = {
    "the": "die",
    "a": "eine",
    "in": "in",
    "on": "am",
    "said": "sagte",
    "that": "dass",
    "and": "und",
    "of": "von",
    "with": "mit",
    "yesterday": "gestern",
    "today": "heute",
    "per": "pro",
    "cent": "Prozent",
    "told": "sagte",
    "reporters": "Reportern",
    "We": "Wir",
    "don't": "nicht",
    "know": "wissen",
    "It": "Es",
    "is": "ist",
    "not": "nicht",
    "clear": "klar",
    "whether": "ob",
    "will": "wird",
    "by": "um",
    "last": "letzten",
    "year": "Jahr",
    "after": "nach",
    "months": "Monaten",
    "for": "für",
    "people": "Menschen",
    "more": "mehr",
    "than": "als",
    "his": "seine",
    "her": "ihre",
    "The": "Die",
    "In": "In",
    "new": "neue",
    "were": "waren",
    "was": "war",
    "it": "es",
}


def _pick(rng: np.random.Generator, words: dict[str, str]) -> str:
    keys = list(words)
    return keys[int(rng.integers(len(keys)))]


def english_sentence(rng: np.random.Generator) -> str:
    """One sentence of news-like English from a few templates (quotes, numbers, possessives, hyphens)."""
    n1, n2 = _pick(rng, NOUNS), _pick(rng, NOUNS)
    a1, a2 = _pick(rng, ADJECTIVES), _pick(rng, ADJECTIVES)
    v = _pick(rng, VERBS)
    who, where = _pick(rng, NAMES), _pick(rng, PLACES)
    num = int(rng.integers(2, 2000))
    pct = f"{rng.integers(1, 99)}.{rng.integers(0, 10)}"
    templates = [
        f"The {a1} {n1} {v} the {a2} {n2} in {where}.",
        f"{who} said that the {n1} {v} {num} {n2}s yesterday.",
        f'"We don\'t know whether the {n1} will survive," {who} told reporters in {where}.',
        f"In {where}, the {n1}'s {n2} {v} the price by {pct} per cent.",
        f"It is not clear whether the {a1} {n1} {v} the {n2}-{n1} agreement.",
        f"After {num % 24 + 2} months, the {a1} {n1} of {where} {v} more than {num} {n2}s.",
        f"The {n1} {v} his {a1} {n2} and her {a2} {n1} today.",
    ]
    return templates[int(rng.integers(len(templates)))]


def german_rendering(english: str) -> str:
    """Word-for-word German of a synthetic English sentence (for BPE codes and the vocabulary only)."""
    lexicon = {**NOUNS, **ADJECTIVES, **VERBS, **NAMES, **PLACES, **FUNCTION}
    out = []
    for word in english.split():
        core = word.strip("\".,?!'")
        lead = word[: len(word) - len(word.lstrip('"'))]
        tail = word[len(lead) + len(core) :]
        plural = core.endswith("s") and core[:-1] in NOUNS
        base = core[:-1] if plural else core
        parts = [lexicon.get(p, p) for p in base.split("-")]
        g = "-".join(parts) + ("en" if plural else "")
        out.append(lead + g + tail)
    return " ".join(out)


@dataclass(frozen=True)
class DefaultAssets(AssetFolder):
    sentences: int
    units: int
    FILES: ClassVar[dict[str, str]] = {"data_dir": "data", "model_dir": "model"}


default_cache_dir = partial(_cache_dir, "gnmt")


def build_default(
    folder: Path,
    n: int,
    units: int,
    log=print,
    corpus_sentences: int = CORPUS_SENTENCES,
    merges: int = BPE_MERGES,
) -> None:
    """Write the data folder and the model folder under ``folder`` (see the module docstring)."""
    import torch
    from sacremoses import MosesTokenizer

    from .backends import TorchStepper
    from .beam import BeamSearch
    from .convert import write_model_folder
    from .model import GNMTConfig, make_fixed_seed_model

    data, model_dir = folder / "data", folder / "model"
    data.mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    corpus_en = [english_sentence(rng) for _ in range(corpus_sentences)]
    test_en = [english_sentence(rng) for _ in range(n)]
    tok_en, tok_de = MosesTokenizer(lang="en"), MosesTokenizer(lang="de")

    def tok(t: MosesTokenizer, s: str) -> str:
        return t.tokenize(s, escape=True, return_str=True)

    corpus_tok = [tok(tok_en, s) for s in corpus_en] + [tok(tok_de, german_rendering(s)) for s in corpus_en]
    learn_bpe_codes(corpus_tok, data / ds.BPE_CODES_FILE, merges)
    segment = MosesBPE(data / ds.BPE_CODES_FILE, lang="en")
    counts: dict[str, int] = {}
    for line in corpus_tok:
        for piece in segment.segment_tokens(line).split():
            counts[piece] = counts.get(piece, 0) + 1
    pieces = sorted(counts, key=lambda p: (-counts[p], p))
    vocab = Vocabulary([UNK, SOS, EOS] + pieces)
    vocab.write(data / ds.SRC_VOCAB_FILE)
    vocab.write(data / ds.TGT_VOCAB_FILE)
    (data / "newstest2014.en").write_text("".join(s + "\n" for s in test_en), encoding="utf-8")
    (data / "newstest2014.de").write_text(
        "".join(german_rendering(s) + "\n" for s in test_en), encoding="utf-8"
    )
    (data / ds.SOURCE_FILE).write_text("".join(segment(s) + "\n" for s in test_en), encoding="utf-8")

    cfg = GNMTConfig(len(vocab), len(vocab), units=units, embedding_size=units, attention_units=units)
    model = make_fixed_seed_model(cfg, seed=SEED)
    write_model_folder(asdict(cfg), {k: v.numpy() for k, v in model.state_dict().items()}, model_dir)

    # References: the FP32 torch model's own beam-search translations, one
    # sentence at a time, written BPE-segmented as the real .de file is.
    source = ds.NewsTest(data)
    stepper = TorchStepper(model)
    search = BeamSearch()
    refs = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small model: threads only add overhead (backends.SMALL_MODEL_UNITS)
    try:
        for i in range(source.sentence_count):
            b = source.get_batch([i])
            ids = search(stepper, b["source_ids"], b["source_lengths"], cfg.tgt_vocab_size)[0]
            words = vocab.pieces(ids)
            # A last piece ending in @@ is dropped by the response's joining; keep the reference equal.
            while words and words[-1].endswith("@@"):
                words.pop()
            refs.append(" ".join(words))
    finally:
        torch.set_num_threads(threads)
    (data / ds.REFERENCE_FILE).write_text("".join(r + "\n" for r in refs), encoding="utf-8")
    empty = sum(1 for r in refs if not join_bpe(r.split()))
    info = {
        "what": "synthetic English->German corpus for GNMT; the references are the fixed-seed FP32 model's "
        "own beam-search output (a pipeline and equivalence check, not a translation result)",
        "version": VERSION,
        "seed": SEED,
        "sentences": n,
        "bpe_merges": merges,
        "vocabulary": len(vocab),
        "units": units,
        "reference_bleu": 100.0,
        "empty_references": empty,
        "mean_reference_pieces": float(np.mean([len(r.split()) for r in refs])),
    }
    (data / "dataset.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    log(f"embedded default: {n} sentences, vocabulary {len(vocab)}, {units} units")


def ensure_default_assets(
    cache_dir: str | Path,
    n: int = DEFAULT_SENTENCES,
    units: int = DEFAULT_UNITS,
    log=print,
    corpus_sentences: int = CORPUS_SENTENCES,
    merges: int = BPE_MERGES,
) -> DefaultAssets:
    """The default data set and model under ``cache_dir``, made if missing (needs torch and onnx once).

    ``corpus_sentences`` and ``merges`` size the BPE corpus (tests use smaller ones)."""
    name = f"embedded-v{VERSION}-n{n}-u{units}"
    if (corpus_sentences, merges) != (CORPUS_SENTENCES, BPE_MERGES):
        name += f"-c{corpus_sentences}-m{merges}"
    folder = Path(cache_dir) / name
    if (folder / "done.json").is_file():
        return DefaultAssets(folder, n, units)
    log(f"making the embedded default (once): {n} synthetic sentences and a fixed-seed GNMT in {folder}")

    def build(tmp: Path) -> None:
        build_default(tmp, n, units, log, corpus_sentences, merges)
        (tmp / "done.json").write_text(json.dumps({"sentences": n, "units": units}) + "\n", encoding="utf-8")

    build_once(folder, build, marker="done.json")
    return DefaultAssets(folder, n, units)
