"""SQuAD v1.1 dev features as the QSL's samples: one feature = one sample, in creation order.

``--dataset-path`` is a ``dev-v1.1.json`` (its ``vocab.txt`` beside it, or
``--vocab-file``), or a folder holding both. The features (squad.py) are made
once and cached under ``<cache-dir>/features/<key>/``, the key a hash of the
two files' contents and the feature parameters, so a second run only reads
arrays. All samples stay in memory (the reference's QSL does the same);
``load``/``unload`` only check the indices.

A batch is a dict of int64 arrays ``input_ids``, ``input_mask``,
``segment_ids``, ``[B, 384]``; with ``padding_free`` it is cut to the length
of the batch's longest real sequence (the model's outputs are then padded
back to 384 by run.py's ``postprocess``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from loadgen.harness import Dataset
from loadgen.harness.cache import build_once

from . import squad
from .tokenization import FullTokenizer

FEATURES_VERSION = 1
DEV_FILE = "dev-v1.1.json"
VOCAB_FILE = "vocab.txt"


def locate(dataset_path: str | Path, vocab_file: str | Path | None = None) -> tuple[Path, Path]:
    """(dev JSON, vocab.txt) for a ``--dataset-path`` and optional ``--vocab-file``."""
    p = Path(dataset_path)
    if p.is_dir():
        dev = p / DEV_FILE
        if not dev.is_file():
            found = sorted(x.name for x in p.glob("*.json"))
            raise FileNotFoundError(f"{p}: no {DEV_FILE} in this folder (JSON files here: {found or 'none'})")
    elif p.is_file():
        dev = p
    else:
        raise FileNotFoundError(f"--dataset-path {p} does not exist")
    vocab = Path(vocab_file) if vocab_file else dev.parent / VOCAB_FILE
    if not vocab.is_file():
        raise FileNotFoundError(
            f"{vocab}: no vocab file; put the model's {VOCAB_FILE} beside {dev.name} or give --vocab-file"
        )
    return dev, vocab


def reference_scores(dev: Path) -> tuple[float, float | None]:
    """(F1, EM) of the FP32 reference on this file: dataset.json beside it (the
    embedded default: 100, 100), else MLPerf's F1 90.874."""
    info = dev.parent / "dataset.json"
    if info.is_file():
        d = json.loads(info.read_text(encoding="utf-8"))
        if "reference_f1" in d:
            return float(d["reference_f1"]), d.get("reference_exact_match")
    return squad.REFERENCE_F1, None


def features_for(
    dev: Path,
    vocab: Path,
    cache_dir: str | Path,
    tokenizer: FullTokenizer | None = None,
    examples: list[squad.SquadExample] | None = None,
) -> squad.Features:
    """The features of ``dev`` with ``vocab``, from the cache or made (and cached) now."""
    h = hashlib.sha1()
    for part in (dev.read_bytes(), vocab.read_bytes()):
        h.update(hashlib.sha1(part).digest())
    h.update(
        f"v{FEATURES_VERSION}/{squad.MAX_SEQ_LENGTH}/{squad.DOC_STRIDE}/{squad.MAX_QUERY_LENGTH}".encode()
    )
    folder = Path(cache_dir) / "features" / f"{dev.stem}-{h.hexdigest()[:16]}"

    def build(tmp: Path) -> None:
        exs = examples if examples is not None else squad.read_squad_examples(dev)
        squad.save_features(squad.convert_examples_to_features(exs, tokenizer or FullTokenizer(vocab)), tmp)

    build_once(folder, build, marker="features.json")
    return squad.load_features(folder)


class SquadFeatures(Dataset):
    """The QSL's samples: the features of a SQuAD v1.1 file (the first ``count`` if given)."""

    name = "squad-v1.1"

    def __init__(
        self,
        dataset_path: str | Path,
        cache_dir: str | Path,
        vocab_file: str | Path | None = None,
        count: int | None = None,
        padding_free: bool = False,
    ) -> None:
        self.dev_path, self.vocab_path = locate(dataset_path, vocab_file)
        self.tokenizer = FullTokenizer(self.vocab_path)
        self.examples = squad.read_squad_examples(self.dev_path)
        feats = features_for(self.dev_path, self.vocab_path, cache_dir, self.tokenizer, self.examples)
        if len(feats) == 0:
            raise ValueError(f"{self.dev_path}: no features (no question has a non-empty context)")
        # Every feature's bookkeeping, also past --count: a question is scored only if all
        # of its windows ran, and that needs to know how many windows it has.
        self.all_features = feats.features
        if count is not None and count < len(feats):
            feats = squad.Features(
                feats.input_ids[:count],
                feats.input_mask[:count],
                feats.segment_ids[:count],
                feats.features[:count],
            )
        self.features = feats
        self.lengths = feats.lengths
        self.padding_free = padding_free
        self.reference_f1, self.reference_exact_match = reference_scores(self.dev_path)
        self._arrays = {
            "input_ids": feats.input_ids,
            "input_mask": feats.input_mask,
            "segment_ids": feats.segment_ids,
        }

    @property
    def total_count(self) -> int:
        return len(self.features)

    def _check(self, indices: Sequence[int]) -> None:
        n = self.total_count
        for i in indices:
            if not 0 <= i < n:
                raise IndexError(f"sample index {i} is outside 0..{n - 1}")

    def load(self, indices: Sequence[int]) -> None:
        self._check(indices)  # every feature is in memory already

    def unload(self, indices: Sequence[int]) -> None:
        pass

    def get_batch(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        idx = np.asarray(indices, dtype=np.int64)
        if self.padding_free:
            seq = int(self.lengths[idx].max())
            return {k: v[idx, :seq] for k, v in self._arrays.items()}
        return {k: v[idx] for k, v in self._arrays.items()}

    def label(self, index: int) -> list[str]:
        """The ground-truth answer texts of this feature's question."""
        return self.examples[self.features.features[index].example_index].answers
