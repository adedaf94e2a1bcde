"""Train a tiny model, then score a seed article and classify sentences with it: the whole flow once."""
import json

import mlflow
import pytest

from pipeline.model import read_meta
from pipeline.predict import load_predictor
from pipeline.score import classify_file, score_inputs
from pipeline.types import StanceError
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


def test_training_writes_a_complete_bundle_and_points_latest(trained):
    bundle = trained["bundle"]
    meta = read_meta(bundle)
    assert meta.labels == trained["config"].labels
    assert meta.run_id == trained["result"]["run_id"]
    assert meta.temperature > 0
    assert {"model.safetensors", "tokenizer.json", "model.onnx", "model.int8.onnx", "stance.json"} <= {p.name for p in bundle.iterdir()}
    assert (bundle.parent / "latest").resolve() == bundle.resolve()
    assert not [p for p in bundle.parent.iterdir() if p.name.startswith(".staging")]


def test_training_run_is_tracked_with_metrics_artifacts_and_registry(trained):
    mlflow.set_tracking_uri(trained["config"].tracking.uri)
    run = mlflow.get_run(trained["result"]["run_id"])
    assert run.info.status == "FINISHED"
    for metric in ("test_macro_f1", "test_accuracy", "ece", "train_seconds", "val_macro_f1", "train_loss", "int8_agreement", "wire_macro_f1"):
        assert metric in run.data.metrics, metric
    assert run.data.params["train.epochs"] == "1"
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id)}
    assert {"charts", "reports", "config", "errors"} <= artifacts
    version = mlflow.MlflowClient().get_model_version("stance-classifier", trained["result"]["version"])
    assert version.run_id == run.info.run_id


def test_score_a_seed_article_end_to_end(trained, tmp_path):
    article = SEEDS / "000_1fb407c2100f6e10.txt"
    output = tmp_path / "scores.jsonl"
    predictor = load_predictor(trained["bundle"])
    summary = score_inputs([str(article)], output, predictor, trained["config"].extraction, chunk_articles=4, progress=False)
    rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    text = article.read_text(encoding="utf-8")
    assert len(rows) == summary.sentences >= 5
    labels = trained["config"].labels
    for row in rows:
        assert text[row["start"] : row["end"]] == row["sentence"]
        assert row["label"] in labels
        assert abs(sum(row[f"p_{l}"] for l in labels) - 1) < 1e-4
        assert row["confidence"] == max(row[f"p_{l}"] for l in labels)
    assert any(row["speaker"] == "Dmitry Peskov" for row in rows)


def test_classify_keeps_input_order_and_extra_fields(trained, tmp_path):
    source = tmp_path / "sentences.jsonl"
    sentences = ["We welcome the summit.", "Sanctions must be lifted first.", "The meeting is on Tuesday."]
    source.write_text("".join(json.dumps({"sentence": s, "ref": i}) + "\n" for i, s in enumerate(sentences)), encoding="utf-8")
    output = tmp_path / "labels.csv"
    assert classify_file(source, output, load_predictor(trained["bundle"], "torch")) == 3
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("sentence,ref,label,confidence,p_welcoming")
    assert [line.split(",")[0] for line in lines[1:]] == sentences


def test_worker_processes_write_the_same_rows_as_one_process(trained, tmp_path):
    """Chunks scored in two processes come back in input order, with the predictor reloaded there."""
    predictor = load_predictor(trained["bundle"], "onnx", threads=2)
    outputs = {}
    for workers in (1, 2):
        outputs[workers] = tmp_path / f"scores-{workers}.jsonl"
        summary = score_inputs([str(SEEDS)], outputs[workers], predictor, trained["config"].extraction, chunk_articles=1,
                               progress=False, workers=workers, worker_threads=1)
        assert summary.articles == 5
    assert outputs[1].read_text(encoding="utf-8") == outputs[2].read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*chunks"))


def _cannot_load(threads: int):
    raise StanceError("models/gone/model.int8.onnx: cannot load ONNX model (NoSuchFile)")


def test_a_worker_that_cannot_load_the_model_fails_the_run(trained, tmp_path):
    """A model that vanished between the parent's load and the workers' is an error, not a pool restarting forever."""
    predictor = load_predictor(trained["bundle"], "onnx", threads=2)
    predictor.reload = _cannot_load
    output = tmp_path / "scores.jsonl"
    with pytest.raises(StanceError, match="cannot load ONNX model"):
        score_inputs([str(SEEDS)], output, predictor, trained["config"].extraction, chunk_articles=1,
                     progress=False, workers=2, worker_threads=1)
    assert not output.exists()
