"""What the LLM benchmark's test modules (test_llama3_1_8b.py,
test_llm_servers.py) share: a short, quiet run of benchmarks/llama3_1_8b
through the harness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# The references are the same greedy answers: the outputs match them exactly.
ROUGE_100 = {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}


def llm_run(tmp: Path, scenario: str, max_new_tokens: int, extra: dict[str, Any], **options: Any):
    """The LLM benchmark's run of ``scenario`` writing to ``tmp``, with no
    progress bar or HTML report, ``max_new_tokens`` new tokens a sample and
    ROUGE_100 for the reference; ``extra`` adds to its RunOptions.extra and
    ``options`` are the other RunOptions fields. Returns the harness's report."""
    from llama3_1_8b.run import SPEC
    from loadgen.harness import RunOptions, run_benchmark

    opts = RunOptions(
        scenario=scenario,
        output=str(tmp),
        progress=False,
        html_report=False,
        extra={"max_new_tokens": max_new_tokens, "rouge_reference": ROUGE_100, **extra},
        **options,
    )
    return run_benchmark(SPEC, opts, log=lambda s: None)
