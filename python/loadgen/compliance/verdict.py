"""A compliance verification's outcome and the text the reference tools write for it.

Below both ``verify`` (TEST01/04/05) and ``test06``, which return it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Verification:
    test: str
    kind: str  # "accuracy" or "performance"
    passed: bool
    lines: list[str] = field(default_factory=list)
    reason: str = ""
    inconclusive: bool = False  # a short run's difference within its own noise (passed is False)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "INCONCLUSIVE" if self.inconclusive else "FAIL"

    @property
    def text(self) -> str:
        tail = [f"TEST {self.verdict}"]
        if self.reason:
            word = {"PASS": "passed", "FAIL": "failed", "INCONCLUSIVE": "inconclusive"}[self.verdict]
            tail.insert(0, f"{word}: {self.reason}")
        return "\n".join([*self.lines, *tail]) + "\n"

    def write(self, folder: str | Path) -> Path:
        path = Path(folder) / f"verify_{self.kind}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.text, encoding="utf-8")
        return path
