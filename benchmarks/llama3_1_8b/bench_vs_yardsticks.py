"""Our LoadGen (through ``--sut openai``) beside aiperf and guidellm, against one llama.cpp server.

    python benchmarks/llama3_1_8b/bench_vs_yardsticks.py \\
        --aiperf /work/venvs/aiperf/bin/aiperf --guidellm /work/venvs/guidellm/bin/guidellm \\
        --rates 0.5,1,2 --seconds 30 --input-tokens 128 --output-tokens 32

One ``python -m llama_cpp.server`` (the embedded SmolLM2 GGUF, or
``--model``; ``--interrupt_requests False``) on 127.0.0.1 serves all three
tools in turn, at each request rate (Poisson arrivals), with the same prompt
length (``--input-tokens``, counted by the GGUF's tokenizer) and the same
``max_tokens`` (``--output-tokens``), streaming on ``/v1/completions``:

* ours: ``run.py --sut openai --scenario Server --qps R --count R*T`` on a
  cnn_eval.json of prompts cut to that length from the embedded set's prose;
  TTFT and TPOT percentiles from mlperf_log_summary.json;
* aiperf (``aiperf profile``, its own venv): synthetic prompts of that many
  tokens, ``--request-rate R``, R x T requests; TTFT and inter-token latency
  from its profile_export_aiperf.json. Its tokenizer is the converted
  model's folder (convert.py): HF_HUB_OFFLINE must NOT be set then;
* guidellm 0.8 (``guidellm run``, its own venv): ``--data
  kind=synthetic_text,prompt_tokens=…,output_tokens=…``, ``--profile
  kind=poisson,rate=R``, ``--constraint kind=max_duration,seconds=T``;
  llama.cpp's server has no /health, so its backend check is off
  (``validate_backend=false``). At the end of T it cancels the requests in
  flight ("incomplete"): only those that finished count.

Prints one table: per tool and rate, completed requests, mean output tokens,
TTFT p50/p90/p99 and TPOT (ours) / ITL (theirs) p50/p90/p99 in ms; then, per
tool, the highest rate whose p99 TTFT and p99 TPOT/ITL are within the bounds
(``--ttft-ms``, ``--tpot-ms``: the rules' 2000 and 100 by default). The
tools do not measure the same thing; docs/llm.md says where they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
# llama_cpp.server behind the guard against llama.cpp's AMX kernels (llamacpp_amx.py)
LLAMA_SERVER = str(HERE / "llamacpp_amx.py")

PCTS = ("p50", "p90", "p99")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_llama_server(
    model: str, port: int, threads: int, log: Path, *, interrupt: bool = False, timeout_s: float = 120
) -> subprocess.Popen:
    """``llama_cpp.server`` (behind llamacpp_amx.py's guard) on 127.0.0.1:``port``, logging to ``log``;
    returns once it answers /v1/models (at most ``timeout_s``). ``interrupt``:
    its ``--interrupt_requests`` (a new request cancels the streams in flight)."""
    import httpx

    cmd = [
        sys.executable,
        LLAMA_SERVER,
        "--model",
        model,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads),
        "--model_alias",
        "smollm2",
        "--interrupt_requests",
        str(interrupt),
    ]
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"llama_cpp.server did not start within {timeout_s:g} s")


def make_dataset(model: str, input_tokens: int, count: int, path: Path) -> None:
    """Prompts of exactly ``input_tokens`` tokens (the GGUF's tokenizer), from standard-library prose."""
    from llama3_1_8b import synthetic
    from llama3_1_8b.model import load_tokenizer

    tok = load_tokenizer(model)
    samples = []
    for article in synthetic.articles(count):
        ids = tok.tokenize_generated(article)[:input_tokens]
        if len(ids) < input_tokens:
            raise ValueError(f"an article of {len(ids)} tokens is shorter than --input-tokens {input_tokens}")
        text = tok.detokenize(ids)
        samples.append({"input": text, "tok_input": ids, "output": ""})
    path.write_text(json.dumps(samples), encoding="utf-8")


def _ms_pcts(values_ns: dict[str, Any]) -> dict[str, float]:
    return {p: values_ns[k] / 1e6 for p, k in zip(PCTS, ("50.00", "90.00", "99.00"))}


def run_ours(args: argparse.Namespace, url: str, data: Path, rate: float, out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(HERE / "run.py"),
        "--sut",
        "openai",
        "--url",
        url,
        "--model-name",
        "smollm2",
        "--model",
        args.model,
        "--dataset-path",
        str(data),
        "--scenario",
        "Server",
        "--qps",
        str(rate),
        # R x T queries, then wait for all of them, as aiperf's request count does (--time would
        # also set max_duration, which ends the run with the slowest answers outstanding).
        "--count",
        str(max(1, round(rate * args.seconds))),
        "--max-new-tokens",
        str(args.output_tokens),
        "--max-inflight",
        "64",
        # mlperf.conf's llama3_1-8b Server target_latency is 0 (only TTFT/TPOT bind); some builds of
        # our core rejected 0 as a bound, so a loose one that never decides stands in.
        "--max-latency",
        "600",
        "--output",
        str(out),
        "--no-progress",
    ]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    summary = out / "mlperf_log_summary.json"
    if not summary.is_file():
        raise RuntimeError(f"our run at {rate}/s wrote no summary: {proc.stderr[-1500:]}")
    perf = json.loads(summary.read_text())["performance"][-1]
    n = perf["samples_completed"]
    return {
        "completed": n,
        "cut": int(perf.get("samples_never_completed", 0)),
        "out_tokens": perf["token_count"] / n if n else 0.0,
        "ttft": _ms_pcts(perf["first_token_latency"]["percentiles"]),
        "tpot": _ms_pcts(perf["time_per_output_token"]["percentiles"]),
        "wall_s": wall,
        "verdict": perf["result"],
    }


def run_aiperf(args: argparse.Namespace, url: str, tokenizer: Path, rate: float, out: Path) -> dict[str, Any]:
    n = max(1, round(rate * args.seconds))
    cmd = [
        args.aiperf,
        "profile",
        "--model",
        "smollm2",
        "--url",
        url,
        "--endpoint-type",
        "completions",
        "--streaming",
        "--use-legacy-max-tokens",  # llama.cpp's server reads max_tokens, not max_completion_tokens
        "--ui-type",
        "none",
        "--tokenizer",
        str(tokenizer),
        "--synthetic-input-tokens-mean",
        str(args.input_tokens),
        "--synthetic-input-tokens-stddev",
        "0",
        "--output-tokens-mean",
        str(args.output_tokens),
        "--output-tokens-stddev",
        "0",
        "--request-rate",
        str(rate),
        "--request-count",
        str(n),
        "--random-seed",
        "1",
        "--artifact-dir",
        str(out),
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    wall = time.monotonic() - t0
    found = sorted(out.rglob("profile_export_aiperf.json"))
    if not found:
        raise RuntimeError(f"aiperf at {rate}/s wrote no profile_export_aiperf.json: {proc.stderr[-1500:]}")
    data = json.loads(found[-1].read_text())
    m = data.get("records", data)

    def pick(name: str) -> dict[str, float]:
        rec = m[name]
        scale = 1e-6 if rec.get("unit") == "ns" else 1.0
        return {p: float(rec[p]) * scale for p in PCTS}

    return {
        "completed": int(m["request_count"]["avg"]),
        "cut": sum(int(e.get("count", 0)) for e in data.get("error_summary") or []),
        "out_tokens": float(m["output_sequence_length"]["avg"]),
        "ttft": pick("time_to_first_token"),
        "tpot": pick("inter_token_latency"),
        "wall_s": wall,
        "verdict": "",
    }


def run_guidellm(
    args: argparse.Namespace, url: str, tokenizer: Path, rate: float, out: Path
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    report = out / "benchmarks.json"
    cmd = [
        args.guidellm,
        "run",
        "--backend",
        # llama.cpp's server has no /health: guidellm's backend check must be off.
        f"kind=openai_http,target={url},model=smollm2,request_format=/v1/completions,validate_backend=false",
        "--profile",
        f"kind=poisson,rate={rate}",
        "--constraint",
        f"kind=max_duration,seconds={args.seconds}",
        "--tokenizer",
        f"kind=huggingface_auto,model={tokenizer}",
        "--data",
        f"kind=synthetic_text,prompt_tokens={args.input_tokens},output_tokens={args.output_tokens}",
        "--seed",
        "kind=static,value=1",
        "--output",
        f"kind=json,path={report}",
        "--disable-console-interactive",
    ]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=out)
    wall = time.monotonic() - t0
    if not report.is_file():
        raise RuntimeError(
            f"guidellm at {rate}/s wrote no {report.name}: {(proc.stderr or proc.stdout)[-1500:]}"
        )
    bench = json.loads(report.read_text())["benchmarks"][0]
    metrics = bench["metrics"]

    def pick(name: str) -> dict[str, float]:
        dist = metrics[name]["successful"]
        pc = dist["percentiles"]
        return {"p50": float(pc["p50"]), "p90": float(pc["p90"]), "p99": float(pc["p99"])}

    totals = metrics["request_totals"]
    out_tok = metrics["output_token_count"]["successful"]
    return {
        "completed": int(totals["successful"]),
        "cut": int(totals.get("incomplete", 0)),
        "out_tokens": float(out_tok["mean"]),
        "ttft": pick("time_to_first_token_ms"),
        "tpot": pick("inter_token_latency_ms"),
        "wall_s": wall,
        "verdict": "",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="the GGUF (default: the embedded SmolLM2-135M)")
    ap.add_argument("--rates", default="0.5,1,2", help="request rates, requests/s, comma-separated")
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each run")
    ap.add_argument("--input-tokens", type=int, default=128)
    ap.add_argument("--output-tokens", type=int, default=32)
    ap.add_argument("--ttft-ms", type=float, default=2000.0, help="p99 TTFT bound (rules: 2000)")
    ap.add_argument("--tpot-ms", type=float, default=100.0, help="p99 TPOT bound (rules: 100)")
    ap.add_argument("--threads", type=int, default=2, help="llama.cpp server threads")
    ap.add_argument("--aiperf", default=shutil.which("aiperf"), help="the aiperf executable (its own venv)")
    ap.add_argument(
        "--guidellm", default=shutil.which("guidellm"), help="the guidellm executable (its own venv)"
    )
    ap.add_argument("--tools", default="loadgen,aiperf,guidellm")
    ap.add_argument("--workdir", help="keep the tools' outputs here (default: a temporary folder)")
    args = ap.parse_args(argv)

    from llama3_1_8b.convert import ensure_converted
    from llama3_1_8b.model import smollm2_gguf

    args.model = args.model or str(smollm2_gguf())
    rates = [float(r) for r in args.rates.split(",")]
    tools = args.tools.split(",")
    for t in tools:
        if t in ("aiperf", "guidellm") and not getattr(args, t):
            ap.error(f"--{t}: give the path of the {t} executable (pip install it in its own venv)")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="llm-yardsticks-"))
    work.mkdir(parents=True, exist_ok=True)
    tokenizer = ensure_converted(args.model, log=lambda s: print(s, file=sys.stderr))
    data = work / "cnn_eval.json"
    make_dataset(args.model, args.input_tokens, 24, data)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_llama_server(args.model, port, args.threads, work / "llama_server.log")
    results: dict[str, dict[float, dict[str, Any]]] = {t: {} for t in tools}
    try:
        for rate in rates:
            for tool in tools:
                out = work / f"{tool}-{rate:g}"
                print(
                    f"{tool} at {rate:g} requests/s for {args.seconds:g} s ...", file=sys.stderr, flush=True
                )
                try:
                    if tool == "loadgen":
                        results[tool][rate] = run_ours(args, url, data, rate, out)
                    elif tool == "aiperf":
                        results[tool][rate] = run_aiperf(args, url, tokenizer, rate, out)
                    else:
                        results[tool][rate] = run_guidellm(args, url, tokenizer, rate, out)
                except (RuntimeError, KeyError, ValueError) as e:
                    print(f"  {tool} at {rate:g}/s failed: {e}", file=sys.stderr)
    finally:
        server.kill()
        server.wait(10)

    print(
        f"\nllama.cpp server ({Path(args.model).name}, {args.threads} threads), /v1/completions streaming, "
        f"{args.input_tokens} prompt tokens, max_tokens {args.output_tokens}, Poisson arrivals, "
        f"{args.seconds:g} s per run; latencies in ms\n"
    )
    head = (
        f"{'tool':9} {'rate/s':>6} {'done':>5} {'lost':>4} {'out tok':>7} "
        f"{'TTFT p50':>9} {'p90':>8} {'p99':>8}   {'TPOT/ITL p50':>12} {'p90':>7} {'p99':>7}  wall s"
    )
    print(head)
    print("-" * len(head))
    for tool in tools:
        for rate in rates:
            r = results[tool].get(rate)
            if r is None:
                print(f"{tool:9} {rate:6g}  (failed)")
                continue
            t, p = r["ttft"], r["tpot"]
            print(
                f"{tool:9} {rate:6g} {r['completed']:5d} {r['cut']:4d} {r['out_tokens']:7.1f} "
                f"{t['p50']:9.1f} {t['p90']:8.1f} {t['p99']:8.1f}   {p['p50']:12.1f} {p['p90']:7.1f} "
                f"{p['p99']:7.1f}  {r['wall_s']:6.0f} {r['verdict']}"
            )
    print(f"\nhighest rate within p99 TTFT <= {args.ttft_ms:g} ms and p99 TPOT/ITL <= {args.tpot_ms:g} ms:")
    for tool in tools:
        ok = [
            rate
            for rate, r in results[tool].items()
            if r["ttft"]["p99"] <= args.ttft_ms and r["tpot"]["p99"] <= args.tpot_ms
        ]
        print(f"  {tool:9} {max(ok):g}/s" if ok else f"  {tool:9} none of {args.rates}")
    print(f"\nthe tools' outputs: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
