"""Multi-class non-maximum suppression for the detection benchmarks, twice:
in torch (the torch backend's models) and as ONNX nodes (appended to the
exported graphs), the same algorithm in both, so the two backends agree.

torchvision is not usable here, so this is our own code. The algorithm, per
image (the SSD-ResNet34 reference's, with its numbers as parameters):

1. per class, the candidates are the boxes whose score is > ``score_threshold``;
2. at most ``pre_nms_top_k`` of them, the highest-scoring, enter NMS;
3. greedy NMS: take the best remaining box, drop every remaining box of the
   same class whose IoU with it is > ``iou_threshold``, repeat;
4. over all classes, keep the ``max_detections`` highest-scoring survivors.

Outputs have a fixed size per image (``max_detections``), sorted by
descending score; rows beyond the survivors are padding, marked by
``valid`` = False, score 0 and box 0. Equal scores keep the lower box
index first. Boxes are corner boxes in any consistent coordinate order
(x1, y1, x2, y2 or y1, x1, y2, x2: IoU does not depend on which). A box of
zero or negative area suppresses nothing and is suppressed by nothing.

torch is imported at module level: import this module only where torch is
wanted. ``append_onnx_multiclass_nms`` imports ``onnx`` itself.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch

from .onnx_file import save_model


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of corner boxes ``a [..., n, 4]`` and ``b [..., m, 4]`` -> ``[..., n, m]``.

    A pair whose union has no area has IoU 0.
    """
    lo = torch.maximum(a[..., :, None, :2], b[..., None, :, :2])
    hi = torch.minimum(a[..., :, None, 2:], b[..., None, :, 2:])
    inter = (hi - lo).clamp_min(0).prod(dim=-1)
    area_a = (a[..., 2:] - a[..., :2]).clamp_min(0).prod(dim=-1)
    area_b = (b[..., 2:] - b[..., :2]).clamp_min(0).prod(dim=-1)
    union = area_a[..., :, None] + area_b[..., None, :] - inter
    return torch.where(union > 0, inter / union.clamp_min(1e-30), torch.zeros_like(inter))


def _topk_stable(x: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The k largest along the last axis, ties broken by lower index (stable)."""
    values, order = torch.sort(x, dim=-1, descending=True, stable=True)
    return values[..., :k], order[..., :k]


def greedy_nms_keep(boxes: torch.Tensor, valid: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy NMS over candidates already sorted by descending score.

    ``boxes [B, K, 4]``, ``valid [B, K]`` (candidates that take part) ->
    ``keep [B, K]``. Each of the ``B`` rows (one class of one image) is
    independent; the loop runs over the ``K`` ranks, for all rows at once.
    """
    iou = box_iou(boxes, boxes)
    suppressed = ~valid
    keep = torch.zeros_like(valid)
    for i in range(boxes.shape[1]):
        keep_i = ~suppressed[:, i]
        keep[:, i] = keep_i
        suppressed = suppressed | ((iou[:, i, :] > iou_threshold) & keep_i[:, None])
    return keep


def multiclass_nms(
    boxes: torch.Tensor,
    scores: torch.Tensor,
    score_threshold: float,
    iou_threshold: float,
    pre_nms_top_k: int,
    max_detections: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-class NMS for a batch (see the module docstring).

    ``boxes [N, A, 4]`` (shared by all classes), ``scores [N, C, A]`` (the
    classes to detect; leave out a background class) ->
    ``(boxes [N, D, 4], scores [N, D], classes [N, D] int64, valid [N, D])``
    with ``D = min(max_detections, C * min(pre_nms_top_k, A))`` and
    ``classes`` the 0-based index into the ``C`` score rows.
    """
    n, c, a = scores.shape
    if boxes.shape != (n, a, 4):
        raise ValueError(f"boxes of shape {tuple(boxes.shape)} do not match scores {tuple(scores.shape)}")
    k = min(pre_nms_top_k, a)
    cand_scores, cand_idx = _topk_stable(scores, k)  # [N, C, K]
    cand_boxes = torch.gather(
        boxes[:, None, :, :].expand(n, c, a, 4), 2, cand_idx[..., None].expand(n, c, k, 4)
    )  # [N, C, K, 4]
    valid = (cand_scores > score_threshold).reshape(n * c, k)  # a prefix of each row: sorted
    keep = torch.zeros_like(valid)
    rows = valid.any(dim=1).nonzero().flatten()
    if len(rows):
        width = int(valid.sum(dim=1).max())  # only the valid prefix takes part
        keep[rows, :width] = greedy_nms_keep(
            cand_boxes.reshape(n * c, k, 4)[rows, :width], valid[rows, :width], iou_threshold
        )
    kept = torch.where(keep.reshape(n, c * k), cand_scores.reshape(n, c * k), torch.zeros(()))
    d = min(max_detections, c * k)
    det_scores, flat = _topk_stable(kept, d)
    det_valid = det_scores > 0
    det_boxes = torch.gather(cand_boxes.reshape(n, c * k, 4), 1, flat[..., None].expand(n, d, 4))
    det_boxes = torch.where(det_valid[..., None], det_boxes, torch.zeros(()))
    det_classes = torch.where(det_valid, flat // k, torch.zeros((), dtype=torch.int64))
    return det_boxes, torch.where(det_valid, det_scores, torch.zeros(())), det_classes, det_valid


# ---------------------------------------------------------------------------
# The same in ONNX.


class OnnxGraphBuilder:
    """Appends nodes and initializers to a list, with unique names."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{self.prefix}/{hint}_{self._n}"

    def const(self, value: Any, dtype: Any, hint: str = "const") -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, n_out: int = 1, **attrs: Any):
        from onnx import helper

        outs = [self.name(hint or op_type) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if n_out == 1 else outs


def append_onnx_multiclass_nms(
    g: OnnxGraphBuilder,
    boxes: str,
    scores: str,
    num_classes: int,
    num_boxes: int,
    score_threshold: float,
    iou_threshold: float,
    pre_nms_top_k: int,
    max_detections: int,
) -> tuple[str, str, str, str]:
    """ONNX nodes computing ``multiclass_nms``: ``boxes [N, A, 4]`` and
    ``scores [N, C, A]`` (float32) -> names of ``(boxes [N, D, 4], scores
    [N, D], classes [N, D] int64, valid [N, D] bool)``.

    Uses ``NonMaxSuppression`` (opset >= 11) with each (image, class) pair
    as one NMS batch row, so the per-class candidate boxes can differ.
    """
    import onnx

    f32, i64 = np.float32, np.int64
    c, a = num_classes, num_boxes
    k = min(pre_nms_top_k, a)
    d = min(max_detections, c * k)
    cand_scores, cand_idx = g.op("TopK", [scores, g.const([k], i64)], "cand_topk", n_out=2, axis=-1)
    # Candidate boxes: gather rows of boxes [N, A, 4] with indices [N, C*K, 1].
    flat_idx = g.op("Reshape", [cand_idx, g.const([0, -1, 1], i64)], "cand_idx_flat")
    cand_boxes = g.op("GatherND", [boxes, flat_idx], "cand_boxes", batch_dims=1)  # [N, C*K, 4]
    nms_boxes = g.op("Reshape", [cand_boxes, g.const([-1, k, 4], i64)], "nms_boxes")  # [N*C, K, 4]
    rows = g.op("Reshape", [cand_scores, g.const([-1, k], i64)], "nms_rows")  # [N*C, K]
    nms_scores = g.op("Unsqueeze", [rows, g.const([1], i64)], "nms_scores")  # [N*C, 1, K]
    selected = g.op(
        "NonMaxSuppression",
        [
            nms_boxes,
            nms_scores,
            g.const([k], i64, "max_per_class"),
            g.const([iou_threshold], f32, "iou_threshold"),
            g.const([score_threshold], f32, "score_threshold"),
        ],
        "selected",
    )  # [S, 3]: (row, 0, rank)
    row_rank = g.op("Gather", [selected, g.const([0, 2], i64)], "row_rank", axis=1)  # [S, 2]
    sel_scores = g.op("GatherND", [rows, row_rank], "sel_scores")
    zeros = g.op("Sub", [rows, rows], "zeros")
    kept = g.op("ScatterND", [zeros, row_rank, sel_scores], "kept")  # [N*C, K]
    kept_flat = g.op("Reshape", [kept, g.const([-1, c * k], i64)], "kept_flat")  # [N, C*K]
    det_scores, det_flat = g.op("TopK", [kept_flat, g.const([d], i64)], "det_topk", n_out=2, axis=-1)
    det_valid = g.op("Greater", [det_scores, g.const(0.0, f32)], "det_valid")
    det_boxes = g.op(
        "GatherND", [cand_boxes, g.op("Unsqueeze", [det_flat, g.const([2], i64)])], "det_boxes", batch_dims=1
    )
    valid_f = g.op("Cast", [det_valid], "valid_f", to=onnx.TensorProto.FLOAT)
    det_boxes = g.op("Mul", [det_boxes, g.op("Unsqueeze", [valid_f, g.const([2], i64)])], "det_boxes_masked")
    det_classes = g.op("Div", [det_flat, g.const(k, i64)], "det_class")
    det_classes = g.op(
        "Mul", [det_classes, g.op("Cast", [det_valid], to=onnx.TensorProto.INT64)], "det_class_masked"
    )
    return det_boxes, det_scores, det_classes, det_valid


# ---------------------------------------------------------------------------
# ONNX export: a traced network body, then hand-built post-processing nodes.


def export_onnx_with_postprocess(
    body: torch.nn.Module,
    example: torch.Tensor,
    input_name: str,
    append: Any,
    path: str,
    opset: int = 13,
) -> None:
    """Write ``body`` (traced with torch's TorchScript exporter) followed by the
    nodes ``append(g, body_output_names)`` adds; ``append`` returns the graph
    outputs as ``(node output, final name, elem type, shape)``, and each is
    renamed to its final name with an Identity node. The batch axis is
    symbolic (``N``). Imports ``onnx`` here.
    """
    import warnings

    import onnx
    from onnx import helper

    buf = io.BytesIO()
    body_outs = [f"body_out_{i}" for i in range(len(body(example)))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            body,
            (example,),
            buf,  # type: ignore[arg-type]  # a file object works; the stubs say path only
            dynamo=False,
            input_names=[input_name],
            output_names=body_outs,
            dynamic_axes={input_name: {0: "N"}, **{o: {0: "N"} for o in body_outs}},
            opset_version=opset,
        )
    model = onnx.load_from_string(buf.getvalue())
    g = OnnxGraphBuilder("post")
    outputs = append(g, body_outs)
    graph = model.graph
    graph.node.extend(g.nodes)
    graph.initializer.extend(g.initializers)
    del graph.output[:]
    for node_out, final, elem_type, shape in outputs:
        graph.node.append(helper.make_node("Identity", [node_out], [final]))
        graph.output.append(helper.make_tensor_value_info(final, elem_type, shape))
    save_model(model, path)
