"""Reading torch checkpoints whose model classes are not importable here.

The MLPerf PyTorch reference models ship as whole pickled modules (the
reference's classes, torchvision's), not as state dicts. Our models are plain
torch definitions with the same parameter names, so all they need is the
parameters: ``load_state_dict_file`` reads either form.

Unpickling a whole module runs the pickle's code paths: only load files you
trust (the same caveat as ``torch.load(weights_only=False)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn


def load_state_dict_file(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from a file: a saved state dict (``torch.save(state_dict)``,
    read with ``weights_only``), or a whole pickled module (as the MLPerf
    ``resnet34-ssd1200.pytorch``) through ``pickled_module_state_dict``."""
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - not a plain state dict: try the pickled module
        obj = pickled_module_state_dict(path)
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, Mapping):
        raise ValueError(f"{path}: neither a state dict nor a pickled module")  # noqa: TRY004 - a bad file, not a bad argument
    return dict(obj)


def pickled_module_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The state dict of a whole pickled torch module whose classes are not
    importable here (e.g. the reference's ``models.ssd_r34.SSD_R34``): every
    class the pickle names that cannot be imported is replaced by a plain
    ``nn.Module``, which keeps the parameters and buffers it carries."""
    import importlib
    import pickle

    class _Stub(nn.Module):
        def __init__(self, *args, **kwargs) -> None:  # some stand-ins are built with arguments
            super().__init__()

        def forward(self, *args):  # pragma: no cover - never called
            raise RuntimeError("a stand-in for an unavailable class")

    class _Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str):
            try:
                return getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError):
                return _Stub

    class _PickleModule:
        Unpickler = _Unpickler
        load = pickle.load
        __name__ = "pickle"

    obj = torch.load(str(path), map_location="cpu", weights_only=False, pickle_module=_PickleModule)
    if not isinstance(obj, nn.Module):
        raise ValueError(f"{path}: the pickle holds a {type(obj).__name__}, not a torch module")  # noqa: TRY004 - a bad file, not a bad argument
    return dict(obj.state_dict())
