"""What the KServe v2 SUT (``sut_kserve``) asks of a server, the same over
HTTP/REST and gRPC: liveness, server and model metadata, readiness, one
inference; the protocols' own parts are in ``kserve_http`` and
``kserve_grpc``. Also how a failed call is named (``error_kind``), for both.

``tritonclient`` is imported when a transport is made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from .network import NetworkOptions


def import_client(protocol: str) -> Any:
    """``tritonclient``'s asyncio client module for ``http`` or ``grpc``."""
    try:
        if protocol == "http":
            import tritonclient.http.aio as client
        else:
            import tritonclient.grpc.aio as client
    except ImportError as e:
        raise ImportError(
            f"--sut kserve-{protocol} needs tritonclient ({e}); install it: pip install 'loadgen[network]'"
        ) from e
    return client


class Transport:
    """The few protocol calls the SUT makes; a subclass fills in its protocol's
    client, metadata shapes and tensor encoding."""

    def __init__(self, opts: NetworkOptions) -> None:
        self.opts = opts
        self.client_mod = import_client(opts.protocol)
        self.binary = True  # HTTP: decided after reading the server's extensions
        self.client = self._make_client()

    def _make_client(self) -> Any:
        raise NotImplementedError

    async def live(self) -> bool:
        return bool(await self.client.is_server_live())

    async def server_metadata(self) -> dict[str, Any]:
        raise NotImplementedError

    async def model_ready(self) -> bool:
        return bool(await self.client.is_model_ready(self.opts.model_name, self.opts.model_version))

    async def model_names(self) -> list[str]:
        """The models in the server's repository (best effort: empty if it will not say)."""
        try:
            return await self._model_names()
        except Exception:  # noqa: BLE001 - only for the error message
            return []

    async def _model_names(self) -> list[str]:
        raise NotImplementedError

    async def model_metadata(self) -> dict[str, Any]:
        raise NotImplementedError

    # One inference: how an input is filled, which outputs are asked for, the
    # request's extra arguments and how an output is read back.
    def _set_input(self, x: Any, arr: np.ndarray) -> None:
        raise NotImplementedError

    def _requested_output(self, name: str) -> Any:
        raise NotImplementedError

    def _infer_kwargs(self) -> dict[str, Any]:
        return {}

    def _output(self, result: Any, name: str) -> np.ndarray | None:
        raise NotImplementedError

    async def infer(
        self, inputs: Sequence[tuple[str, np.ndarray]], outputs: Sequence[str]
    ) -> list[np.ndarray]:
        from tritonclient.utils import np_to_triton_dtype

        m = self.client_mod
        reqs = []
        for name, arr in inputs:
            x = m.InferInput(name, list(arr.shape), np_to_triton_dtype(arr.dtype))
            self._set_input(x, arr)
            reqs.append(x)
        wanted = [self._requested_output(n) for n in outputs]
        result = await self.client.infer(
            self.opts.model_name,
            reqs,
            model_version=self.opts.model_version,
            outputs=wanted,
            **self._infer_kwargs(),
        )
        arrays = []
        for n in outputs:
            a = self._output(result, n)
            if a is None:
                raise ValueError(f"the server's response has no output {n!r}")
            arrays.append(a)
        return arrays

    async def close(self) -> None:
        await self.client.close()


def error_kind(e: BaseException, timeout_s: float) -> tuple[str, bool]:
    """A short name for a failure, and whether it may mean the server is gone."""
    if isinstance(e, asyncio.TimeoutError):
        return f"timeout after {timeout_s:g} s", False
    status = None
    if type(e).__name__ == "InferenceServerException":
        status = e.status()  # type: ignore[attr-defined]
    if status:
        s = str(status)
        if s.isdigit():
            return f"HTTP {s}", False
        code = s.replace("StatusCode.", "")
        return f"gRPC {code}", code == "UNAVAILABLE"
    if isinstance(e, OSError) or "Connect" in type(e).__name__ or "Disconnected" in type(e).__name__:
        return f"connection error ({type(e).__name__})", True
    return type(e).__name__, False


def first_line(e: BaseException) -> str:
    """An error's first line (at most 200 characters), or its type's name."""
    text = str(e).strip().splitlines()
    return (text[0] if text else type(e).__name__)[:200]
