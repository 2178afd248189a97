"""The uncased BERT WordPiece tokenizer, on the ``tokenizers`` library.

The reference (``tokenization.py`` of Google's BERT, which MLPerf's
``create_squad_data.py`` uses) runs a *basic* tokenizer, then greedy
longest-match WordPiece:

1. clean the text: drop NUL, U+FFFD and control characters (categories C*,
   except tab, CR, LF); map whitespace (space, tab, CR, LF, category Zs) to a
   space;
2. put spaces around CJK ideographs;
3. split on whitespace; per word: ``str.lower()``, then NFD and drop
   non-spacing marks (accents), then split off every punctuation character
   (ASCII punctuation and categories P*);
4. WordPiece on each piece: longest vocabulary match, ``##`` continuations,
   the whole piece becomes ``[UNK]`` if it cannot be covered or is longer
   than 100 characters.

``tokenizers``' ``BertNormalizer`` + ``BertPreTokenizer`` + ``WordPiece``
model do all of that, with these differences, each handled here (and tested
in tests/test_bert.py):

* **Lower-casing.** ``tokenizers`` lower-cases one character at a time, so a
  word-final capital sigma becomes ``σ``; Python's ``str.lower()`` (the
  reference's) applies Unicode's final-sigma rule and gives ``ς``, which is a
  different vocabulary entry. Rule: we clean the text with ``tokenizers``
  first, then lower-case it with ``str.lower()``, then let ``tokenizers``
  strip accents, split and run WordPiece (its own lower-casing is off).
* **Special tokens in the text.** The reference knows no special tokens while
  tokenizing: a literal ``[SEP]`` in a question is split into ``[``, ``sep``,
  ``]``. We register none with the ``tokenizers`` pipeline, so it does the
  same (``transformers``' ``BertTokenizer`` keeps ``[SEP]`` whole instead).
* **Order of lower-casing and accent stripping.** The reference lower-cases
  first, ``tokenizers`` strips first; with lower-casing done by the rule
  above, before both, the order is the reference's.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordPiece

UNK = "[UNK]"
CLS = "[CLS]"
SEP = "[SEP]"
PAD = "[PAD]"
MAX_INPUT_CHARS_PER_WORD = 100


def read_vocab(path: str | Path) -> dict[str, int]:
    """``vocab.txt``: one token a line, the id is the line number (from 0)."""
    vocab: dict[str, int] = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            token = line.rstrip("\n").rstrip("\r")
            if token in vocab:
                raise ValueError(
                    f"{path}:{i + 1}: token {token!r} appears twice (first on line {vocab[token] + 1})"
                )
            vocab[token] = i
    for needed in (UNK, CLS, SEP):
        if needed not in vocab:
            raise ValueError(f"{path}: the vocabulary has no {needed} entry (is it a BERT vocab.txt?)")
    return vocab


class FullTokenizer:
    """Uncased BERT tokenization with the reference's rules (see the module doc).

    ``tokenize(text)`` gives WordPiece tokens; ``tokenize_words(words)`` does
    the same for many words at once and tells which word each token came
    from; ``basic_tokenize(text)`` stops before WordPiece (the reference's
    ``BasicTokenizer``, used to align answers with the original text).
    """

    def __init__(self, vocab: str | Path | dict[str, int]) -> None:
        self.vocab = read_vocab(vocab) if not isinstance(vocab, dict) else dict(vocab)
        self.inv_vocab = {i: t for t, i in self.vocab.items()}
        self.unk_id = self.vocab[UNK]
        # Step 1 and 2: cleaning and CJK spacing, nothing else.
        self._clean = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
        )
        # Step 3 (after str.lower()) and 4.
        tok = Tokenizer(
            WordPiece(self.vocab, unk_token=UNK, max_input_chars_per_word=MAX_INPUT_CHARS_PER_WORD)
        )
        # NFD and dropping non-spacing marks (Mn) only, as the reference
        # (``normalizers.StripAccents`` would drop every mark: Mc and Me too).
        self._strip = normalizers.BertNormalizer(
            clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False
        )
        tok.normalizer = self._strip
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        self._tok = tok
        self._split = pre_tokenizers.BertPreTokenizer()

    def _prepare(self, text: str) -> str:
        """Cleaned and lower-cased as the reference does (final sigma included)."""
        return self._clean.normalize_str(text).lower()

    def tokenize(self, text: str) -> list[str]:
        return self._tok.encode(self._prepare(text), add_special_tokens=False).tokens

    def tokenize_words(self, words: Sequence[str]) -> tuple[list[str], list[int]]:
        """Tokens of each word in turn, and for each token the index of its word.

        The same as calling ``tokenize`` on each word (a word that cleans to
        nothing gives no token), in one call into ``tokenizers``.
        """
        if not words:
            return [], []
        prepared = [self._prepare(w) for w in words]
        enc = self._tok.encode(prepared, is_pretokenized=True, add_special_tokens=False)
        word_ids = enc.word_ids
        return list(enc.tokens), [int(w) for w in word_ids]  # type: ignore[arg-type]

    def convert_tokens_to_ids(self, tokens: Sequence[str]) -> list[int]:
        vocab, unk = self.vocab, self.unk_id
        return [vocab.get(t, unk) for t in tokens]

    def basic_tokenize(self, text: str) -> list[str]:
        """The reference's basic tokenizer: cleaned, lower-cased, accents stripped,
        split on whitespace and punctuation; no WordPiece."""
        stripped = self._strip.normalize_str(self._prepare(text))
        return [piece for piece, _ in self._split.pre_tokenize_str(stripped)]
