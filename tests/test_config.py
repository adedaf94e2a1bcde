"""Config validation: every bad setting is caught before any work, with the offending key named."""
import pytest

from pipeline.config import load_config
from pipeline.labels import expand_files
from pipeline.types import StanceError
from tests.conftest import REPO

DEFAULT = REPO / "configs" / "default.yaml"


def config_file(tmp_path, text: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_configs_are_valid():
    assert load_config(DEFAULT).train.epochs >= 1
    tiny = load_config(REPO / "configs" / "tiny.yaml")
    assert tiny.train.epochs == 1 and tiny.score.chunk_articles == load_config(DEFAULT).score.chunk_articles


def test_every_shipped_config_loads_and_names_existing_data():
    """A config that extends another and lists data files must still find them (expand_files fails otherwise)."""
    for path in sorted((REPO / "configs").glob("*.yaml")):
        files = expand_files(load_config(path).data.files, root=REPO)
        assert files and all(f.suffix == ".jsonl" for f in files), path
    all_natural = expand_files(load_config(REPO / "configs" / "all_natural.yaml").data.files, root=REPO)
    assert len(all_natural) > len(expand_files(load_config(DEFAULT).data.files, root=REPO))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lables: [a, b]\n", "unknown key 'lables'"),
        ("train:\n  epoch: 3\n", "unknown key 'train.epoch'"),
        ("train:\n  epochs: three\n", "'train.epochs' must be int, got 'three'"),
        ("train:\n  epochs: 2.5\n", "'train.epochs' must be int"),
        ("train:\n  calibrate: 'yes'\n", "'train.calibrate' must be bool"),
        ("score:\n  batch_size: true\n", "'score.batch_size' must be int"),
        ("train: 5\n", "'train' must be a section"),
        ("data:\n  files: data/a.jsonl\n", "'data.files' must be list"),
        ("train:\n  epochs: 0\n", "'train.epochs' must be between 1 and 100, got 0"),
        ("train:\n  learning_rate: 3\n", "'train.learning_rate' must be between"),
        ("data:\n  val_fraction: -0.1\n", "'data.val_fraction' must be between 0.0 and 0.5"),
        ("data:\n  val_fraction: 0.45\n  test_fraction: 0.45\n", "leave too little to train on"),
        ("score:\n  backend: gpu\n", "'score.backend' must be one of"),
        ("score:\n  chunk_articles: 0\n", "'score.chunk_articles' must be between 1"),
        ("score:\n  int8_keep_fp32: [layer.0/]\n", "'score.int8_keep_fp32\\[0\\]' must be list"),
        ("score:\n  int8_keep_fp32: []\n", "'score.int8_keep_fp32' must list at least one int8 export"),
        ("seed: null\n", "'seed' must not be empty"),
    ],
)
def test_bad_setting_is_named(tmp_path, text, message):
    with pytest.raises(StanceError, match=message.replace("(", r"\(").replace(".", r"\.")) as caught:
        load_config(config_file(tmp_path, text))
    assert str(caught.value).startswith(str(tmp_path / "bad.yaml"))


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("[welcoming]", "at least two distinct labels"),
        ("[welcoming, welcoming, neutral]", "at least two distinct labels"),
        ("[welcoming, 3]", "'labels\\[1\\]' must be str, got 3"),
        ("['welcoming', 'critical of us']", "'labels' entry 'critical of us' must be a word"),
        ("['welcoming', '']", "'labels' entry '' must be a word"),
    ],
)
def test_bad_labels_are_rejected(tmp_path, labels, message):
    with pytest.raises(StanceError, match=message):
        load_config(config_file(tmp_path, f"labels: {labels}\n"))


def test_overrides_are_typed_and_validated_like_the_file():
    config = load_config(DEFAULT, ["train.learning_rate=3e-5", "score.backend=onnx", "data.max_examples=100"])
    assert (config.train.learning_rate, config.score.backend, config.data.max_examples) == (3e-5, "onnx", 100)
    with pytest.raises(StanceError, match="unknown key 'train.learnin_rate'"):
        load_config(DEFAULT, ["train.learnin_rate=3e-5"])
    with pytest.raises(StanceError, match="'train.epochs' must be between 1 and 100, got 1000"):
        load_config(DEFAULT, ["train.epochs=1000"])


@pytest.mark.parametrize(("item", "message"), [("train.epochs", "expected key=value"), ("=3", "expected key=value"), ("seed.value=1", "'seed' is a setting, not a section")])
def test_malformed_override_is_named(item, message):
    with pytest.raises(StanceError, match=f"override .*{message}"):
        load_config(DEFAULT, [item])


@pytest.mark.parametrize(
    ("text", "message"),
    [("train: [unclosed\n", "not valid YAML"), ("- a\n- b\n", "must be a mapping"), ("extends: missing.yaml\n", "missing.yaml: config file not found")],
)
def test_unreadable_config_file_is_named(tmp_path, text, message):
    with pytest.raises(StanceError, match=message):
        load_config(config_file(tmp_path, text))


def test_missing_config_file():
    with pytest.raises(StanceError, match="nope.yaml: config file not found"):
        load_config("nope.yaml")


def test_worker_plan_splits_the_cores_between_processes(monkeypatch):
    from pipeline import predict
    from pipeline.score import worker_plan

    monkeypatch.setattr(predict.os, "sched_getaffinity", lambda pid: set(range(8)))
    assert worker_plan(0, 0) == (8, 1)  # one process per core
    assert worker_plan(2, 0) == (2, 4)
    assert worker_plan(1, 6) == (1, 6)
    assert worker_plan(4, 2) == (4, 1)  # never fewer than one thread each
