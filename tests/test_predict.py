"""The predictor backends on the tiny trained bundle: agreement with torch, batching, threads, lean imports."""
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from pipeline.model import ONNX_INT8_FILE
from pipeline.predict import load_predictor
from pipeline.types import StanceError
from tests.conftest import REPO, SEEDS

pytestmark = pytest.mark.slow

SENTENCES = [
    "We welcome the summit and hope it brings peace.",
    "Sanctions must be lifted before any talks can begin.",
    "Washington's interference in our affairs is unacceptable and must stop at once.",
    "The meeting is on Tuesday.",
    "If the United States keeps its word, we are ready to cooperate on a wide range of issues, including trade.",
    "No.",
]


def _probabilities(predictions, labels):
    return np.array([[p.probs[label] for label in labels] for p in predictions])


# The tiny test model is barely trained: its logits are flat and int8 rounding moves its probabilities by up to
# ~0.1 (measured 0.05-0.10 across data and smoothing settings); swapping two labels moves them by 0.2+. The
# trained model's agreement is measured at export (int8_agreement) and smoothing's effect in test_export.py.
@pytest.mark.parametrize("backend, tolerance", [("onnx", 1e-4), ("onnx-int8", 0.15)])
def test_onnx_backends_agree_with_torch(trained, backend, tolerance):
    labels = trained["config"].labels
    reference = load_predictor(trained["bundle"], "torch", threads=2).predict(SENTENCES)
    predictions = load_predictor(trained["bundle"], backend, threads=2).predict(SENTENCES)
    difference = np.abs(_probabilities(predictions, labels) - _probabilities(reference, labels)).max()
    assert difference <= tolerance
    if backend == "onnx":
        assert [p.label for p in predictions] == [p.label for p in reference]


def test_length_sorted_batches_give_each_sentence_its_own_prediction(trained):
    """Sorting and padding per batch must not leak between rows nor shuffle results against the input order."""
    labels = trained["config"].labels
    batched = load_predictor(trained["bundle"], "onnx", batch_size=4, threads=2).predict(SENTENCES)
    one_by_one = load_predictor(trained["bundle"], "onnx", batch_size=1, threads=2)
    single = [one_by_one.predict([sentence])[0] for sentence in SENTENCES]
    assert np.allclose(_probabilities(batched, labels), _probabilities(single, labels), atol=1e-5)


def test_thread_count_comes_from_the_setting(trained):
    predictor = load_predictor(trained["bundle"], "onnx-int8", threads=1)
    assert predictor.session.get_session_options().intra_op_num_threads == 1


def test_a_bundle_without_the_int8_model_is_a_clear_error(trained, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(trained["bundle"], bundle, ignore=shutil.ignore_patterns(ONNX_INT8_FILE))
    with pytest.raises(StanceError, match="no onnx-int8 model"):
        load_predictor(bundle, "onnx-int8")


def test_scoring_with_onnx_imports_neither_torch_nor_mlflow(trained, tmp_path):
    """The real ``stance score`` path, in a fresh interpreter, then a look at what it imported."""
    output = tmp_path / "scores.jsonl"
    script = (
        "import json, sys\n"
        "from pipeline.cli import main\n"
        f"code = main(['score', {str(SEEDS)!r}, '--model', {str(trained['bundle'])!r}, '--backend', 'onnx-int8',"
        f" '--output', {str(output)!r}, '--set', 'score.threads=2'])\n"
        "heavy = sorted(m for m in ('torch', 'mlflow', 'transformers') if m in sys.modules)\n"
        "print(json.dumps({'code': code, 'heavy': heavy}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "heavy": []}
    assert output.read_text(encoding="utf-8").count("\n") > 0
