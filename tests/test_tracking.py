"""MLflow tracking: params, tags, datasets, run ends, promotion and the registered model, on a SQLite store in tmp."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from pipeline import tracking
from pipeline.data import to_dataset
from pipeline.jobs import _promotion, evaluate_job
from pipeline.labels import LabelledSentence
from tests.conftest import REPO, tiny_config

LABELS = ["welcoming", "conditional", "critical_of_us", "neutral"]


def rows(sentences: list[str]) -> list[LabelledSentence]:
    return [
        LabelledSentence(f"r{i}", text, LABELS[i % len(LABELS)], f"doc{i}", "authored", "test", None)
        for i, text in enumerate(sentences)
    ]


def run_of(run) -> mlflow.entities.Run:
    return mlflow.get_run(run.info.run_id)


@pytest.fixture
def store(workdir):
    """The tiny config pointed at a fresh SQLite store in the test's working directory."""
    config = tiny_config(workdir)
    return config, tracking.setup(config)


def test_the_whole_config_is_logged_flattened_with_the_standard_tags(store):
    config, experiment = store
    tags = tracking.standard_tags(config, data_digest="abc123")
    with tracking.tracked_run("minilm-test", tags, experiment) as run:
        tracking.log_config(config)
    logged = run_of(run)
    assert set(logged.data.params) == set(config.flat())
    assert logged.data.params["train.learning_rate"] == str(config.train.learning_rate)
    assert logged.data.params["model.max_length"] == str(config.model.max_length)
    assert json.loads(logged.data.params["labels"]) == config.labels
    assert {"git_commit", "git_dirty", "config_digest", "label_set", "base_model"} <= set(logged.data.tags)
    assert logged.data.tags["data_digest"] == "abc123"
    assert logged.data.tags["label_set"] == ",".join(config.labels)
    label_map = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/config/label_map.json")
    assert label_map["label2id"] == {label: i for i, label in enumerate(config.labels)}
    resolved = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/config/resolved.yaml")
    assert "learning_rate" in resolved


def test_equal_data_gives_equal_dataset_digests_and_other_data_another(store):
    _, experiment = store
    sentences = ["We welcome the talks.", "Only if sanctions end.", "Washington is to blame.", "The talks are on Monday."]
    digests = []
    for texts in (sentences, list(sentences), [*sentences[:3], "The talks are on Tuesday."]):
        with tracking.tracked_run("datasets", {}, experiment) as run:
            tracking.log_datasets({"test": to_dataset(rows(texts), LABELS)}, source="test")
        (entry,) = run_of(run).inputs.dataset_inputs
        assert entry.dataset.name == "stance-test" and entry.tags[0].value == "test"
        digests.append(entry.dataset.digest)
    assert digests[0] == digests[1]
    assert digests[2] != digests[0]


def test_a_dataset_lost_to_a_concurrent_insert_is_retried_and_linked(store, monkeypatch):
    _, experiment = store
    real, calls = mlflow.log_input, []

    def loses_the_race_once(dataset, context=None):
        calls.append(context)
        if len(calls) == 1:
            raise mlflow.exceptions.MlflowException("duplicate key value violates unique constraint \"dataset_pk\"")
        real(dataset, context=context)

    monkeypatch.setattr(mlflow, "log_input", loses_the_race_once)
    with tracking.tracked_run("race", {}, experiment) as run:
        tracking.log_datasets({"test": to_dataset(rows(["We welcome the talks."] * 4), LABELS)}, source="test")
    assert calls == ["test", "test"]
    assert len(run_of(run).inputs.dataset_inputs) == 1


def test_other_dataset_errors_are_not_retried(store, monkeypatch):
    _, experiment = store
    calls = []

    def broken(dataset, context=None):
        calls.append(context)
        raise mlflow.exceptions.MlflowException("store is read-only")

    monkeypatch.setattr(mlflow, "log_input", broken)
    with pytest.raises(mlflow.exceptions.MlflowException, match="read-only"), tracking.tracked_run("broken", {}, experiment):
        tracking.log_datasets({"test": to_dataset(rows(["We welcome the talks."] * 4), LABELS)}, source="test")
    assert calls == ["test"]


def test_a_run_that_raises_ends_failed(store):
    _, experiment = store
    with pytest.raises(ValueError), tracking.tracked_run("fails", {}, experiment) as run:
        raise ValueError("broken batch")
    assert run_of(run).info.status == "FAILED"
    assert mlflow.active_run() is None


def test_an_interrupted_run_ends_killed(store):
    _, experiment = store
    with pytest.raises(KeyboardInterrupt), tracking.tracked_run("interrupted", {}, experiment) as run:
        raise KeyboardInterrupt
    assert run_of(run).info.status == "KILLED"
    assert mlflow.active_run() is None


def test_a_second_setup_reuses_the_experiment(store):
    config, experiment = store
    assert tracking.setup(config) == experiment
    assert tracking._create_experiment(config.tracking.experiment, None) == experiment  # lost a creation race


@pytest.fixture
def registry(store, tmp_path):
    """Two versions of a registered model in the SQLite store; version 1 holds ``champion``."""
    name = "stance-classifier"
    client = MlflowClient()
    client.create_registered_model(name)
    versions = [client.create_model_version(name, source=str(tmp_path)) for _ in range(2)]
    tracking.set_champion(name, versions[0].version)
    return name, versions


@pytest.mark.parametrize("candidate_f1, moves", [(0.70, True), (0.60, False), (0.55, False)])
def test_promotion_moves_champion_only_for_a_higher_macro_f1(registry, candidate_f1, moves):
    name, (first, second) = registry
    decision = {"candidate_test_macro_f1": candidate_f1, "champion_test_macro_f1": 0.60}
    messages = []
    verdict = _promotion(name, second, tracking.champion_version(name), decision, promote=True, say=messages.append)
    holder = tracking.champion_version(name).version
    assert holder == (second.version if moves else first.version)
    assert messages == [verdict["verdict"]]
    assert ("champion moved" in verdict["verdict"]) == moves
    if not moves:
        assert "not better" in verdict["verdict"]


@pytest.mark.parametrize("low, high, noise", [(-0.02, 0.06, True), (0.01, 0.07, False)])
def test_verdict_gives_the_gain_interval_and_says_when_it_straddles_zero(registry, low, high, noise):
    name, (first, second) = registry
    decision = {"candidate_test_macro_f1": 0.64, "champion_test_macro_f1": 0.60, "test_gain_over_champion": 0.04}
    decision |= {"test_gain_over_champion_low": low, "test_gain_over_champion_high": high}
    verdict = _promotion(name, second, tracking.champion_version(name), decision, promote=False, say=lambda m: None)["verdict"]
    assert f"gain +0.0400, bootstrap interval [{low:+.4f}, {high:+.4f}]" in verdict
    assert ("within what the test sample leaves open" in verdict) == noise


@pytest.mark.parametrize("champion_data, caution", [("aaaa", False), ("bbbb", True), (None, False)])
def test_verdict_cautions_when_the_champion_was_trained_on_other_data(registry, champion_data, caution):
    name, (first, second) = registry
    decision = {"candidate_test_macro_f1": 0.5, "champion_test_macro_f1": 0.6, "data_digest": "aaaa", "champion_data_digest": champion_data}
    verdict = _promotion(name, second, tracking.champion_version(name), decision, promote=False, say=lambda m: None)["verdict"]
    assert ("trained on other data (bbbb, now aaaa)" in verdict) == caution


def test_run_tag_reads_a_runs_tag_and_is_none_for_no_run(store):
    config, experiment = store
    with tracking.tracked_run("tagged", {"data_digest": "abc123"}, experiment) as run:
        pass
    assert tracking.run_tag(run.info.run_id, "data_digest") == "abc123"
    assert tracking.run_tag(run.info.run_id, "absent") is None
    assert tracking.run_tag(None, "data_digest") is None
    assert tracking.run_tag("0" * 32, "data_digest") is None


def test_without_promote_the_champion_never_moves(registry):
    name, (first, second) = registry
    decision = {"candidate_test_macro_f1": 0.99, "champion_test_macro_f1": 0.10}
    verdict = _promotion(name, second, tracking.champion_version(name), decision, promote=False, say=lambda m: None)
    assert tracking.champion_version(name).version == first.version
    assert "beats champion" in verdict["verdict"]


@pytest.mark.slow
def test_registered_model_loads_as_pyfunc_with_its_signature(trained):
    config = trained["config"]
    mlflow.set_tracking_uri(config.tracking.uri)
    mlflow.set_registry_uri(config.tracking.uri)
    model = mlflow.pyfunc.load_model(f"models:/{config.tracking.registered_model}/{trained['result']['version']}")
    assert model.metadata.get_input_schema().input_names() == ["sentence"]
    assert model.metadata.get_output_schema().input_names() == ["label", "confidence", *[f"p_{l}" for l in config.labels]]
    out = model.predict(pd.DataFrame({"sentence": ["We welcome the summit.", "The meeting is on Tuesday."]}))
    assert list(out.columns) == ["label", "confidence", *[f"p_{l}" for l in config.labels]]
    assert set(out["label"]) <= set(config.labels)
    assert ((out[[f"p_{l}" for l in config.labels]].sum(axis=1) - 1).abs() < 1e-4).all()


@pytest.fixture
def champion_of_trained(trained):
    """The session's trained model in its own store; the alias and any extra version are removed afterwards."""
    config = trained["config"]
    name = config.tracking.registered_model
    tracking.setup(config)
    before = {v.version for v in MlflowClient().search_model_versions(f"name='{name}'")}
    yield trained
    client = MlflowClient()
    client.delete_registered_model_alias(name, tracking.CHAMPION)
    for version in client.search_model_versions(f"name='{name}'"):
        if version.version not in before:
            client.delete_model_version(name, version.version)


def register_copy(config, bundle) -> str:
    """The same weights registered again by another run: a champion exactly as good as the candidate."""
    with tracking.tracked_run("copy", {}, tracking.setup(config)):
        info = tracking.log_model(bundle, config.labels, config.tracking.registered_model, ["We welcome the summit."])
    return str(info.registered_model_version)


@pytest.mark.slow
def test_evaluate_promotes_only_a_better_model_and_scores_via_the_alias(champion_of_trained, tmp_path):
    trained = champion_of_trained
    config, bundle = trained["config"], trained["bundle"]
    version = str(trained["result"]["version"])
    name = config.tracking.registered_model
    quiet = {"backend": "torch", "say": lambda m: None}

    dry = evaluate_job(config, str(bundle), None, promote=False, **quiet)
    assert "would become champion" in dry["verdict"] and tracking.champion_version(name) is None
    promoted = evaluate_job(config, str(bundle), None, promote=True, **quiet)
    assert "is now champion" in promoted["verdict"]
    assert str(tracking.champion_version(name).version) == version
    again = evaluate_job(config, str(bundle), None, promote=True, **quiet)
    assert "already holds the champion alias" in again["verdict"]

    rival = register_copy(config, bundle)
    tracking.set_champion(name, rival)
    tie = evaluate_job(config, str(bundle), None, promote=True, **quiet)
    assert tie["champion_version"] == tracking.champion_version(name).version and str(tie["champion_version"]) == rival
    assert tie["champion_test_macro_f1"] == tie["test_macro_f1"], "same weights, same test data, one evaluation run"
    for evaluated in ("test", "seed", "wire"):
        assert tie[f"{evaluated}_gain_over_champion"] == 0.0
        assert tie[f"{evaluated}_gain_over_champion_low"] == tie[f"{evaluated}_gain_over_champion_high"] == 0.0
    assert "not better" in tie["verdict"]

    sentences = tmp_path / "sentences.txt"
    sentences.write_text("We welcome the summit.\nSanctions must be lifted first.\n", encoding="utf-8")
    output = tmp_path / "labels.csv"
    from pipeline.cli import main

    code = main([
        "--config", str(REPO / "configs" / "tiny.yaml"), "classify", str(sentences), "--output", str(output),
        "--model", f"models:/{name}@champion", "--set", f"tracking.uri={config.tracking.uri}",
    ])
    assert code == 0
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and lines[1].startswith("We welcome the summit.,")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_mlflow_models_serve_answers_rest_scoring_requests(trained):
    """The documented request against ``mlflow models serve`` on the registered model."""
    config = trained["config"]
    port = free_port()
    model_uri = f"models:/{config.tracking.registered_model}/{trained['result']['version']}"
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # it execs the venv's uvicorn, as `make serve` does
    environment = os.environ | {"MLFLOW_TRACKING_URI": config.tracking.uri, "HF_HUB_OFFLINE": "1", "PATH": path}
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        body = json.dumps({"dataframe_records": [{"sentence": "We welcome the summit."}, {"sentence": "Washington is to blame."}]})
        answer = None
        for _ in range(240):
            assert server.poll() is None, server.stderr.read()[-2000:]
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body.encode(), headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.5)
        predictions = answer["predictions"]
        assert len(predictions) == 2
        assert all(p["label"] in config.labels and 0 < p["confidence"] <= 1 for p in predictions)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_baselines_log_the_same_metric_names_as_the_fine_tuned_model(workdir):
    from pipeline.jobs import baselines_job

    config = tiny_config(workdir)
    results = baselines_job(config, None, ["majority", "keywords"], say=lambda m: None)
    shared = {"test_macro_f1", "test_accuracy", "ece", "train_seconds"} | {f"test_f1_{label}" for label in config.labels}
    for name, result in results.items():
        run = mlflow.get_run(result["run_id"])
        assert shared <= set(run.data.metrics), (name, shared - set(run.data.metrics))
        assert run.info.run_name.startswith(f"{name}-") and run.info.status == "FINISHED"
        assert set(run.data.params) == set(config.flat())
