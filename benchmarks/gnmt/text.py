"""Text handling for GNMT: the vocabulary, Moses tokenisation, BPE, joining.

* ``Vocabulary``: the reference's vocabulary file rules. One token per line;
  ``<unk>``, ``<s>``, ``</s>`` must be the first three entries (ids 0, 1, 2)
  and are prepended when missing, as the reference's loader does; a word not
  in the vocabulary maps to id 0 (``<unk>``).
* ``encode_source``: a BPE-segmented line -> ids, split on whitespace, no
  end-of-sentence id appended (the reference's source side).
* ``MosesBPE``: raw text -> Moses-tokenised (``sacremoses``, escaping as
  ``tokenizer.perl`` does by default) -> BPE-segmented (``subword-nmt``'s
  ``apply_bpe`` with the given codes, e.g. ``bpe.32000``), as the reference's
  ``preprocess_input.sh`` does with the Perl tokenizer and ``apply_bpe.py``.
* ``join_bpe``: target pieces -> words, the reference's ``format_bpe_text``
  rule: a piece ending in ``@@`` is glued to the next one; a word still open
  at the end (the last piece ends in ``@@``) is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

UNK, SOS, EOS = "<unk>", "<s>", "</s>"
UNK_ID, SOS_ID, EOS_ID = 0, 1, 2
BPE_SEPARATOR = "@@"


class Vocabulary:
    """Tokens in file order, with ``<unk> <s> </s>`` as ids 0, 1, 2."""

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tokens[:3] != [UNK, SOS, EOS]:
            # The reference's loader prepends the three when the file does not
            # start with them (and keeps any later copies as ordinary entries).
            tokens = [UNK, SOS, EOS] + tokens
        self.tokens = tokens
        self.ids: dict[str, int] = {}
        for i, t in enumerate(tokens):
            self.ids.setdefault(t, i)
        self._array = np.array(tokens, dtype=object)

    @classmethod
    def from_file(cls, path: str | Path) -> Vocabulary:
        tokens = []
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                word = line.strip()
                if not word:
                    raise ValueError(f"{path}:{line_no}: empty vocabulary entry")
                tokens.append(word)
        if not tokens:
            raise ValueError(f"{path}: empty vocabulary")
        return cls(tokens)

    def write(self, path: str | Path) -> None:
        Path(path).write_text("".join(t + "\n" for t in self.tokens), encoding="utf-8")

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, pieces: Iterable[str]) -> np.ndarray:
        """Pieces -> int64 ids; unknown pieces -> 0."""
        get = self.ids.get
        return np.array([get(p, UNK_ID) for p in pieces], dtype=np.int64)

    def pieces(self, ids: np.ndarray) -> list[str]:
        return self._array[np.asarray(ids, dtype=np.int64)].tolist()


def encode_source(line: str, vocab: Vocabulary) -> np.ndarray:
    """One BPE-segmented source line -> ids (whitespace split, no EOS)."""
    return vocab.encode(line.split())


def join_bpe(pieces: Sequence[str]) -> str:
    """Target pieces -> the translation: ``@@`` joins, single spaces between words."""
    words = []
    word = ""
    for p in pieces:
        if p.endswith(BPE_SEPARATOR):
            word += p[: -len(BPE_SEPARATOR)]
        else:
            words.append(word + p)
            word = ""
    return " ".join(words)


class MosesBPE:
    """Raw text -> Moses tokens -> BPE pieces, with sacremoses and subword-nmt."""

    def __init__(self, codes_path: str | Path, lang: str = "en") -> None:
        from sacremoses import MosesTokenizer
        from subword_nmt.apply_bpe import BPE

        if not Path(codes_path).is_file():
            raise FileNotFoundError(f"{codes_path}: no BPE codes file")
        self.tokenizer = MosesTokenizer(lang=lang)
        with open(codes_path, encoding="utf-8") as f:
            self.bpe = BPE(f, separator=BPE_SEPARATOR)

    def tokenize(self, text: str) -> str:
        """Moses tokenisation as ``tokenizer.perl -l <lang>`` (escaping on)."""
        return self.tokenizer.tokenize(text.strip(), escape=True, return_str=True)

    def segment_tokens(self, tokenized: str) -> str:
        return self.bpe.process_line(tokenized).strip()

    def __call__(self, text: str) -> str:
        """One raw sentence -> its BPE-segmented, tokenised form (pieces joined by spaces)."""
        return self.segment_tokens(self.tokenize(text))


def learn_bpe_codes(tokenized_lines: Iterable[str], out_path: str | Path, merges: int) -> None:
    """Learn BPE codes with subword-nmt from Moses-tokenised lines (one file, as a joint model)."""
    import contextlib
    import io

    from subword_nmt.learn_bpe import learn_bpe

    text = io.StringIO("".join(line.rstrip("\n") + "\n" for line in tokenized_lines))
    with open(out_path, "w", encoding="utf-8") as out, contextlib.redirect_stderr(io.StringIO()):
        learn_bpe(text, out, merges, min_frequency=2)  # (quiet: its progress bar goes to stderr)
