"""ResNet50-v1.5 in plain torch, its ONNX form with the MLPerf interface, and
the fixed-seed model of the embedded default.

The MLPerf interface (the reference's ONNX file) is:

* input ``input_tensor:0``: float32, NCHW, ``[N, 3, 224, 224]``, preprocessed
  as in ``dataset.preprocess`` (RGB, per-channel mean subtracted, no scaling);
* outputs ``ArgMax:0`` (int64 ``[N]``) and ``softmax_tensor:0`` (float32
  ``[N, 1001]``) over 1001 classes, class 0 being "background", so the
  ImageNet label is ``argmax - 1``.

``ResNet50`` returns the 1001 logits; ``MLPerfResNet50`` wraps it to return
``(ArgMax, softmax)`` in that order, so that both backends hand the harness
the same outputs. ``export_onnx`` writes the same network, from a state dict,
as an ONNX graph built node by node (opset 13): no exporter, no tracing, and
the tensor names are exactly the interface's.

v1.5 differs from v1 in where a bottleneck block downsamples: the stride 2 is
on the 3x3 convolution, not on the first 1x1.

torch is imported at module level: import this module only where torch is
wanted (the harness reaches it through ``build_torch_model``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from loadgen.harness.fixed_seed import calibrate_batchnorm_, he_init_
from loadgen.harness.onnx_file import save_graph
from torch import nn

NUM_CLASSES = 1001  # 1000 ImageNet classes + background (index 0)
INPUT_NAME = "input_tensor:0"
OUTPUT_NAMES = ("ArgMax:0", "softmax_tensor:0")
STAGES = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))  # (width, blocks, stride)
EXPANSION = 4
BN_EPS = 1e-5


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carries the stride: v1.5), 1x1 expand; plus the shortcut."""

    def __init__(self, in_channels: int, width: int, stride: int) -> None:
        super().__init__()
        out_channels = width * EXPANSION
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width, eps=BN_EPS)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width, eps=BN_EPS)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels, eps=BN_EPS)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels, eps=BN_EPS),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + shortcut)


class ResNet50(nn.Module):
    """ResNet50-v1.5: NCHW float32 in, ``num_classes`` logits out.

    Parameter names follow the common layout (``conv1``, ``bn1``,
    ``layer1.0.conv1``, ``layer1.0.downsample.0``, ..., ``fc``), so state dicts
    in that layout load as they are.
    """

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64, eps=BN_EPS)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.in_channels = 64
        self.layer1 = self._stage(*STAGES[0])
        self.layer2 = self._stage(*STAGES[1])
        self.layer3 = self._stage(*STAGES[2])
        self.layer4 = self._stage(*STAGES[3])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(self.in_channels, num_classes)

    def _stage(self, width: int, blocks: int, stride: int) -> nn.Sequential:
        layer = []
        for b in range(blocks):
            layer.append(Bottleneck(self.in_channels, width, stride if b == 0 else 1))
            self.in_channels = width * EXPANSION
        return nn.Sequential(*layer)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


class MLPerfResNet50(nn.Module):
    """The MLPerf output pair ``(ArgMax, softmax)`` over a ``ResNet50``.

    Runs in channels-last memory layout (the input stays NCHW in shape): on
    CPU, torch's convolutions are markedly faster that way (measured: about
    1.4x at batch 32 on one core).
    """

    def __init__(self, net: ResNet50) -> None:
        super().__init__()
        # Module.to accepts memory_format at run time; its type stubs do not say so.
        self.net = net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.net(x.contiguous(memory_format=torch.channels_last))
        return torch.argmax(logits, dim=1), torch.softmax(logits, dim=1)


def build_torch_model(state_dict_path: str | Path) -> nn.Module:
    """The torch backend's model factory: ``MLPerfResNet50`` from a state dict file.

    The file holds a ``ResNet50`` state dict (``torch.save(net.state_dict())``).
    The class count is read off ``fc.weight``.
    """
    state = torch.load(str(state_dict_path), map_location="cpu", weights_only=True)
    net = ResNet50(num_classes=int(state["fc.weight"].shape[0]))
    net.load_state_dict(state)
    return MLPerfResNet50(net).eval()


# ---------------------------------------------------------------------------
# The fixed-seed model of the embedded default.


def make_fixed_seed_model(
    calibration_batch: np.ndarray,
    prototype_batch: np.ndarray,
    class_ids: Sequence[int],
    seed: int = 0,
) -> ResNet50:
    """A ResNet50-v1.5 with seeded random weights, made usable by calibration,
    and a classifier fitted in closed form to the synthetic classes.

    Random weights alone give a network whose outputs hardly depend on the
    input (the common component grows with depth), so every image would get
    the same class. The BatchNorm running statistics are measured on
    ``calibration_batch`` (preprocessed NCHW images of the calibration list),
    so each BN standardises its channel, and the pooled features are
    standardised with the calibration images' mean and deviation.

    The classifier is then fitted, in closed form, to the classes of the data
    (``prototype_batch``: one preprocessed image per class, the prototype its
    images are views of; ``class_ids``: the ImageNet class, 1..1000, of
    each): with ``z`` the standardised features of an image and ``p_c`` those
    of prototype ``c``, the logit of class ``c`` is ``(z.p_c - |p_c|^2 / 2) /
    sqrt(d)``, the nearest-prototype rule (least Euclidean distance) as a
    linear layer. A random head instead gives logits whose top two differ by
    far less than any reduced precision's rounding; this one puts an image of
    a class far from the boundary to the next class, as training does. The
    other classes (and class 0, background) get logit -100. The result is a
    fixed, deterministic function of the seed and those images.
    """
    if len(class_ids) != len(prototype_batch):
        raise ValueError(f"{len(class_ids)} class ids for {len(prototype_batch)} prototypes")
    if len(set(class_ids)) != len(class_ids) or not all(1 <= c < NUM_CLASSES for c in class_ids):
        raise ValueError(f"class ids must be distinct, in 1..{NUM_CLASSES - 1}: {list(class_ids)}")
    gen = torch.Generator().manual_seed(seed)
    net = ResNet50()
    with torch.no_grad():
        he_init_(net, gen, fan="out")
        for m in net.modules():
            if isinstance(m, Bottleneck):
                # Keep the residual stream's variance in bounds over 16 blocks.
                m.bn3.weight.fill_(0.5)

        # BN statistics from the calibration batch (cumulative average).
        x = torch.from_numpy(np.ascontiguousarray(calibration_batch, dtype=np.float32))
        calibrate_batchnorm_(net, lambda: net(x))
        feats = net.features(x)
        mean = feats.mean(dim=0)
        std = feats.std(dim=0).clamp_min(1e-6)
        protos = net.features(torch.from_numpy(np.ascontiguousarray(prototype_batch, dtype=np.float32)))
        p = (protos - mean) / std  # [classes, d]: the prototypes, standardised
        scale = 1.0 / float(p.shape[1]) ** 0.5
        # logit_c = scale * (z . p_c - |p_c|^2 / 2), z = (f - mean) / std, as W f + b:
        w = scale * p / std
        b = -(w @ mean) - scale * 0.5 * (p * p).sum(dim=1)
        net.fc.weight.zero_()
        net.fc.bias.fill_(-100.0)
        ids = torch.as_tensor(list(class_ids), dtype=torch.long)
        net.fc.weight[ids] = w
        net.fc.bias[ids] = b
    return net


# ---------------------------------------------------------------------------
# ONNX.


def export_onnx(state_dict: Mapping[str, torch.Tensor], path: str | Path, opset: int = 13) -> None:
    """Write ``ResNet50`` with these weights as an ONNX file with the MLPerf interface.

    The batch dimension is symbolic (``N``). Imports ``onnx`` here, so that
    this module stays importable without it.
    """
    from onnx import TensorProto, helper, numpy_helper

    weights = {k: v.detach().cpu().numpy() for k, v in state_dict.items()}
    num_classes = int(weights["fc.weight"].shape[0])
    nodes: list = []
    inits: dict[str, np.ndarray] = {}

    def param(name: str) -> str:
        inits[name] = weights[name].astype(np.float32)
        return name

    def conv(x: str, prefix: str, stride: int, pad: int) -> str:
        w = param(prefix + ".weight")
        k = int(weights[prefix + ".weight"].shape[2])
        nodes.append(
            helper.make_node(
                "Conv", [x, w], [prefix], kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4
            )
        )
        return prefix

    def bn(x: str, prefix: str) -> str:
        ins = [x] + [param(f"{prefix}.{p}") for p in ("weight", "bias", "running_mean", "running_var")]
        nodes.append(helper.make_node("BatchNormalization", ins, [prefix], epsilon=BN_EPS))
        return prefix

    def relu(x: str) -> str:
        out = x + ".relu"
        nodes.append(helper.make_node("Relu", [x], [out]))
        return out

    x = relu(bn(conv(INPUT_NAME, "conv1", 2, 3), "bn1"))
    nodes.append(
        helper.make_node("MaxPool", [x], ["maxpool"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    )
    x = "maxpool"
    for i, (_, blocks, stride) in enumerate(STAGES, start=1):
        for b in range(blocks):
            p = f"layer{i}.{b}"
            s = stride if b == 0 else 1
            shortcut = x
            if f"{p}.downsample.0.weight" in weights:
                shortcut = bn(conv(x, f"{p}.downsample.0", s, 0), f"{p}.downsample.1")
            y = relu(bn(conv(x, f"{p}.conv1", 1, 0), f"{p}.bn1"))
            y = relu(bn(conv(y, f"{p}.conv2", s, 1), f"{p}.bn2"))
            y = bn(conv(y, f"{p}.conv3", 1, 0), f"{p}.bn3")
            nodes.append(helper.make_node("Add", [y, shortcut], [p + ".add"]))
            x = relu(p + ".add")
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["avgpool"]))
    nodes.append(helper.make_node("Flatten", ["avgpool"], ["flatten"], axis=1))
    nodes.append(
        helper.make_node("Gemm", ["flatten", param("fc.weight"), param("fc.bias")], ["logits"], transB=1)
    )
    nodes.append(helper.make_node("ArgMax", ["logits"], [OUTPUT_NAMES[0]], axis=1, keepdims=0))
    nodes.append(helper.make_node("Softmax", ["logits"], [OUTPUT_NAMES[1]], axis=1))

    graph = helper.make_graph(
        nodes,
        "resnet50_v1.5",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", 3, 224, 224])],
        [
            helper.make_tensor_value_info(OUTPUT_NAMES[0], TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info(OUTPUT_NAMES[1], TensorProto.FLOAT, ["N", num_classes]),
        ],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    save_graph(graph, path, opset)
