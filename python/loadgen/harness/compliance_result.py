"""One ``--compliance`` test's outcome: its verifications and the runs behind them.

Below both ``compliance`` (TEST01/04/05) and ``compliance_test06``, which return it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..compliance.verdict import Verification
from .report import RunReport


@dataclass
class ComplianceResult:
    test: str
    folder: str
    verifications: list[Verification] = field(default_factory=list)
    runs: dict[str, RunReport] = field(default_factory=dict)

    rules_version: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.verifications) and all(v.passed for v in self.verifications)

    @property
    def inconclusive(self) -> bool:
        """No verification failed, and one could not decide (a short run within its noise)."""
        vs = self.verifications
        return bool(vs) and not self.passed and all(v.passed or v.inconclusive for v in vs)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "INCONCLUSIVE" if self.inconclusive else "FAIL"

    def format(self) -> str:
        rnd = f", rules {self.rules_version}" if self.rules_version else ""
        rows = [f"{self.test}: {self.verdict}  ({self.folder}{rnd})"]
        for v in self.verifications:
            rows.append(f"  {v.kind:12} {v.verdict}: {v.reason}")
        for name, r in self.runs.items():
            p = r.performance
            verdict = "" if p is None else ("VALID" if p.valid else "INVALID")
            rows.append(f"  run {name:11} {verdict} {r.output_dir}")
        return "\n".join(rows) + "\n"
