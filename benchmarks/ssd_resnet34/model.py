"""SSD-ResNet34 (1200x1200) in plain torch, its ONNX form with the MLPerf
interface, and the fixed-seed model of the embedded default.

The network (``SSDResNet34``), with the parameter names of the MLPerf
PyTorch model, so its state dict loads as it is:

* ``model.layer1``: ResNet-34's stem and first two stages (``0`` conv 7x7/2,
  ``1`` BN, ``2`` ReLU, ``3`` max-pool, ``4`` 3 blocks, ``5`` 4 blocks);
* ``model.layer2.0``: ResNet-34's third stage, 6 blocks, its first block's
  stride set to 1 (150x150x256 for a 1200 input);
* ``additional_blocks.0..4``: 1x1 conv to 256, 256, 128, 128, 128 then 3x3
  conv to 512, 512, 256, 256, 256 (strides 2, 2, 2, 2, 1; padding 1, 1, 1,
  0, 0), ReLU after each;
* ``loc.0..5`` / ``conf.0..5``: 3x3 convs, padding 1, stride 3, with 4, 6, 6,
  6, 4, 4 default boxes per cell: maps 50, 25, 13, 7, 3, 3 = 15130 boxes.

Default boxes: scales (21, 45, 99, 153, 207, 261, 315) x size/300 pixels,
aspect ratios {2}, {2,3}, {2,3}, {2,3}, {2}, {2}, centres on the grid of
``size // step`` cells, (cx, cy, w, h) clamped to [0, 1]. Decoding: centre
offsets x 0.1 and log-sizes x 0.2 (the variances); softmax over 81 classes.
Post-processing (``loadgen.harness.detection``): per class scores > 0.05, the
200 best into NMS at IoU 0.5, 200 detections in all.

``size`` and ``width_div`` make smaller networks from the same code (the
tests use 400 px and 1/8 of the channels); 1200 and 1 are the benchmark's.

The MLPerf interface (``resnet34-ssd1200.onnx``): input ``image`` float32
``[N, 3, 1200, 1200]``; outputs ``bboxes`` ``[N, k, 4]`` (left, top, right,
bottom, normalised), ``labels`` int64 ``[N, k]`` (1..80), ``scores``
``[N, k]``. Ours pads to k = 200 per image: padding rows have label 0 and
score 0.

torch is imported at module level: import this module only where torch is wanted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from loadgen.harness.detection import (
    append_onnx_multiclass_nms,
    export_onnx_with_postprocess,
    multiclass_nms,
)
from loadgen.harness.fixed_seed import calibrate_batchnorm_, he_init_
from loadgen.harness.torch_checkpoint import load_state_dict_file
from torch import nn

NUM_CLASSES = 81  # 80 COCO categories + background (0)
INPUT_NAME = "image"
OUTPUT_NAMES = ("bboxes", "labels", "scores")
SIZE = 1200
NUM_DEFAULTS = (4, 6, 6, 6, 4, 4)
EXTRA_MID = (256, 256, 128, 128, 128)
EXTRA_OUT = (512, 512, 256, 256, 256)
EXTRA_STRIDE = (2, 2, 2, 2, 1)
EXTRA_PAD = (1, 1, 1, 0, 0)
HEAD_STRIDE = 3
SCALES = (21, 45, 99, 153, 207, 261, 315)
ASPECT_RATIOS = ((2,), (2, 3), (2, 3), (2, 3), (2,), (2,))
SCALE_XY, SCALE_WH = 0.1, 0.2
LOGIT_SCALE = 1.0  # the fixed-seed model: standardised class logits times this
SCORE_THRESHOLD, IOU_THRESHOLD, PRE_NMS_TOP_K, MAX_DETECTIONS = 0.05, 0.5, 200, 200


class BasicBlock(nn.Module):
    """ResNet's two-3x3 block (torchvision's parameter names)."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(y)) + shortcut)


def _stage(cin: int, cout: int, blocks: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        *[BasicBlock(cin if b == 0 else cout, cout, stride if b == 0 else 1) for b in range(blocks)]
    )


class ResNet34Trunk(nn.Module):
    """``model`` of the MLPerf SSD-ResNet34: ResNet-34 up to its third stage."""

    def __init__(self, width_div: int = 1) -> None:
        super().__init__()
        c1, c2, c3 = 64 // width_div, 128 // width_div, 256 // width_div
        self.layer1 = nn.Sequential(
            nn.Conv2d(3, c1, 7, 2, 3, bias=False),
            nn.BatchNorm2d(c1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
            _stage(c1, c1, 3, 1),
            _stage(c1, c2, 4, 2),
        )
        self.layer2 = nn.Sequential(_stage(c2, c3, 6, 1))  # the third stage, stride 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer2(self.layer1(x))


def _conv_out(n: int, k: int, s: int, p: int) -> int:
    return (n + 2 * p - k) // s + 1


def feature_map_sizes(size: int) -> list[int]:
    """Side of each head's output map for a ``size`` x ``size`` input (1200: 50, 25, 13, 7, 3, 3)."""
    n = _conv_out(_conv_out(size, 7, 2, 3), 3, 2, 1)  # stem
    n = _conv_out(n, 3, 2, 1)  # second stage (the third keeps the size)
    maps = [n]
    for s, p in zip(EXTRA_STRIDE, EXTRA_PAD):
        n = _conv_out(n, 3, s, p)
        if n < 1:
            raise ValueError(f"input size {size} is too small for SSD-ResNet34's extra layers")
        maps.append(n)
    return [_conv_out(m, 3, HEAD_STRIDE, 1) for m in maps]


def default_boxes(size: int = SIZE) -> np.ndarray:
    """The default boxes ``[B, 4]`` as (cx, cy, w, h), normalised and clamped to [0, 1]."""
    maps = feature_map_sizes(size)
    steps = [int(size / f) for f in maps]
    scales = [int(s * size / 300) for s in SCALES]
    out = []
    for idx, f in enumerate(maps):
        fk = size // steps[idx]
        sk1 = scales[idx] / size
        sk2 = scales[idx + 1] / size
        sk3 = math.sqrt(sk1 * sk2)
        sizes = [(sk1, sk1), (sk3, sk3)]
        for alpha in ASPECT_RATIOS[idx]:
            w, h = sk1 * math.sqrt(alpha), sk1 / math.sqrt(alpha)
            sizes += [(w, h), (h, w)]
        for w, h in sizes:
            for i, j in itertools.product(range(f), range(f)):
                out.append(((j + 0.5) / fk, (i + 0.5) / fk, w, h))
    return np.clip(np.array(out, dtype=np.float32), 0.0, 1.0)


class SSDResNet34(nn.Module):
    """The network: image ``[N, 3, S, S]`` -> ``(locs [N, 4, B], confs [N, 81, B])``."""

    def __init__(self, size: int = SIZE, width_div: int = 1, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.size = size
        self.width_div = width_div
        self.label_num = num_classes
        self.model = ResNet34Trunk(width_div)
        chans = [256 // width_div] + [c // width_div for c in EXTRA_OUT]
        blocks = []
        for i in range(5):
            mid = EXTRA_MID[i] // width_div
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(chans[i], mid, 1),
                    nn.ReLU(inplace=True),
                    nn.Conv2d(mid, chans[i + 1], 3, EXTRA_STRIDE[i], EXTRA_PAD[i]),
                    nn.ReLU(inplace=True),
                )
            )
        self.additional_blocks = nn.ModuleList(blocks)
        self.loc = nn.ModuleList(
            nn.Conv2d(c, nd * 4, 3, HEAD_STRIDE, 1) for c, nd in zip(chans, NUM_DEFAULTS)
        )
        self.conf = nn.ModuleList(
            nn.Conv2d(c, nd * num_classes, 3, HEAD_STRIDE, 1) for c, nd in zip(chans, NUM_DEFAULTS)
        )

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.model(x)
        src = [x]
        for block in self.additional_blocks:
            x = block(x)
            src.append(x)
        return src

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        src = self.features(x)
        n = x.shape[0]
        locs = torch.cat([head(s).reshape(n, 4, -1) for s, head in zip(src, self.loc)], 2)
        confs = torch.cat([head(s).reshape(n, self.label_num, -1) for s, head in zip(src, self.conf)], 2)
        return locs, confs


def decode(locs: torch.Tensor, dboxes: torch.Tensor) -> torch.Tensor:
    """``locs [N, 4, B]`` + default boxes ``[B, 4]`` (cx, cy, w, h) -> ltrb boxes ``[N, B, 4]``."""
    d = dboxes.t()[None]  # [1, 4, B]
    xy = locs[:, :2] * SCALE_XY * d[:, 2:] + d[:, :2]
    wh = torch.exp(locs[:, 2:] * SCALE_WH) * d[:, 2:]
    return torch.cat([xy - 0.5 * wh, xy + 0.5 * wh], 1).transpose(1, 2)


class MLPerfSSDResNet34(nn.Module):
    """The MLPerf outputs ``(bboxes, labels, scores)`` over an ``SSDResNet34``."""

    def __init__(self, net: SSDResNet34) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("dboxes", torch.from_numpy(default_boxes(net.size)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        locs, confs = self.net(x)
        boxes = decode(locs, self.dboxes)
        scores = torch.softmax(confs, dim=1)[:, 1:]
        b, s, c, valid = multiclass_nms(
            boxes, scores, SCORE_THRESHOLD, IOU_THRESHOLD, PRE_NMS_TOP_K, MAX_DETECTIONS
        )
        return b, torch.where(valid, c + 1, torch.zeros_like(c)), s


def infer_config(state: Mapping[str, torch.Tensor]) -> tuple[int, int]:
    """(size, width_div) of a state dict: the width from the stem's channels;
    the size is 1200 unless the dict says otherwise (``_config.size``)."""
    width_div = 64 // int(state["model.layer1.0.weight"].shape[0])
    size = int(state["_config.size"]) if "_config.size" in state else SIZE
    return size, width_div


def build_torch_model(path: str | Path) -> nn.Module:
    """The torch backend's model factory: ``MLPerfSSDResNet34`` from a model file."""
    state = load_state_dict_file(path)
    size, width_div = infer_config(state)
    state.pop("_config.size", None)
    net = SSDResNet34(size=size, width_div=width_div)
    net.load_state_dict(state)
    return MLPerfSSDResNet34(net).eval()


# ---------------------------------------------------------------------------
# ONNX.


def export_onnx(net: SSDResNet34, path: str | Path) -> None:
    """Write ``net`` with decoding and NMS as an ONNX file with the MLPerf interface."""
    from onnx import TensorProto

    dboxes = default_boxes(net.size)
    nb = len(dboxes)
    d = dboxes.T[None]  # [1, 4, B]

    def append(g, outs):
        f32, i64 = np.float32, np.int64
        locs, confs = outs

        def sl(x, lo, hi):
            return g.op("Slice", [x, g.const([lo], i64), g.const([hi], i64), g.const([1], i64)])

        d_xy, d_wh = g.const(d[:, :2], f32, "dboxes_xy"), g.const(d[:, 2:], f32, "dboxes_wh")
        xy = g.op("Add", [g.op("Mul", [g.op("Mul", [sl(locs, 0, 2), g.const(SCALE_XY, f32)]), d_wh]), d_xy])
        wh = g.op("Mul", [g.op("Exp", [g.op("Mul", [sl(locs, 2, 4), g.const(SCALE_WH, f32)])]), d_wh])
        half = g.op("Mul", [wh, g.const(0.5, f32)])
        ltrb = g.op("Concat", [g.op("Sub", [xy, half]), g.op("Add", [xy, half])], axis=1)
        boxes = g.op("Transpose", [ltrb], perm=[0, 2, 1])
        scores = sl(g.op("Softmax", [confs], axis=1), 1, NUM_CLASSES)
        b, s, c, _ = append_onnx_multiclass_nms(
            g,
            boxes,
            scores,
            NUM_CLASSES - 1,
            nb,
            SCORE_THRESHOLD,
            IOU_THRESHOLD,
            PRE_NMS_TOP_K,
            MAX_DETECTIONS,
        )
        valid = g.op("Cast", [g.op("Greater", [s, g.const(0.0, f32)])], to=TensorProto.INT64)
        labels = g.op("Mul", [g.op("Add", [c, g.const(1, i64)]), valid])
        k = min(MAX_DETECTIONS, (NUM_CLASSES - 1) * min(PRE_NMS_TOP_K, nb))
        return [
            (b, OUTPUT_NAMES[0], TensorProto.FLOAT, ["N", k, 4]),
            (labels, OUTPUT_NAMES[1], TensorProto.INT64, ["N", k]),
            (s, OUTPUT_NAMES[2], TensorProto.FLOAT, ["N", k]),
        ]

    example = torch.zeros(1, 3, net.size, net.size)
    export_onnx_with_postprocess(net.eval(), example, INPUT_NAME, append, str(path))


# ---------------------------------------------------------------------------
# The fixed-seed model of the embedded default.


def make_fixed_seed_model(
    calibration_batch: np.ndarray, size: int = SIZE, width_div: int = 1, seed: int = 0
) -> SSDResNet34:
    """An SSD-ResNet34 with seeded random weights, calibrated on ``calibration_batch``.

    Random weights alone make every box look alike. Calibration (using only
    the calibration images): BatchNorm statistics measured on them; each
    class logit standardised over them and scaled so that the foreground
    classes compete; the background logit's bias set so that about one box in
    300 has a foreground class more likely than background. A fixed,
    deterministic function of the seed and the calibration images.
    """
    gen = torch.Generator().manual_seed(seed)
    net = SSDResNet34(size=size, width_div=width_div)
    with torch.no_grad():
        he_init_(net, gen)
        for m in net.modules():
            if isinstance(m, BasicBlock):
                m.bn2.weight.fill_(0.5)
        x = torch.from_numpy(np.ascontiguousarray(calibration_batch, dtype=np.float32))
        calibrate_batchnorm_(net, lambda: net.model(x))
        src = net.features(x)
        for s, head in zip(src, net.conf):
            z = head(s)  # [n, nd*81, h, w]
            mean = z.mean(dim=(0, 2, 3))
            std = z.std(dim=(0, 2, 3)).clamp_min(1e-6)
            head.weight.div_(std[:, None, None, None] / LOGIT_SCALE)
            head.bias.copy_(-mean / std * LOGIT_SCALE)
        _locs, confs = net(x)
        fg_max = confs[:, 1:].max(dim=1).values  # [n, B]
        bias = float(torch.quantile(fg_max.flatten()[:1_000_000], 1.0 - 1.0 / 300))
        for head in net.conf:
            head.bias.view(NUM_CLASSES, -1)[0] += bias  # channels are (class, default box)
        for head in net.loc:  # small box offsets: boxes stay near their defaults
            head.weight.mul_(0.1)
    return net
