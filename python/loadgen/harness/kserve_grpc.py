"""The KServe v2 transport over gRPC (``tritonclient.grpc.aio``): metadata
messages turned into the HTTP/REST JSON shapes, and output tensors read from
``raw_output_contents`` (Triton) or the typed ``contents`` (MLServer, KServe)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .kserve_transport import Transport

# gRPC responses may carry a tensor as typed `contents` (MLServer, KServe's
# Python servers) instead of `raw_output_contents` (Triton). Datatype -> the
# InferTensorContents field and the NumPy dtype of its values.
_GRPC_CONTENTS = {
    "BOOL": ("bool_contents", np.bool_),
    "INT8": ("int_contents", np.int8),
    "INT16": ("int_contents", np.int16),
    "INT32": ("int_contents", np.int32),
    "INT64": ("int64_contents", np.int64),
    "UINT8": ("uint_contents", np.uint8),
    "UINT16": ("uint_contents", np.uint16),
    "UINT32": ("uint_contents", np.uint32),
    "UINT64": ("uint64_contents", np.uint64),
    "FP32": ("fp32_contents", np.float32),
    "FP64": ("fp64_contents", np.float64),
}


def grpc_output_array(response: Any, name: str) -> np.ndarray | None:
    """Output ``name`` of a gRPC ModelInferResponse, from ``raw_output_contents``
    (Triton) or from the typed ``contents`` (MLServer, KServe); None if absent."""
    from tritonclient.utils import deserialize_bytes_tensor, triton_to_np_dtype

    for i, out in enumerate(response.outputs):
        if out.name != name:
            continue
        shape = list(out.shape)
        if i < len(response.raw_output_contents):
            raw = response.raw_output_contents[i]
            if out.datatype == "BYTES":
                arr = deserialize_bytes_tensor(raw)
            else:
                arr = np.frombuffer(raw, dtype=triton_to_np_dtype(out.datatype))
        elif out.datatype == "BYTES":
            arr = np.array(list(out.contents.bytes_contents), dtype=np.object_)
        elif out.datatype in _GRPC_CONTENTS:
            field, dtype = _GRPC_CONTENTS[out.datatype]
            arr = np.asarray(getattr(out.contents, field), dtype=dtype)
        else:
            raise ValueError(
                f"output {name!r} has datatype {out.datatype} but no raw_output_contents "
                f"(a {out.datatype} tensor cannot travel as typed contents)"
            )
        return arr.reshape(shape)
    return None


class GrpcTransport(Transport):
    def _make_client(self) -> Any:
        return self.client_mod.InferenceServerClient(self.opts.url)

    async def server_metadata(self) -> dict[str, Any]:
        md = await self.client.get_server_metadata()
        return {"name": md.name, "version": md.version, "extensions": list(md.extensions)}

    async def _model_names(self) -> list[str]:
        index = await self.client.get_model_repository_index()
        return sorted({m.name for m in index.models})

    async def model_metadata(self) -> dict[str, Any]:
        o = self.opts
        md = await self.client.get_model_metadata(o.model_name, o.model_version)

        def tensors(ts: Any) -> list[dict[str, Any]]:
            return [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in ts]

        return {
            "name": md.name,
            "versions": list(md.versions),
            "platform": md.platform,
            "inputs": tensors(md.inputs),
            "outputs": tensors(md.outputs),
        }

    def _set_input(self, x: Any, arr: np.ndarray) -> None:
        x.set_data_from_numpy(arr)

    def _requested_output(self, name: str) -> Any:
        return self.client_mod.InferRequestedOutput(name)

    def _output(self, result: Any, name: str) -> np.ndarray | None:
        return grpc_output_array(result.get_response(), name)
