"""What ``submission check`` found: the problems (``path: what is wrong``),
the notes of what ``relax_duration`` let pass, and one row per system /
benchmark / scenario, formatted as the report the command prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Row:
    system: str
    benchmark: str
    scenario: str
    rules: str = "–"
    metric: str = "–"
    value: str = "–"
    performance: str = "missing"
    accuracy: str = "missing"
    compliance: str = "–"


@dataclass
class CheckResult:
    root: Path
    problems: list[tuple[str, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what relax_duration let pass

    @property
    def passed(self) -> bool:
        return not self.problems

    def _shown(self, path: Path | str) -> str:
        p = Path(path)
        try:
            return str(p.relative_to(self.root))
        except ValueError:
            return str(p)

    def add(self, path: Path | str, message: str) -> None:
        self.problems.append((self._shown(path), message))

    def note(self, path: Path | str, message: str) -> None:
        self.notes.append(f"{self._shown(path)}: {message}")

    def format(self) -> str:
        lines = [f"{path}: {msg}" for path, msg in self.problems]
        header = (
            "system",
            "benchmark",
            "rules",
            "scenario",
            "metric",
            "value",
            "performance",
            "accuracy",
            "compliance",
        )
        table = [header] + [
            (
                r.system,
                r.benchmark,
                r.rules,
                r.scenario,
                r.metric,
                r.value,
                r.performance,
                r.accuracy,
                r.compliance,
            )
            for r in self.rows
        ]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        if self.rows:
            lines.append("")
            for row in table:
                lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if self.notes:
            lines.append("")
            lines += [f"note: {n}" for n in self.notes]
        lines.append("")
        verdict = "PASSED" if self.passed else f"FAILED: {len(self.problems)} problem(s)"
        lines.append(f"submission check {verdict}")
        return "\n".join(lines) + "\n"
