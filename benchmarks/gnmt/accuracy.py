"""BLEU of a GNMT accuracy log, like the reference's process_accuracy.py.

Standalone::

    python accuracy.py --reference nmt/data/newstest2014.tok.bpe.32000.de \\
        --accuracy_log mlperf_log_accuracy.json

prints ``BLEU: X`` (one decimal; the line submission tools parse), then
whether the quality target is met: 99 % of the FP32 reference, 23.9 on
newstest2014. A reference file with a ``dataset.json`` beside it naming its
own ``reference_bleu`` (the embedded synthetic set: 100, its references being
the FP32 model's own translations) uses that instead.

The score is the reference's tokenised corpus BLEU-4 (TF NMT ``bleu.py``),
not sacreBLEU's detokenised one:

* reference line ``i``: stripped, ``"@@ "`` removed, split on single spaces;
* response of ``qsl_idx`` ``i``: the UTF-8 translation split on single
  spaces; the first record of a repeated ``qsl_idx`` counts, an empty one is
  skipped (as the reference skips it);
* for n = 1..4: matches = n-grams of the translation clipped by their count
  in the reference, summed over sentences; possible = sum of
  ``max(0, len - n + 1)``; precision = matches / possible (0 if no possible
  n-grams), no smoothing;
* BLEU = geometric mean of the four precisions (0 if one is 0) x the brevity
  penalty ``exp(1 - r / c)`` when the translation length ``c`` is not above
  the reference length ``r`` (1 otherwise).

The harness calls ``score_for_harness`` after an accuracy run.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadgen.harness.accuracy import AccuracyResult, first_response_per_sample, read_accuracy_log
from loadgen.harness.embedded import reference_from

NEWSTEST_REFERENCE_BLEU = 23.9
TARGET_FRACTION = 0.99
MAX_ORDER = 4


def clean_reference(line: str) -> str:
    return line.strip().replace("@@ ", "")


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(
    references: Sequence[Sequence[str]], translations: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Tokenised corpus BLEU-4 (one reference per sentence), as a fraction 0..1, with its parts."""
    if len(references) != len(translations):
        raise ValueError(f"{len(references)} references for {len(translations)} translations")
    matches = [0] * MAX_ORDER
    possible = [0] * MAX_ORDER
    ref_len = trans_len = 0
    for ref, trans in zip(references, translations):
        ref_len += len(ref)
        trans_len += len(trans)
        for n in range(1, MAX_ORDER + 1):
            ref_counts = _ngrams(ref, n)
            trans_counts = _ngrams(trans, n)
            matches[n - 1] += sum(min(c, ref_counts[g]) for g, c in trans_counts.items())
            possible[n - 1] += max(0, len(trans) - n + 1)
    precisions = [m / p if p > 0 else 0.0 for m, p in zip(matches, possible)]
    if min(precisions) > 0:
        geo_mean = math.exp(sum(math.log(p) for p in precisions) / MAX_ORDER)
    else:
        geo_mean = 0.0
    if trans_len == 0:
        bp = 0.0
    else:
        ratio = trans_len / ref_len if ref_len else float("inf")
        bp = 1.0 if ratio > 1.0 else math.exp(1 - 1.0 / ratio)
    return {
        "bleu": geo_mean * bp,
        "brevity_penalty": bp,
        "ratio": trans_len / ref_len if ref_len else 0.0,
        "translation_length": trans_len,
        "reference_length": ref_len,
        **{f"precision_{n}": precisions[n - 1] for n in range(1, MAX_ORDER + 1)},
    }


def reference_bleu_for(reference_file: str | Path) -> float:
    return reference_from(Path(reference_file).parent, "reference_bleu", NEWSTEST_REFERENCE_BLEU)


def read_references(path: str | Path) -> list[list[str]]:
    with open(path, encoding="utf-8") as f:
        return [clean_reference(line).split(" ") for line in f]


def evaluate(
    responses: Mapping[int, bytes], references: Sequence[Sequence[str]], reference_bleu: float | None
) -> AccuracyResult:
    refs, hyps = [], []
    for idx in sorted(responses):
        data = responses[idx]
        if not data:
            continue  # the reference skips records without data
        if idx >= len(references):
            raise ValueError(f"qsl_idx {idx} is beyond the {len(references)} lines of the reference file")
        refs.append(references[idx])
        hyps.append(data.decode("utf-8").split(" "))
    parts = corpus_bleu(refs, hyps) if refs else {"bleu": 0.0}
    bleu = parts["bleu"] * 100
    return AccuracyResult(
        metric="BLEU",
        value=bleu,
        line=f"BLEU: {bleu:.1f}",
        reference=reference_bleu,
        target=None if reference_bleu is None else reference_bleu * TARGET_FRACTION,
        target_fraction=TARGET_FRACTION,
        details={**parts, "sentences": len(refs), "logged": len(responses)},
    )


def score_for_harness(accuracy_log: str, dataset, opts) -> AccuracyResult:
    """The harness's hook: references from the data set folder (or ``--reference``)."""
    ref_file = opts.extra.get("reference") or Path(dataset.data_path) / "newstest2014.tok.bpe.32000.de"
    responses = first_response_per_sample(read_accuracy_log(accuracy_log))
    references = read_references(ref_file)
    n = len(references)
    if dataset.total_count > n:
        # The performance set (the sentences repeated, as the reference's .large file): sample i is
        # sentence i mod n. A performance run's sampled responses (TEST01) are scored that way,
        # keeping the first response of each sentence.
        responses = {i % n: d for i, d in sorted(responses.items(), reverse=True)}
    return evaluate(responses, references, reference_bleu_for(ref_file))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="BLEU of a GNMT MLPerf accuracy log (tokenised corpus BLEU-4)")
    p.add_argument("--reference", required=True, help="newstest2014.tok.bpe.32000.de")
    p.add_argument(
        "--accuracy_log", "--accuracy-log", dest="accuracy_log", default="mlperf_log_accuracy.json"
    )
    p.add_argument(
        "--reference-bleu",
        type=float,
        help=f"FP32 reference BLEU (default: dataset.json beside the reference, else {NEWSTEST_REFERENCE_BLEU})",
    )
    args = p.parse_args(argv)
    for f in (args.reference, args.accuracy_log):
        if not Path(f).is_file():
            print(f"error: {f} does not exist", file=sys.stderr)
            return 2
    responses = first_response_per_sample(read_accuracy_log(args.accuracy_log))
    ref_bleu = args.reference_bleu if args.reference_bleu is not None else reference_bleu_for(args.reference)
    result = evaluate(responses, read_references(args.reference), ref_bleu)
    print(result.line)
    print(result.target_line())
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
