"""Token-latency settings as mlperf.conf gives them to LLM benchmarks."""

from __future__ import annotations

import pytest

lg = pytest.importorskip("loadgen")


class TokenSUT(lg.SystemUnderTest):
    def issue_queries(self, samples: list) -> None:
        lg.FirstTokenComplete([lg.QuerySampleResponse(s.id, 0, 0) for s in samples])
        lg.QuerySamplesComplete([lg.QuerySampleResponse(s.id, 0, 0, 4) for s in samples])


class QSL(lg.QuerySampleLibrary):
    total_sample_count = performance_sample_count = 16


def test_server_target_latency_0_is_accepted_with_token_latencies(tmp_path) -> None:
    """mlperf.conf sets llama3_1-8b.Server.target_latency = 0: TTFT and TPOT bind instead."""
    s = lg.TestSettings()
    s.FromConfig("/dev/null", "llama3_1-8b", "Server")
    assert s.server_target_latency_ns == 0 and s.use_token_latencies
    s.scenario = lg.TestScenario.Server
    s.server_target_qps = 200
    s.min_duration_ms = 200
    s.min_query_count = 20
    ls = lg.LogSettings()
    ls.log_output.outdir = str(tmp_path)
    result = lg.run_test(TokenSUT(), QSL(), s, ls)
    assert result.performance[-1].samples_completed >= 20


def test_server_target_latency_0_is_rejected_without_token_latencies() -> None:
    s = lg.TestSettings()
    s.scenario = lg.TestScenario.Server
    s.server_target_latency_ns = 0
    with pytest.raises(ValueError, match="server_target_latency_ns"):
        lg.run_test(TokenSUT(), QSL(), s)
