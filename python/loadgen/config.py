"""Pythonic access to LoadGen's configuration files.

``TestSettings.FromConfig`` keeps the reference's semantics (return codes,
deferred errors). This module adds what a Python user expects::

    from loadgen.config import load_settings
    settings = load_settings("resnet50", "Server", user_conf="user.conf")

* a missing file raises ``FileNotFoundError``;
* a malformed line raises ``ConfigError`` (a ``ValueError``) with file:line;
* an unknown key (a typo such as ``target_qsp``) or a key only mlperf.conf
  may set gives a ``ConfigWarning`` with file:line and a suggestion;
* ``explain()`` tells, for every field, its value and the line that set it.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from . import _core

SCENARIOS = ("SingleStream", "MultiStream", "Server", "Offline")


class ConfigError(ValueError):
    """A configuration file could not be applied."""


class ConfigWarning(UserWarning):
    """A configuration line was ignored or had no effect."""


def _scenario(name: str) -> Any:
    if name not in SCENARIOS:
        raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, not {name!r}")
    return getattr(_core.TestScenario, name)


def _check_file(path: str | os.PathLike[str] | None, what: str) -> str:
    if path is None:
        return ""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(f"{what} not found: {p}")
    if os.path.isdir(p):
        raise IsADirectoryError(f"{what} is a directory, not a file: {p}")
    return p


def _report(diagnostics: Any, strict: bool) -> None:
    errors = []
    for d in diagnostics:
        where = f"{d.file}:{d.line}" if d.line else d.file
        text = f"{where}: {d.key + ': ' if d.key else ''}{d.message}"
        if d.is_error or strict:
            errors.append(text)
        else:
            warnings.warn(text, ConfigWarning, stacklevel=3)
    if errors:
        raise ConfigError("; ".join(errors))


def load_settings(
    model: str,
    scenario: str,
    user_conf: str | os.PathLike[str] | None = None,
    audit_config: str | os.PathLike[str] | None = None,
    *,
    strict: bool = False,
) -> Any:
    """TestSettings for `model` and `scenario`: the built-in mlperf.conf, then
    `user_conf` (if given), then `audit_config` (if given), with
    ``settings.scenario`` set. `strict` turns warnings into ConfigError."""
    scen = _scenario(scenario)
    user = _check_file(user_conf, "user.conf")
    audit = _check_file(audit_config, "audit.config")
    ex = _core.explain_config(user, model, scenario, audit)
    settings = ex["settings"]
    _report(settings.config_diagnostics, strict)
    if ex["user_conf_rc"] != 0 or ex["audit_config_rc"] != 0:
        raise ConfigError(
            f"configuration not applied (user.conf rc={ex['user_conf_rc']}, "
            f"audit.config rc={ex['audit_config_rc']})"
        )
    settings.scenario = scen
    return settings


def explain(
    model: str,
    scenario: str,
    user_conf: str | os.PathLike[str] | None = None,
    audit_config: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """One dict per TestSettings field: field, value, where (file:line or
    "default"), key and written_value."""
    _scenario(scenario)
    ex = _core.explain_config(
        _check_file(user_conf, "user.conf"), model, scenario, _check_file(audit_config, "audit.config")
    )
    fields = list(ex["fields"])
    for f in fields:
        # Config files never set the scenario; the harness does, from its argument.
        if f["field"] == "scenario":
            f.update(value=scenario, where="the scenario argument", file="", line=0, key="")
    return fields


def format_explanation(fields: list[dict[str, Any]]) -> str:
    """A table of explain()'s result, for the `config show` command."""
    w_field = max(len(f["field"]) for f in fields)
    w_value = max(len(f["value"]) for f in fields)
    lines = [f"{'field'.ljust(w_field)}  {'value'.ljust(w_value)}  source"]
    for f in fields:
        src = f["where"]
        if f["key"]:
            src += f"  ({f['key']} = {f['written_value']})"
        lines.append(f"{f['field'].ljust(w_field)}  {f['value'].ljust(w_value)}  {src}")
    return "\n".join(lines)


def builtin_mlperf_conf() -> str:
    """The mlperf.conf compiled into LoadGen."""
    return str(_core.builtin_mlperf_conf())
