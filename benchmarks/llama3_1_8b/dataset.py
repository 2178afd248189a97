"""The MLPerf CNN-DailyMail evaluation set for Llama3.1-8B, in its real format.

The file (``cnn_eval.json`` in the reference) is a JSON array with one object
per sample: ``input`` (the prompt text, the article inside the model's chat
template), ``tok_input`` (that prompt's token ids, the model's input) and
``output`` (the reference summary, what ROUGE compares with). The official
set has 13,368 samples. ``--dataset-path`` takes the file, or a folder
holding ``cnn_eval.json``.

A sample is the prompt's token ids: LoadGen's QSL index ``i`` is the file's
``i``-th object. The token ids are small, so ``load`` keeps nothing extra.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loadgen.harness import Dataset

FILE_NAME = "cnn_eval.json"


def resolve(path: str | Path) -> Path:
    p = Path(path)
    if p.is_dir():
        p = p / FILE_NAME
    if not p.is_file():
        raise FileNotFoundError(
            f"{p}: no CNN-DailyMail evaluation file (expected a JSON file or a folder with {FILE_NAME})"
        )
    return p


def read_samples(path: str | Path) -> list[dict[str, Any]]:
    """The file's objects, checked: each needs ``tok_input`` (a non-empty list
    of ints) and ``output`` (a string)."""
    p = resolve(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{p}:{e.lineno}: not valid JSON ({e.msg})") from e
    if not isinstance(data, list):
        raise ValueError(f"{p}: expected a JSON array of samples, got {type(data).__name__}")  # noqa: TRY004 - a bad file
    for i, s in enumerate(data):
        if not isinstance(s, dict):
            raise ValueError(f"{p}: sample {i} is not an object")  # noqa: TRY004 - a bad file
        tok = s.get("tok_input")
        if not isinstance(tok, list) or not tok or not all(isinstance(t, int) for t in tok):
            raise ValueError(f"{p}: sample {i}: 'tok_input' must be a non-empty list of token ids")
        if not isinstance(s.get("output"), str):
            raise ValueError(f"{p}: sample {i}: 'output' (the reference summary) must be a string")  # noqa: TRY004 - a bad file
    return data


class CnnDailyMail(Dataset):
    """Prompts (token ids) and reference summaries; ``count`` keeps the first samples."""

    name = "cnn_dailymail"

    def __init__(self, path: str | Path, count: int | None = None) -> None:
        self.path = resolve(path)
        samples = read_samples(self.path)
        if count is not None:
            samples = samples[:count]
        if not samples:
            raise ValueError(f"{self.path}: no samples")
        self.prompts: list[list[int]] = [list(s["tok_input"]) for s in samples]
        self.inputs: list[str] = [str(s.get("input", "")) for s in samples]
        self.targets: list[str] = [s["output"] for s in samples]

    @property
    def total_count(self) -> int:
        return len(self.prompts)

    def load(self, indices: Sequence[int]) -> None:
        pass

    def unload(self, indices: Sequence[int]) -> None:
        pass

    def get_batch(self, indices: Sequence[int]) -> Any:
        """The prompts' token ids, one list per sample (they differ in length)."""
        return [self.prompts[i] for i in indices]

    def label(self, index: int) -> str:
        return self.targets[index]
