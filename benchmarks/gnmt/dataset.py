"""newstest2014 English->German for GNMT: the reference's ``nmt/data`` folder.

Files read (shared/spec/benchmarks.md §6.1):

* ``newstest2014.tok.bpe.32000.en``: the source, Moses-tokenised and
  BPE-segmented, one sentence per line;
* ``vocab.bpe.32000.en`` / ``vocab.bpe.32000.de``: the source and target
  vocabularies (the reference ships two copies of one shared vocabulary);
* ``bpe.32000``: the BPE codes, used only for raw text (``source_text``);
* ``newstest2014.tok.bpe.32000.de``: the references, read by accuracy.py.

A sample is one source line as ids (whitespace split, unknown -> 0, no
``</s>``). ``source_text`` replaces the ``.en`` file by a raw English file,
tokenised with sacremoses and segmented with subword-nmt and ``bpe.32000``
when loaded (text.MosesBPE).

Performance mode: the reference's performance set
(``newstest2014.tok.bpe.32000.en.large``) is the accuracy set repeated 1300
times; here sample ``i`` is line ``i mod n`` (``repeat`` copies), without
reading or holding the large file. Accuracy mode uses the ``n`` lines once.

A batch is ``{"source_ids": int64 [B, S] (padded with </s>), "source_lengths": int64 [B]}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from loadgen.harness import Dataset

from .text import EOS_ID, MosesBPE, Vocabulary, encode_source

SOURCE_FILE = "newstest2014.tok.bpe.32000.en"
REFERENCE_FILE = "newstest2014.tok.bpe.32000.de"
SRC_VOCAB_FILE = "vocab.bpe.32000.en"
TGT_VOCAB_FILE = "vocab.bpe.32000.de"
BPE_CODES_FILE = "bpe.32000"
PERFORMANCE_REPEAT = 1300  # .large = 1300 x the 3003 lines


def read_lines(path: str | Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


class NewsTest(Dataset):
    """The source side of newstest2014 (or any folder in its layout)."""

    name = "newstest2014"

    def __init__(
        self,
        data_path: str | Path,
        count: int | None = None,
        repeat: int = 1,
        source_text: str | Path | None = None,
    ) -> None:
        if repeat < 1:
            raise ValueError(f"repeat = {repeat}: must be >= 1")
        root = Path(data_path)
        self.data_path = root
        for f in (SRC_VOCAB_FILE, TGT_VOCAB_FILE):
            if not (root / f).is_file():
                raise FileNotFoundError(f"{root}: no {f} (the reference's nmt/data folder has it)")
        self.src_vocab = Vocabulary.from_file(root / SRC_VOCAB_FILE)
        self.tgt_vocab = Vocabulary.from_file(root / TGT_VOCAB_FILE)
        if source_text is not None:
            raw = read_lines(source_text)
            segment = MosesBPE(root / BPE_CODES_FILE, lang="en")
            lines = [segment(line) for line in (raw[:count] if count else raw)]
            origin = str(source_text)
        else:
            src = root / SOURCE_FILE
            if not src.is_file():
                raise FileNotFoundError(f"{root}: no {SOURCE_FILE}")
            lines = read_lines(src)
            origin = str(src)
        if count is not None:
            lines = lines[:count]
        if not lines:
            raise ValueError(f"{origin}: no sentences")
        self.sources = lines
        self.encoded: list[np.ndarray] = []
        for i, line in enumerate(lines):
            ids = encode_source(line, self.src_vocab)
            if len(ids) == 0:
                raise ValueError(f"{origin}:{i + 1}: empty sentence (every source line needs a token)")
            self.encoded.append(ids)
        self.lengths = np.array([len(e) for e in self.encoded], dtype=np.int64)
        self.repeat = repeat
        self.unknown_fraction = float(
            sum(int((e == 0).sum()) for e in self.encoded) / max(1, int(self.lengths.sum()))
        )

    @property
    def sentence_count(self) -> int:
        return len(self.encoded)

    @property
    def total_count(self) -> int:
        return len(self.encoded) * self.repeat

    def load(self, indices: Sequence[int]) -> None:
        # The sentences are held from the start (a few hundred kB for 3003
        # lines); only check that LoadGen asks for ones that exist.
        if len(indices) and (min(indices) < 0 or max(indices) >= self.total_count):
            raise IndexError(f"sample index out of range 0..{self.total_count - 1}")

    def unload(self, indices: Sequence[int]) -> None:
        pass

    def get_batch(self, indices: Sequence[int]) -> dict[str, np.ndarray]:
        n = len(self.encoded)
        rows = [self.encoded[i % n] for i in indices]
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        ids = np.full((len(rows), int(lengths.max())), EOS_ID, dtype=np.int64)
        for j, r in enumerate(rows):
            ids[j, : len(r)] = r
        return {"source_ids": ids, "source_lengths": lengths}
