"""The KServe v2 transport over HTTP/REST (``tritonclient.http.aio``): binary
tensor data where the server has the extension (``Transport.binary``), JSON
tensors otherwise."""

from __future__ import annotations

from typing import Any

import numpy as np

from .kserve_transport import Transport


class HttpTransport(Transport):
    def _make_client(self) -> Any:
        o = self.opts
        # conn_timeout bounds each whole request in aiohttp; the SUT's own
        # wait_for is the one that counts, so this is only a backstop.
        return self.client_mod.InferenceServerClient(
            o.url, conn_limit=o.max_inflight, conn_timeout=o.request_timeout_s + 5.0
        )

    async def server_metadata(self) -> dict[str, Any]:
        return dict(await self.client.get_server_metadata())

    async def _model_names(self) -> list[str]:
        index = await self.client.get_model_repository_index()
        return sorted({str(m.get("name")) for m in index})

    async def model_metadata(self) -> dict[str, Any]:
        o = self.opts
        return dict(await self.client.get_model_metadata(o.model_name, o.model_version))

    def _set_input(self, x: Any, arr: np.ndarray) -> None:
        x.set_data_from_numpy(arr, binary_data=self.binary)

    def _requested_output(self, name: str) -> Any:
        return self.client_mod.InferRequestedOutput(name, binary_data=self.binary)

    def _infer_kwargs(self) -> dict[str, Any]:
        if self.binary:
            return {}
        # Without it FastAPI-based servers (MLServer) read the body as one JSON string.
        return {"headers": {"Content-Type": "application/json"}}

    def _output(self, result: Any, name: str) -> np.ndarray | None:
        out: np.ndarray | None = result.as_numpy(name)
        return out
