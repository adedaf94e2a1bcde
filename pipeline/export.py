"""Export a trained bundle to ONNX (fp32 and dynamic int8) and pick the fastest backend that agrees with torch."""
from __future__ import annotations

import warnings
from pathlib import Path

from pipeline.model import ONNX_FILE, ONNX_INT8_FILE, read_meta, write_meta
from pipeline.predict import load_predictor

# Fastest first, as measured on a 2-core CPU (see benchmarks/bench_scoring.py).
BACKENDS_BY_SPEED = ("onnx-int8", "onnx", "torch")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(folder: Path) -> None:
    """``model.onnx`` with dynamic batch and sequence axes, and ``model.int8.onnx`` quantized from it."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

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
        # Per-channel int8 weights on the MatMuls only: per-tensor scales, or quantized embedding lookups,
        # flipped ~7% of labels against torch; this keeps agreement above 99%.
        quantize_dynamic(
            str(folder / ONNX_FILE),
            str(folder / ONNX_INT8_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )


def choose_backend(folder: Path, texts: list[str], min_agreement: float, threads: int = 0) -> dict[str, float]:
    """Label agreement of each ONNX backend with torch on ``texts``; records the default in the bundle."""
    reference = [p.label for p in load_predictor(folder, "torch", threads=threads).predict(texts)]
    agreement = {"torch": 1.0}
    for backend in ("onnx", "onnx-int8"):
        labels = [p.label for p in load_predictor(folder, backend, threads=threads).predict(texts)]
        agreement[backend] = sum(a == b for a, b in zip(labels, reference)) / max(len(texts), 1)
    meta = read_meta(folder)
    meta.agreement = agreement
    meta.default_backend = next(b for b in BACKENDS_BY_SPEED if agreement[b] >= min_agreement)
    write_meta(folder, meta)
    return agreement
