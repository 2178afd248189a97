"""Options of the network SUT (``--sut kserve-http|kserve-grpc``), without its imports.

The client itself is in ``sut_kserve``; this module only parses and checks
flags, so that ``loadgen.harness.cli`` can offer them without importing
tritonclient. See docs/network.md.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# openai: an OpenAI-compatible streaming server, for token benchmarks (the
# benchmark's own SUT, loadgen.harness.sut_openai); its URL is http://HOST:PORT.
SUT_KINDS = ("local", "kserve-http", "kserve-grpc", "openai")
TENSOR_FORMATS = ("auto", "binary", "json")

# The flags' dests; cli.py leaves them in RunOptions.extra.
NETWORK_KEYS = (
    "sut",
    "url",
    "model_name",
    "model_version",
    "max_inflight",
    "request_timeout_s",
    "tensor_format",
    "output_name",
    "client_batching",
    "client_postprocess",
)


def add_network_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "network SUT",
        "drive a model served elsewhere over the KServe v2 / Open Inference Protocol (docs/network.md)",
    )
    g.add_argument(
        "--sut",
        choices=SUT_KINDS,
        default="local",
        help="local: this process runs --backend; kserve-http/kserve-grpc: send each sample to --url; "
        "openai: stream from an OpenAI-compatible server at --url (token benchmarks)",
    )
    g.add_argument("--url", help="HOST:PORT of the server (HTTP or gRPC port, as --sut says)")
    g.add_argument("--model-name", help="the model's name on the server")
    g.add_argument("--model-version", default="", help="the model version (default: the server's choice)")
    g.add_argument(
        "--max-inflight", type=int, default=32, help="most requests in flight at once (the rest wait, queued)"
    )
    g.add_argument(
        "--request-timeout",
        type=float,
        dest="request_timeout_s",
        default=None,
        metavar="SECONDS",
        help="a request not answered within this fails its samples (default 10 s; --sut openai: 120 s)",
    )
    g.add_argument(
        "--tensor-format",
        choices=TENSOR_FORMATS,
        default="auto",
        help="HTTP tensors: binary extension or JSON (auto: binary if the server lists binary_tensor_data)",
    )
    g.add_argument(
        "--output-name", help="the output tensor that carries the response (default: the only one)"
    )
    g.add_argument(
        "--client-batching",
        type=int,
        default=0,
        metavar="N",
        help="NOT CONFORMING to the Network division: send up to N queued samples per request",
    )
    g.add_argument(
        "--client-postprocess",
        action="store_true",
        help="NOT CONFORMING to the Network division: run the benchmark's post-processing on the client "
        "(for servers that return the raw model outputs)",
    )


@dataclass
class NetworkOptions:
    """Where and how the network SUT sends requests. ``protocol`` is "http" or "grpc"."""

    protocol: str
    url: str
    model_name: str
    model_version: str = ""
    max_inflight: int = 32
    request_timeout_s: float = 10.0
    tensor_format: str = "auto"
    output_name: str | None = None
    client_batching: int = 0
    client_postprocess: bool = False

    def __post_init__(self) -> None:
        if self.protocol not in ("http", "grpc"):
            raise ValueError(f"protocol = {self.protocol!r}: must be 'http' or 'grpc'")
        if "://" in self.url:
            raise ValueError(f"--url {self.url!r}: give HOST:PORT, without a scheme")
        host, sep, port = self.url.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"--url {self.url!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
        if not self.model_name:
            raise ValueError("--model-name is required with --sut kserve-http/kserve-grpc")
        if self.max_inflight < 1:
            raise ValueError(f"--max-inflight {self.max_inflight}: must be >= 1")
        if not self.request_timeout_s > 0:
            raise ValueError(f"--request-timeout {self.request_timeout_s}: must be > 0")
        if self.tensor_format not in TENSOR_FORMATS:
            raise ValueError(f"--tensor-format {self.tensor_format!r}: must be one of {TENSOR_FORMATS}")
        if self.client_batching < 0:
            raise ValueError(f"--client-batching {self.client_batching}: must be >= 0 (0: off)")

    @property
    def host(self) -> str:
        return self.url.rpartition(":")[0].strip("[]")

    @property
    def kind(self) -> str:
        """The --sut value: kserve-http or kserve-grpc."""
        return f"kserve-{self.protocol}"

    @property
    def conforming(self) -> bool:
        """Whether the client side keeps to the Network division's QDL rules."""
        return self.client_batching <= 1 and not self.client_postprocess


def network_options(extra: Mapping[str, Any]) -> NetworkOptions | None:
    """The network options in a RunOptions.extra, or None for ``--sut local``."""
    kind = extra.get("sut") or "local"
    if kind == "local":
        given = [k for k in ("url", "model_name") if extra.get(k)]
        if given:
            raise ValueError(f"--{given[0].replace('_', '-')} needs --sut kserve-http or kserve-grpc")
        return None
    if kind not in SUT_KINDS:
        raise ValueError(f"--sut {kind!r}: must be one of {', '.join(SUT_KINDS)}")
    if kind == "openai":  # the benchmark's own SUT (make_sut) reads its options
        if not extra.get("url") or not extra.get("model_name"):
            raise ValueError("--sut openai needs --url http://HOST:PORT and --model-name NAME")
        return None
    if not extra.get("url"):
        raise ValueError(f"--sut {kind} needs --url HOST:PORT")
    fields = {k: extra[k] for k in NETWORK_KEYS[3:] if extra.get(k) is not None}
    return NetworkOptions(
        protocol=kind.split("-", 1)[1], url=extra["url"], model_name=extra.get("model_name") or "", **fields
    )


def is_loopback(host: str) -> bool:
    """True when ``host`` names this machine's loopback interface (or cannot be resolved as another)."""
    try:
        addrs = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)
