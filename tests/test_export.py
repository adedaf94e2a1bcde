"""The ONNX export on the tiny trained bundle: SmoothQuant keeps the fp32 function and shrinks the int8 error;
the int8 exports are tried fastest first until one agrees with torch."""
import shutil

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from pipeline import export
from pipeline.config import ScoreConfig
from pipeline.export import quantize_int8, smooth_activations
from pipeline.labels import load_labelled
from pipeline.model import ONNX_FILE, ONNX_INT8_FILE, read_meta
from pipeline.predict import load_predictor
from tests.conftest import REPO
from tests.test_predict import SENTENCES

pytestmark = pytest.mark.slow

AUTHORED = [r.sentence for r in load_labelled(sorted((REPO / "data" / "authored").glob("*.jsonl")), ["welcoming", "conditional", "critical_of_us", "neutral"])]
CALIBRATION, HELD_OUT = AUTHORED[::20][:100], AUTHORED[7::20][:100]  # smoothing needs ~64+ sentences to see the outliers


def _feeds(bundle, texts):
    predictor = load_predictor(bundle, "onnx", threads=2)
    return [dict(zip(("input_ids", "attention_mask", "token_type_ids"), batch)) for _, batch in predictor.batches(texts)]


def _logits(graph, feeds):
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    return np.concatenate([session.run(["logits"], {k: v for k, v in f.items() if k in wanted})[0] for f in feeds])


def test_smoothing_leaves_the_fp32_function_unchanged(trained):
    original = onnx.load(str(trained["bundle"] / ONNX_FILE))
    smoothed = onnx.load(str(trained["bundle"] / ONNX_FILE))
    smooth_activations(smoothed, _feeds(trained["bundle"], CALIBRATION), alpha=0.8)
    feeds = _feeds(trained["bundle"], SENTENCES)
    assert sum(node.op_type == "Mul" and node.name.endswith("/smooth") for node in smoothed.graph.node) > 0
    np.testing.assert_allclose(_logits(smoothed, feeds), _logits(original, feeds), atol=1e-4)


def _int8_error(bundle, smoothing, keep_fp32):
    quantize_int8(bundle, CALIBRATION, smoothing, keep_fp32)
    feeds = _feeds(bundle, HELD_OUT)
    reference = _logits(onnx.load(str(bundle / ONNX_FILE)), feeds)
    return np.abs(_logits(onnx.load(str(bundle / ONNX_INT8_FILE)), feeds) - reference).mean()


def test_smoothing_shrinks_the_int8_error(trained, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(trained["bundle"], bundle)
    assert _int8_error(bundle, 0.8, []) < _int8_error(bundle, 0.0, [])


def _layer0_output_ops(bundle):
    return {n.op_type for n in onnx.load(str(bundle / ONNX_INT8_FILE)).graph.node if "layer.0/output/dense/" in n.name}


def test_kept_matmuls_stay_fp32_in_the_int8_model(trained, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(trained["bundle"], bundle)
    quantize_int8(bundle, CALIBRATION, 0.8, ["layer.0/output/dense/"])
    nodes = onnx.load(str(bundle / ONNX_INT8_FILE)).graph.node
    quantized = {n.op_type for n in nodes if "layer.1/output/dense/" in n.name}
    assert "MatMul" in _layer0_output_ops(bundle) and "MatMulInteger" not in _layer0_output_ops(bundle)
    assert "MatMulInteger" in quantized and "MatMul" not in quantized


@pytest.mark.parametrize(
    ("int8_matches", "kept", "backend"),
    [([4], [], "onnx-int8"), ([3, 4], ["layer.0/output/dense/"], "onnx-int8"), ([2, 3], ["layer.0/output/dense/"], "onnx")],
)
def test_int8_exports_are_tried_fastest_first_until_one_agrees(trained, tmp_path, monkeypatch, int8_matches, kept, backend):
    """How many of 4 labels each int8 export gets right is scripted (min_agreement 1.0); the exports are real."""
    bundle = tmp_path / "bundle"
    shutil.copytree(trained["bundle"], bundle)
    matches = iter(int8_matches)
    reference = ["neutral"] * 4

    def scripted_labels(folder, backend, texts, batch_size, threads):
        right = 4 if backend in ("torch", "onnx") else next(matches)
        return reference[:right] + ["welcoming"] * (4 - right)

    monkeypatch.setattr(export, "predicted_labels", scripted_labels)
    score = ScoreConfig(min_agreement=1.0, int8_keep_fp32=[[], ["layer.0/output/dense/"]])
    agreement, kept_fp32 = export.export_backends(bundle, CALIBRATION, HELD_OUT[:4], score, threads=2)
    assert kept_fp32 == kept and agreement == {"torch": 1.0, "onnx": 1.0, "onnx-int8": int8_matches[-1] / 4}
    assert next(matches, None) is None  # stopped at the first export that agreed
    assert ("MatMul" in _layer0_output_ops(bundle)) == bool(kept)  # the bundle holds the export last tried
    assert read_meta(bundle).default_backend == backend and read_meta(bundle).agreement == agreement
