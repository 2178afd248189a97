"""SSD-MobileNet-v1 (300x300) in plain torch, its ONNX form with the MLPerf
interface, and the fixed-seed model of the embedded default.

The network (``SSDMobileNetV1``), with the parameter names of the MLPerf
PyTorch model (``ssd_mobilenet_v1.pytorch``, converted from the TF model
zoo's ``ssd_mobilenet_v1_coco_2018_01_28``), so its state dict loads as it is:

* ``backbone.0``: 3x3/2 conv to 32 (``0``), folded BatchNorm as a bias
  (``0/BatchNorm.bias``), ReLU6;
* ``backbone.1..13``: depthwise 3x3 (``depthwise``) + BatchNorm as scale and
  bias (``depthwise/BatchNorm.scale``/``.bias``) + ReLU6, pointwise 1x1
  (``pointwise``) + bias (``pointwise/BatchNorm.bias``) + ReLU6; channels 64,
  128, 128, 256, 256, 512 x 6, 1024, 1024; stride 2 at blocks 2, 4, 6, 12;
* ``extras.0..3``: 1x1 conv (bias) + ReLU6, 3x3/2 conv (bias) + ReLU6 to
  512, 256, 256, 128;
* ``predictors.0..5``: 1x1 ``classification`` (91 x anchors) and
  ``regression`` (4 x anchors) convs on backbone block 11 (19x19), block 13
  (10x10) and the four extras (5, 3, 2, 1), with 3, 6, 6, 6, 6, 6 anchors:
  1917 in all.

Convolutions pad as TensorFlow's "SAME" (the extra row/column at the
bottom/right). Anchors: TF's multiple-grid generator, scales 0.2..0.95 over
six layers, aspect ratios 1, 2, 1/2, 3, 1/3 plus an interpolated scale at
ratio 1; the first layer (0.1, 1), (0.2, 2), (0.2, 1/2); (ymin, xmin, ymax,
xmax), unclipped. Box coder weights (10, 10, 5, 5); sigmoid class scores.

Post-processing (``loadgen.harness.detection``), the same for both backends:
scores > 0.3 (the PyTorch reference's threshold), at most 100 candidates per
class, NMS at IoU 0.6, 100 detections in all.

The MLPerf interface (the TF graph's, kept by ``ssd_mobilenet_v1_coco_2018_01_28.onnx``):
input ``image_tensor:0`` uint8 ``[N, 300, 300, 3]`` (RGB, 0..255; the graph
scales it to [-1, 1]); outputs ``num_detections:0`` ``[N]``,
``detection_boxes:0`` ``[N, 100, 4]`` (ymin, xmin, ymax, xmax),
``detection_scores:0`` ``[N, 100]``, ``detection_classes:0`` ``[N, 100]``
(COCO category ids, float). The torch backend's model
(``MLPerfSSDMobileNet``) takes the coco-300-pt input (float NCHW in
[-1, 1]) and returns the same four outputs.

torch is imported at module level: import this module only where torch is wanted.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from loadgen.harness.detection import (
    append_onnx_multiclass_nms,
    export_onnx_with_postprocess,
    multiclass_nms,
)
from loadgen.harness.fixed_seed import he_init_
from loadgen.harness.torch_checkpoint import load_state_dict_file
from torch import nn

NUM_CLASSES = 91  # background + the 90-slot COCO id space
SIZE = 300
INPUT_NAME = "image_tensor:0"
OUTPUT_NAMES = ("num_detections:0", "detection_boxes:0", "detection_scores:0", "detection_classes:0")
BACKBONE = (
    ((32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2))
    + ((512, 512, 1),) * 5
    + ((512, 1024, 2), (1024, 1024, 1))
)
RETURN_LAYERS = (11, 13)
EXTRAS = ((1024, 256, 512), (512, 128, 256), (256, 128, 256), (256, 64, 128))
HEAD_CHANNELS = (512, 1024, 512, 256, 256, 128)
NUM_ANCHORS = (3, 6, 6, 6, 6, 6)
MIN_SCALE, MAX_SCALE = 0.2, 0.95
ASPECT_RATIOS = (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)
CODER_WEIGHTS = (10.0, 10.0, 5.0, 5.0)  # y, x, h, w
SCORE_THRESHOLD, IOU_THRESHOLD, PRE_NMS_TOP_K, MAX_DETECTIONS = 0.3, 0.6, 100, 100


class SameConv2d(nn.Conv2d):
    """Conv2d padded as TensorFlow's "SAME": the odd pixel of padding goes bottom/right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for dim in (1, 0):  # F.pad order: last axis (width) first
            size, k, s = x.shape[2 + dim], self.kernel_size[dim], self.stride[dim]
            out = (size + s - 1) // s
            total = max(0, (out - 1) * s + k - size)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class BiasAdd(nn.Module):
    """A BatchNorm folded to a per-channel bias (buffer ``bias``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("bias", torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias.view(1, -1, 1, 1)


class ScaleBias(nn.Module):
    """A BatchNorm folded to a per-channel scale and bias (buffers ``scale``, ``bias``)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.register_buffer("scale", torch.ones(channels))
        self.register_buffer("bias", torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def _stem(cout: int) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            [
                ("0", SameConv2d(3, cout, 3, 2, bias=False)),
                ("0/BatchNorm", BiasAdd(cout)),
                ("0/ReLU", nn.ReLU6(inplace=True)),
            ]
        )
    )


def _depthwise_separable(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        OrderedDict(
            [
                ("depthwise", SameConv2d(cin, cin, 3, stride, groups=cin, bias=False)),
                ("depthwise/BatchNorm", ScaleBias(cin)),
                ("depthwise/ReLU", nn.ReLU6(inplace=True)),
                ("pointwise", nn.Conv2d(cin, cout, 1, bias=False)),
                ("pointwise/BatchNorm", BiasAdd(cout)),
                ("pointwise/ReLU", nn.ReLU6(inplace=True)),
            ]
        )
    )


class PredictionHead(nn.Module):
    def __init__(self, cin: int, num_anchors: int, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.classification = nn.Conv2d(cin, num_anchors * num_classes, 1)
        self.regression = nn.Conv2d(cin, num_anchors * 4, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = x.shape[0]
        logits = self.classification(x).permute(0, 2, 3, 1).reshape(n, -1, self.num_classes)
        codes = self.regression(x).permute(0, 2, 3, 1).reshape(n, -1, 4)
        return logits, codes


class SSDMobileNetV1(nn.Module):
    """The network: ``[N, 3, 300, 300]`` in [-1, 1] -> ``(logits [N, 1917, 91], codes [N, 1917, 4])``."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self.backbone = nn.ModuleList(
            [_stem(32)] + [_depthwise_separable(cin, cout, s) for cin, cout, s in BACKBONE]
        )
        self.extras = nn.ModuleList(
            nn.Sequential(nn.Conv2d(cin, mid, 1), nn.ReLU6(), SameConv2d(mid, cout, 3, 2), nn.ReLU6())
            for cin, mid, cout in EXTRAS
        )
        self.predictors = nn.ModuleList(
            PredictionHead(c, a, num_classes) for c, a in zip(HEAD_CHANNELS, NUM_ANCHORS)
        )

    def feature_maps(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = []
        for i, block in enumerate(self.backbone):
            x = block(x)
            if i in RETURN_LAYERS:
                maps.append(x)
        for block in self.extras:
            x = block(x)
            maps.append(x)
        return maps

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        outs = [head(f) for f, head in zip(self.feature_maps(x), self.predictors)]
        return torch.cat([o[0] for o in outs], 1), torch.cat([o[1] for o in outs], 1)


def feature_map_sizes(size: int = SIZE) -> list[int]:
    """19, 10, 5, 3, 2, 1 for 300: "SAME" convs give ceil(n / stride)."""
    n = size
    sizes = []
    for i, (_, _, s) in enumerate(((0, 0, 2), *BACKBONE)):
        n = -(-n // s)
        if i in RETURN_LAYERS:
            sizes.append(n)
    for _ in EXTRAS:
        n = -(-n // 2)
        sizes.append(n)
    return sizes


def anchors(size: int = SIZE) -> np.ndarray:
    """The 1917 anchors ``[A, 4]`` as (ymin, xmin, ymax, xmax), normalised, unclipped;
    per layer: rows, then columns, then the anchor shapes (fastest)."""
    n_layers = len(NUM_ANCHORS)
    scales = [MIN_SCALE + (MAX_SCALE - MIN_SCALE) * i / (n_layers - 1) for i in range(n_layers)] + [1.0]
    out = []
    for layer, grid in enumerate(feature_map_sizes(size)):
        if layer == 0:
            specs = [(0.1, 1.0), (scales[0], 2.0), (scales[0], 0.5)]
        else:
            specs = [(scales[layer], ar) for ar in ASPECT_RATIOS]
            specs.append((math.sqrt(scales[layer] * scales[layer + 1]), 1.0))
        stride = 1.0 / grid
        for y in range(grid):
            for x in range(grid):
                cy, cx = (y + 0.5) * stride, (x + 0.5) * stride
                for scale, ar in specs:
                    h, w = scale / math.sqrt(ar), scale * math.sqrt(ar)
                    out.append((cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2))
    return np.array(out, dtype=np.float32)


def decode(codes: torch.Tensor, priors: torch.Tensor) -> torch.Tensor:
    """TF's faster-rcnn box coder: codes ``[N, A, 4]`` (ty, tx, th, tw) + anchors
    ``[A, 4]`` -> boxes ``[N, A, 4]`` as (ymin, xmin, ymax, xmax)."""
    wy, wx, wh, ww = CODER_WEIGHTS
    ha = priors[:, 2] - priors[:, 0]
    wa = priors[:, 3] - priors[:, 1]
    cya = priors[:, 0] + 0.5 * ha
    cxa = priors[:, 1] + 0.5 * wa
    cy = codes[..., 0] / wy * ha + cya
    cx = codes[..., 1] / wx * wa + cxa
    h = torch.exp(codes[..., 2] / wh) * ha
    w = torch.exp(codes[..., 3] / ww) * wa
    return torch.stack([cy - 0.5 * h, cx - 0.5 * w, cy + 0.5 * h, cx + 0.5 * w], dim=-1)


class RawBoxesScores(nn.Module):
    """``SSDMobileNetV1`` + decoding: ``(boxes [N, A, 4], scores [N, 90, A])``
    (sigmoid scores of COCO ids 1..90). ``uint8_nhwc``: takes the TF
    graph's input (uint8 NHWC 0..255) and scales it to [-1, 1] itself."""

    def __init__(self, net: SSDMobileNetV1, uint8_nhwc: bool = False) -> None:
        super().__init__()
        self.net = net
        self.uint8_nhwc = uint8_nhwc
        self.register_buffer("priors", torch.from_numpy(anchors()))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.uint8_nhwc:
            x = (x.permute(0, 3, 1, 2).float() - 127.5) / 127.5
        logits, codes = self.net(x)
        boxes = decode(codes, self.priors)
        scores = torch.sigmoid(logits[..., 1:]).transpose(1, 2)
        return boxes, scores


class MLPerfSSDMobileNet(nn.Module):
    """The MLPerf outputs (num_detections, boxes, scores, classes) over an ``SSDMobileNetV1``."""

    def __init__(self, net: SSDMobileNetV1) -> None:
        super().__init__()
        self.body = RawBoxesScores(net)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        boxes, scores = self.body(x)
        b, s, c, valid = multiclass_nms(
            boxes, scores, SCORE_THRESHOLD, IOU_THRESHOLD, PRE_NMS_TOP_K, MAX_DETECTIONS
        )
        classes = torch.where(valid, c + 1, torch.zeros_like(c)).float()
        return valid.sum(dim=1).float(), b, s, classes


def build_torch_model(path: str | Path) -> nn.Module:
    """The torch backend's model factory: ``MLPerfSSDMobileNet`` from a model file:
    a state dict, or a whole pickled module such as ``ssd_mobilenet_v1.pytorch``."""
    net = SSDMobileNetV1()
    net.load_state_dict(load_state_dict_file(path))
    return MLPerfSSDMobileNet(net).eval()


# ---------------------------------------------------------------------------
# ONNX.


def export_onnx(net: SSDMobileNetV1, path: str | Path) -> None:
    """Write ``net`` with its input scaling, decoding and NMS as an ONNX file
    with the TF graph's interface (``image_tensor:0`` -> the four detection tensors)."""
    from onnx import TensorProto

    na = len(anchors())

    def append(g, outs):
        boxes, scores = outs
        b, s, c, valid = append_onnx_multiclass_nms(
            g,
            boxes,
            scores,
            NUM_CLASSES - 1,
            na,
            SCORE_THRESHOLD,
            IOU_THRESHOLD,
            PRE_NMS_TOP_K,
            MAX_DETECTIONS,
        )
        k = min(MAX_DETECTIONS, (NUM_CLASSES - 1) * min(PRE_NMS_TOP_K, na))
        valid_i = g.op("Cast", [valid], to=TensorProto.INT64)
        classes = g.op(
            "Cast", [g.op("Mul", [g.op("Add", [c, g.const(1, np.int64)]), valid_i])], to=TensorProto.FLOAT
        )
        num = g.op(
            "Cast", [g.op("ReduceSum", [valid_i, g.const([1], np.int64)], keepdims=0)], to=TensorProto.FLOAT
        )
        return [
            (num, OUTPUT_NAMES[0], TensorProto.FLOAT, ["N"]),
            (b, OUTPUT_NAMES[1], TensorProto.FLOAT, ["N", k, 4]),
            (s, OUTPUT_NAMES[2], TensorProto.FLOAT, ["N", k]),
            (classes, OUTPUT_NAMES[3], TensorProto.FLOAT, ["N", k]),
        ]

    body = RawBoxesScores(net, uint8_nhwc=True).eval()
    example = torch.zeros(1, SIZE, SIZE, 3, dtype=torch.uint8)
    export_onnx_with_postprocess(body, example, INPUT_NAME, append, str(path))


# ---------------------------------------------------------------------------
# The fixed-seed model of the embedded default.

LOGIT_SCALE = 1.5  # the fixed-seed model: standardised class logits times this
FOREGROUND_FRACTION = 1.0 / 3000  # of (anchor, class) pairs scoring above one half on calibration


def make_fixed_seed_model(calibration_batch: np.ndarray, seed: int = 0) -> SSDMobileNetV1:
    """An SSD-MobileNet-v1 with seeded random weights, calibrated on ``calibration_batch``
    (coco-300-pt inputs).

    Folded BatchNorms: the depthwise scale/bias and the biases are set so
    that each channel is standardised over the calibration images (channel by
    channel, in network order). The class logits are standardised too and
    scaled; their bias is lowered so that about one (anchor, class) pair in
    3000 scores above one half on the calibration images. Background (0)
    and the ten ids COCO does not use never score.
    """
    from loadgen.harness.coco import COCO_CATEGORY_IDS

    gen = torch.Generator().manual_seed(seed)
    net = SSDMobileNetV1()
    x = torch.from_numpy(np.ascontiguousarray(calibration_batch, dtype=np.float32))
    with torch.no_grad():
        he_init_(net, gen)  # no BatchNorm2d here: they are folded (ScaleBias, BiasAdd)

        def standardise(out: torch.Tensor, scale: torch.Tensor | None, bias: torch.Tensor) -> None:
            mean = out.mean(dim=(0, 2, 3))
            std = out.std(dim=(0, 2, 3)).clamp_min(1e-6)
            if scale is not None:
                scale.copy_(1.0 / std)
                bias.copy_(-mean / std + 0.5)
            else:
                bias.copy_(-mean + 0.5 * std)

        h = x
        for i, block in enumerate(net.backbone):
            if i == 0:
                standardise(block[0](h), None, block[1].bias)
            else:
                d = block[0](h)
                standardise(d, block[1].scale, block[1].bias)
                p = block[3](block[2](block[1](d)))
                block[3].weight.div_(p.std(dim=(0, 2, 3)).clamp_min(1e-6)[:, None, None, None])
                standardise(block[3](block[2](block[1](d))), None, block[4].bias)
            h = block(h)
        maps = net.feature_maps(x)
        for f, head in zip(maps, net.predictors):
            z = head.classification(f)
            mean = z.mean(dim=(0, 2, 3))
            std = z.std(dim=(0, 2, 3)).clamp_min(1e-6)
            head.classification.weight.div_(std[:, None, None, None] / LOGIT_SCALE)
            head.classification.bias.copy_(-mean / std * LOGIT_SCALE)
            head.regression.weight.mul_(0.1)
        logits, _ = net(x)
        allowed = torch.zeros(NUM_CLASSES, dtype=torch.bool)
        allowed[list(COCO_CATEGORY_IDS)] = True
        q = float(torch.quantile(logits[..., allowed].flatten()[:2_000_000], 1.0 - FOREGROUND_FRACTION))
        for head in net.predictors:
            b = head.classification.bias.view(-1, NUM_CLASSES)  # channels: (anchor, class)
            b -= q
            b[:, ~allowed] = -100.0
    return net
