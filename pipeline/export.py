"""Export a trained bundle to ONNX (fp32 and dynamic int8) and pick the fastest backend that agrees with torch."""
from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np

from pipeline.config import ScoreConfig
from pipeline.model import ONNX_FILE, ONNX_INT8_FILE, read_meta, write_meta
from pipeline.predict import load_predictor

# Fastest first, as measured on a 2-core CPU (see benchmarks/bench_scoring.py).
BACKENDS_BY_SPEED = ("onnx-int8", "onnx", "torch")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_backends(
    folder: Path, calibration_texts: list[str], agreement_texts: list[str], score: ScoreConfig, threads: int = 0
) -> tuple[dict[str, float], list[str]]:
    """``model.onnx``, then the int8 exports of ``score.int8_keep_fp32`` from the fastest (fewest fp32 MatMuls)
    until one agrees with torch on ``score.min_agreement`` of ``agreement_texts``; the last one tried stays.

    Returns the label agreement of each backend with torch and the MatMuls kept fp32; the bundle records the
    agreement and its default backend, the fastest that reaches ``score.min_agreement``.
    """
    export_onnx(folder)
    reference = predicted_labels(folder, "torch", agreement_texts, score.batch_size, threads)

    def agreement_of(backend: str) -> float:
        labels = predicted_labels(folder, backend, agreement_texts, score.batch_size, threads)
        return sum(a == b for a, b in zip(labels, reference)) / max(len(reference), 1)

    agreement = {"torch": 1.0, "onnx": agreement_of("onnx")}
    for keep_fp32 in score.int8_keep_fp32:
        quantize_int8(folder, calibration_texts, score.int8_smoothing, keep_fp32)
        agreement["onnx-int8"] = agreement_of("onnx-int8")
        if agreement["onnx-int8"] >= score.min_agreement:
            break
    meta = read_meta(folder)
    meta.agreement = agreement
    meta.default_backend = next(b for b in BACKENDS_BY_SPEED if agreement[b] >= score.min_agreement)
    write_meta(folder, meta)
    return agreement, keep_fp32


def export_onnx(folder: Path) -> None:
    """``model.onnx``: the trained classifier with dynamic batch and sequence axes."""
    import torch

    from pipeline.classifier import load_classifier

    model = load_classifier(folder).eval()
    example = torch.ones((2, 8), dtype=torch.long)
    dynamic = {name: {0: "batch", 1: "sequence"} for name in _INPUTS} | {"logits": {0: "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example, example, torch.zeros_like(example)),
            str(folder / ONNX_FILE),
            input_names=list(_INPUTS),
            output_names=["logits"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )


def quantize_int8(folder: Path, calibration_texts: list[str], smoothing: float, keep_fp32: list[str]) -> None:
    """``model.int8.onnx``, dynamically quantized from ``model.onnx``.

    Dynamic int8 quantizes each activation with one scale per tensor, so a few outlier channels (the FFN input
    peaks ~15x its median channel in MiniLM) cost every other channel its precision; smoothing ``calibration_texts``'
    activation ranges into the weights first cuts the int8 logit error about threefold. MatMuls whose names
    contain a ``keep_fp32`` part stay fp32: the first layers' FFN outputs, whose inputs smoothing tames least.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(folder / ONNX_FILE))
    if smoothing > 0 and calibration_texts:
        feeds = [dict(zip(_INPUTS, batch)) for _, batch in load_predictor(folder, "onnx").batches(calibration_texts)]
        smooth_activations(graph, feeds, smoothing)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        source = Path(scratch) / "smoothed.onnx"
        onnx.save(graph, str(source))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Per-channel int8 weights on the MatMuls with constant weights only: per-tensor scales, or quantized
            # embedding lookups, flipped ~7% of labels against torch.
            quantize_dynamic(
                str(source),
                str(folder / ONNX_INT8_FILE),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
                nodes_to_exclude=[node.name for node in graph.graph.node if any(part in node.name for part in keep_fp32)],
            )


def smooth_activations(graph, feeds: list[dict[str, np.ndarray]], alpha: float) -> None:
    """SmoothQuant (Xiao et al., 2023) on an ONNX graph, in place; the fp32 function is unchanged.

    Every activation X that feeds MatMuls with constant weights W gets a ``Mul`` by 1/s in front, and the rows
    of each W are scaled by s, with s_j = max|X_j|^alpha / max|W_j|^(1-alpha) measured on ``feeds``. A ``Mul`` is
    needed (rather than folding s into the LayerNorm before) because BERT's LayerNorm outputs also feed the
    residual stream.
    """
    import onnx
    from onnx import helper, numpy_helper

    weights = {init.name: init for init in graph.graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.graph.node:
        if node.op_type == "MatMul" and node.input[1] in weights:
            consumers.setdefault(node.input[0], []).append(node)
    activation_max = _channel_max(graph, list(consumers), feeds)
    inserted = {}
    for name, nodes in consumers.items():
        matrices = [numpy_helper.to_array(weights[node.input[1]]) for node in nodes]
        weight_max = np.max([np.abs(m).max(axis=1) for m in matrices], axis=0)
        scale = activation_max[name] ** alpha / np.maximum(weight_max, 1e-5) ** (1 - alpha)
        scale = np.clip(scale, 1e-5, None).astype(np.float32)
        graph.graph.initializer.append(numpy_helper.from_array(1.0 / scale, f"{name}/smooth_scale"))
        inserted[nodes[0].name] = helper.make_node("Mul", [name, f"{name}/smooth_scale"], [f"{name}/smoothed"], name=f"{name}/smooth")
        for node, matrix in zip(nodes, matrices):
            weights[node.input[1]].CopyFrom(numpy_helper.from_array(matrix * scale[:, None], node.input[1]))
            node.input[0] = f"{name}/smoothed"
    ordered = []
    for node in graph.graph.node:  # each Mul goes just before the first MatMul that reads it
        if node.name in inserted:
            ordered.append(inserted[node.name])
        ordered.append(node)
    del graph.graph.node[:]
    graph.graph.node.extend(ordered)
    onnx.checker.check_model(graph)


def _channel_max(graph, tensors: list[str], feeds: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """max |x| per last-axis channel of each named intermediate tensor, over every batch in ``feeds``."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(graph)
    probe.graph.output.extend(onnx.ValueInfoProto(name=name) for name in tensors)
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    peaks = {name: np.zeros(1, dtype=np.float32) for name in tensors}
    for feed in feeds:
        for name, value in zip(tensors, session.run(tensors, {k: v for k, v in feed.items() if k in wanted})):
            peaks[name] = np.maximum(peaks[name], np.abs(value).reshape(-1, value.shape[-1]).max(axis=0))
    return peaks


def predicted_labels(folder: Path, backend: str, texts: list[str], batch_size: int, threads: int = 0) -> list[str]:
    """Labels in batches of the scoring ``batch_size``: int8 quantizes activations with one scale per batch, so
    its labels depend on the batch size."""
    return [p.label for p in load_predictor(folder, backend, batch_size, threads).predict(texts)]
