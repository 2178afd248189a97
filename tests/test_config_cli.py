"""`python -m loadgen config`: effective settings and where each came from."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import loadgen
import pytest
from loadgen import config


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loadgen", "config", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_config_show_names_the_builtin_line_that_set_the_server_bound():
    p = cli("show", "--model", "resnet50", "--scenario", "Server", "--json")
    assert p.returncode == 0, p.stderr
    fields = {f["field"]: f for f in json.loads(p.stdout)}
    bound = fields["server_target_latency_ns"]
    assert bound["value"] == "15000000"
    assert bound["where"].startswith("mlperf.conf (built-in):")
    assert bound["key"] == "resnet50.Server.target_latency"
    assert fields["scenario"]["value"] == "Server"


def test_config_show_reports_a_user_conf_line_and_warns_on_a_typo(tmp_path):
    conf = tmp_path / "user.conf"
    conf.write_text("*.Server.target_qps = 17\n*.Server.target_qsp = 5\n")
    p = cli("show", "--model", "resnet50", "--scenario", "Server", "--user-conf", str(conf))
    assert p.returncode == 0, p.stderr
    line = next(x for x in p.stdout.splitlines() if x.startswith("server_target_qps "))
    assert "17" in line and f"{conf}:1" in line
    assert "target_qsp" in p.stderr and "did you mean target_qps" in p.stderr
    assert ":2:" in p.stderr


def test_config_show_on_a_missing_file_is_a_one_line_error():
    p = cli("show", "--model", "resnet50", "--scenario", "Server", "--user-conf", "/no/such/user.conf")
    assert p.returncode == 1
    assert p.stderr.strip().count("\n") == 0
    assert "/no/such/user.conf" in p.stderr


def test_config_show_rejects_an_unknown_scenario():
    p = cli("show", "--model", "resnet50", "--scenario", "Streaming")
    assert p.returncode == 2
    assert "Streaming" in p.stderr


def test_config_mlperf_conf_prints_the_builtin_file():
    p = cli("mlperf-conf")
    assert p.returncode == 0
    assert "resnet50.Server.target_latency" in p.stdout


def test_load_settings_raises_file_not_found_for_a_missing_user_conf(tmp_path):
    with pytest.raises(FileNotFoundError):
        config.load_settings("resnet50", "Offline", tmp_path / "missing.conf")


def test_load_settings_raises_config_error_on_a_malformed_line(tmp_path):
    conf = tmp_path / "user.conf"
    conf.write_text("*.Offline.target_qps = fast\n")
    with pytest.raises(config.ConfigError, match=r"user.conf:1"):
        config.load_settings("resnet50", "Offline", conf)


def test_load_settings_warns_with_file_and_line_on_an_unknown_key(tmp_path):
    conf = tmp_path / "user.conf"
    conf.write_text("# tuning\n*.Offline.target_qsp = 100\n*.Offline.target_qps = 123\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = config.load_settings("resnet50", "Offline", conf)
    assert s.offline_expected_qps == 123
    assert s.scenario == loadgen.TestScenario.Offline
    messages = [str(w.message) for w in caught if issubclass(w.category, config.ConfigWarning)]
    assert any("user.conf:2" in m and "target_qsp" in m for m in messages)


def test_load_settings_strict_turns_warnings_into_errors(tmp_path):
    conf = tmp_path / "user.conf"
    conf.write_text("*.Offline.target_qsp = 100\n")
    with pytest.raises(config.ConfigError, match="target_qsp"):
        config.load_settings("resnet50", "Offline", conf, strict=True)


def test_load_settings_applies_the_official_seeds_of_the_builtin_conf():
    s = config.load_settings("resnet50", "Offline")
    ref = pytest.importorskip("mlperf_loadgen")
    r = ref.TestSettings()
    r.FromConfig("", "resnet50", "Offline", 0)
    assert (s.qsl_rng_seed, s.sample_index_rng_seed, s.schedule_rng_seed) == (
        r.qsl_rng_seed,
        r.sample_index_rng_seed,
        r.schedule_rng_seed,
    )
