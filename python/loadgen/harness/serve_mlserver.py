"""The MLServer runtime behind ``python -m loadgen.harness.serve --engine mlserver``.

MLServer imports a runtime class by name; this one serves a ``ServedModel``
that ``serve.py`` prepared in the same process (``parallel_workers`` 0) and
left in ``SERVED`` under the model's name. MLServer's adaptive batching has
already joined waiting requests along the first axis when ``predict`` runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse

SERVED: dict[str, Any] = {}


class BenchmarkRuntime(MLModel):
    async def load(self) -> bool:
        try:
            self._served = SERVED[self.name]
        except KeyError:
            raise RuntimeError(f"no benchmark model prepared under the name {self.name!r}") from None
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        inputs = {x.name: NumpyCodec.decode_input(x) for x in payload.inputs}
        # The backend call blocks: off the event loop, so the server keeps accepting requests.
        out = await asyncio.to_thread(self._served, inputs)
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[NumpyCodec.encode_output(name=k, payload=v) for k, v in out.items()],
        )
