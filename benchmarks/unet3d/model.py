"""3D-UNet for KiTS19 in plain torch, its ONNX form with the MLPerf interface,
and the fixed-seed model of the embedded default.

The MLPerf interface (the reference's ONNX files) is one input ``input``,
float32 ``[N, 1, 128, 128, 128]`` (NCDHW, a preprocessed patch), and one
output ``output``, float32 ``[N, 3, 128, 128, 128]``: raw logits (no softmax)
of background, kidney and tumor.

The architecture (MLPerf Training's 3D-UNet, which the inference checkpoint
comes from): channels 32, 64, 128, 256, 320; every convolution block is a
3x3x3 convolution without bias, an affine InstanceNorm and a ReLU, two blocks
per stage. An input stage at 32 channels; four down stages (the first
convolution has stride 2) to 64, 128, 256, 320; a bottleneck down stage
320 -> 320; five up stages, each a 2x2x2 transposed convolution with stride 2
and a bias, the skip tensor concatenated after the upsampled one, and two
convolution blocks; a final 1x1x1 convolution with bias to the classes.

Parameter names are those of the reference training checkpoint
(``input_block.conv1.0.weight``, ``input_block.conv1.1.weight`` (the norm),
``downsample.0.conv1.0.weight``, ``bottleneck.conv2.1.bias``,
``upsample.0.upsample_conv.0.weight``, ``output.conv.weight``, ...), so its
``best_model_state_dict`` loads as it is. ``channels`` can be made smaller
(tests use a tiny network); the depth is ``len(channels)`` halvings, so a
patch side must be a multiple of ``2 ** len(channels)``.

torch is imported at module level: import this module only where torch is
wanted (the harness reaches it through ``build_torch_model``).
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from loadgen.harness.onnx_file import save_graph
from torch import nn

CHANNELS = (32, 64, 128, 256, 320)
NUM_CLASSES = 3
INPUT_NAME = "input"
OUTPUT_NAME = "output"
PATCH = 128
NORM_EPS = 1e-5  # torch's InstanceNorm3d default, as in the reference model


def conv_block(in_ch: int, out_ch: int, stride: int = 1) -> nn.Sequential:
    """3x3x3 convolution (no bias) + affine InstanceNorm + ReLU: keys ``0.*``, ``1.*``."""
    return nn.Sequential(
        nn.Conv3d(in_ch, out_ch, kernel_size=3, stride=stride, padding=1, bias=False),
        nn.InstanceNorm3d(out_ch, affine=True, eps=NORM_EPS),
        nn.ReLU(inplace=True),
    )


class InputBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv1 = conv_block(in_ch, out_ch)
        self.conv2 = conv_block(out_ch, out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class DownsampleBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv1 = conv_block(in_ch, out_ch, stride=2)
        self.conv2 = conv_block(out_ch, out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class UpsampleBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        # A Sequential of one, so that the key is ``upsample_conv.0.weight`` as in the checkpoint.
        self.upsample_conv = nn.Sequential(nn.ConvTranspose3d(in_ch, out_ch, kernel_size=2, stride=2))
        self.conv1 = conv_block(2 * out_ch, out_ch)
        self.conv2 = conv_block(out_ch, out_ch)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = torch.cat((self.upsample_conv(x), skip), dim=1)
        return self.conv2(self.conv1(x))


class OutputLayer(nn.Module):
    def __init__(self, in_ch: int, n_class: int) -> None:
        super().__init__()
        self.conv = nn.Conv3d(in_ch, n_class, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Unet3D(nn.Module):
    """NCDHW float32 patch in, ``n_class`` logits per voxel out."""

    def __init__(
        self, in_channels: int = 1, n_class: int = NUM_CLASSES, channels: Sequence[int] = CHANNELS
    ) -> None:
        super().__init__()
        ch = [int(c) for c in channels]
        if len(ch) < 2 or min(ch) < 1:
            raise ValueError(f"channels = {channels}: need at least two positive widths")
        self.channels = tuple(ch)
        self.input_block = InputBlock(in_channels, ch[0])
        self.downsample = nn.ModuleList(DownsampleBlock(i, o) for i, o in zip(ch[:-1], ch[1:]))
        self.bottleneck = DownsampleBlock(ch[-1], ch[-1])
        ups = [UpsampleBlock(ch[-1], ch[-1])]
        ups += [UpsampleBlock(i, o) for i, o in zip(reversed(ch[1:]), reversed(ch[:-1]))]
        self.upsample = nn.ModuleList(ups)
        self.output = OutputLayer(ch[0], n_class)

    @property
    def patch_multiple(self) -> int:
        """A patch side must be a multiple of this (one halving per stage)."""
        return 2 ** len(self.channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.input_block(x)
        skips = [x]
        for down in self.downsample:
            x = down(x)
            skips.append(x)
        x = self.bottleneck(x)
        for up, skip in zip(self.upsample, reversed(skips)):
            x = up(x, skip)
        return self.output(x)


def channels_of(state: Mapping[str, torch.Tensor]) -> tuple[tuple[int, ...], int, int]:
    """(channels, in_channels, n_class) read off a state dict's shapes."""
    try:
        first = state["input_block.conv1.0.weight"]
        out = state["output.conv.weight"]
    except KeyError as e:
        raise ValueError(
            f"not a 3D-UNet state dict: no {e.args[0]!r} (keys start with {sorted(state)[:3]})"
        ) from None
    ch = [int(first.shape[0])]
    i = 0
    while f"downsample.{i}.conv1.0.weight" in state:
        ch.append(int(state[f"downsample.{i}.conv1.0.weight"].shape[0]))
        i += 1
    return tuple(ch), int(first.shape[1]), int(out.shape[0])


def unet_from_state_dict(state: Mapping[str, torch.Tensor]) -> Unet3D:
    """A ``Unet3D`` of the state dict's widths, with its weights (strictly: every key must match)."""
    channels, in_ch, n_class = channels_of(state)
    net = Unet3D(in_ch, n_class, channels)
    net.load_state_dict(state)
    return net.eval()


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The weights in a model file: a state dict saved with ``torch.save``; the
    reference training checkpoint (``3dunet_kits19_pytorch_checkpoint.pth``,
    weights under ``best_model_state_dict``); or the reference TorchScript
    file (``3dunet_kits19_pytorch.ptc``). A ``module.`` prefix (a model saved
    from DistributedDataParallel) is dropped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - not only tensors: TorchScript, or a checkpoint with more
        obj = _load_other(path, e)
    if isinstance(obj, Mapping):
        for key in ("best_model_state_dict", "model_state_dict", "state_dict"):
            if key in obj and isinstance(obj[key], Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping):
        raise ValueError(f"{path}: holds a {type(obj).__name__}, not a state dict")  # noqa: TRY004 - bad file
    return {k.removeprefix("module."): v for k, v in obj.items()}


def _load_other(path: Path, first: Exception) -> object:
    """A TorchScript archive's state dict, else the file unpickled in full (a
    training checkpoint may hold optimizer state or NumPy values, which
    ``weights_only`` refuses; this runs the pickle's code paths, so load only
    files you trust)."""
    errors = [str(first)]
    if zipfile.is_zipfile(path):
        try:
            return dict(torch.jit.load(str(path), map_location="cpu").state_dict())
        except Exception as e:  # noqa: BLE001 - not TorchScript: try a full unpickling next
            errors.append(str(e).splitlines()[0] if str(e) else type(e).__name__)
    try:
        return torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as e:
        errors.append(str(e))
        raise ValueError(
            f"{path}: not a torch state dict, checkpoint or TorchScript file ({'; '.join(errors)})"
        ) from e


def build_torch_model(path: str | Path) -> nn.Module:
    """The torch backend's model factory: a ``Unet3D`` with the file's weights."""
    return unet_from_state_dict(read_state_dict(path))


# ---------------------------------------------------------------------------
# The fixed-seed model of the embedded default.


def make_fixed_seed_model(
    calibration_patches: np.ndarray,
    seed: int = 0,
    channels: Sequence[int] = CHANNELS,
    class_fractions: Sequence[float] = (0.75, 0.17, 0.08),
) -> Unet3D:
    """A 3D-UNet with seeded random weights whose arg-max covers all classes.

    Convolutions get He-normal weights from ``seed``, norms weight 1 and
    bias 0, transposed convolutions small biases. Random weights alone give
    logits whose class order hardly changes over the volume, so the output
    layer's biases are then set, on ``calibration_patches`` only
    (``[N, 1, P, P, P]`` preprocessed patches), so that about
    ``class_fractions`` of the voxels go to background, kidney and tumor.
    The result is a fixed, deterministic function of the seed and the
    calibration patches.
    """
    gen = torch.Generator().manual_seed(seed)
    net = Unet3D(channels=channels)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv3d, nn.ConvTranspose3d)):
                fan = m.weight.shape[1] * int(np.prod(m.weight.shape[2:]))
                if isinstance(m, nn.ConvTranspose3d):
                    fan = m.weight.shape[0] * int(np.prod(m.weight.shape[2:])) // 8
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, nn.InstanceNorm3d):
                m.weight.fill_(1.0)
                m.bias.zero_()
        net.output.conv.bias.zero_()
        net.eval()
        x = torch.from_numpy(np.ascontiguousarray(calibration_patches, dtype=np.float32))
        logits = (
            torch.cat([net(x[i : i + 1]) for i in range(len(x))]).transpose(0, 1).reshape(NUM_CLASSES, -1)
        )
        # Standardise each class's logit over the calibration voxels, then move
        # the biases until the arg-max fractions are near the targets.
        mean = logits.mean(dim=1)
        std = logits.std(dim=1).clamp_min(1e-6)
        net.output.conv.weight.div_(std.view(-1, 1, 1, 1, 1))
        z = (logits - mean[:, None]) / std[:, None]
        z = z[:, :: max(1, z.shape[1] // 100_000)]  # a regular subsample is plenty for fractions
        target = torch.tensor(class_fractions, dtype=torch.float32)
        bias = torch.zeros(NUM_CLASSES)
        for _ in range(60):
            frac = torch.bincount(torch.argmax(z + bias[:, None], dim=0), minlength=NUM_CLASSES).float()
            frac = frac / frac.sum()
            bias += 0.5 * (torch.log(target) - torch.log(frac.clamp_min(1e-4)))
            bias -= bias[0].clone()
        net.output.conv.bias.copy_(bias - mean / std)
    return net


# ---------------------------------------------------------------------------
# ONNX.


def export_onnx(
    state_dict: Mapping[str, torch.Tensor], path: str | Path, patch: int | None = PATCH, opset: int = 13
) -> None:
    """Write ``Unet3D`` with these weights as an ONNX file with the MLPerf interface.

    The graph is written node by node (Conv, InstanceNormalization, Relu,
    ConvTranspose, Concat): no exporter, no tracing, and the tensor names are
    exactly the interface's. The batch dimension is symbolic (``N``), the
    spatial ones ``patch`` (or symbolic when ``None``). Imports ``onnx`` here,
    so that this module stays importable without it.
    """
    from onnx import TensorProto, helper, numpy_helper

    weights = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in state_dict.items()}
    channels, in_ch, n_class = channels_of(state_dict)
    nodes: list = []
    inits: dict[str, np.ndarray] = {}

    def param(name: str) -> str:
        inits[name] = weights[name]
        return name

    def block(x: str, prefix: str, stride: int) -> str:
        conv = prefix + ".0"
        nodes.append(
            helper.make_node(
                "Conv",
                [x, param(conv + ".weight")],
                [conv],
                kernel_shape=[3, 3, 3],
                strides=[stride] * 3,
                pads=[1] * 6,
            )
        )
        norm = prefix + ".1"
        nodes.append(
            helper.make_node(
                "InstanceNormalization",
                [conv, param(norm + ".weight"), param(norm + ".bias")],
                [norm],
                epsilon=NORM_EPS,
            )
        )
        nodes.append(helper.make_node("Relu", [norm], [prefix + ".relu"]))
        return prefix + ".relu"

    def stage(x: str, prefix: str, stride: int) -> str:
        return block(block(x, prefix + ".conv1", stride), prefix + ".conv2", 1)

    x = stage(INPUT_NAME, "input_block", 1)
    skips = [x]
    for i in range(len(channels) - 1):
        x = stage(x, f"downsample.{i}", 2)
        skips.append(x)
    x = stage(x, "bottleneck", 2)
    for i, skip in enumerate(reversed(skips)):
        p = f"upsample.{i}"
        up = p + ".upsample_conv.0"
        nodes.append(
            helper.make_node(
                "ConvTranspose",
                [x, param(up + ".weight"), param(up + ".bias")],
                [up],
                kernel_shape=[2, 2, 2],
                strides=[2, 2, 2],
            )
        )
        nodes.append(helper.make_node("Concat", [up, skip], [p + ".cat"], axis=1))
        x = stage(p + ".cat", p, 1)
    nodes.append(
        helper.make_node(
            "Conv",
            [x, param("output.conv.weight"), param("output.conv.bias")],
            [OUTPUT_NAME],
            kernel_shape=[1, 1, 1],
        )
    )
    side: list = [patch] * 3 if patch else ["D", "H", "W"]
    graph = helper.make_graph(
        nodes,
        "unet3d_kits19",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", in_ch, *side])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", n_class, *side])],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    save_graph(graph, path, opset)
