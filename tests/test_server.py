"""The team set-up for real: PostgreSQL + ``mlflow server`` on free ports, two trainings at once, checked over REST."""
from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pipeline import server
from pipeline.config import load_config
from pipeline.types import StanceError
from tests.conftest import REPO

pytestmark = pytest.mark.slow

TINY = REPO / "configs" / "tiny.yaml"
LEARNING_RATES = ("5e-5", "1e-4")  # two different runs, as a team comparing settings would log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def team_server():
    """PostgreSQL and the MLflow server in a throwaway root; both stopped and the root removed afterwards."""
    try:
        server.postgres_bin("initdb")
        server.postgres_bin("pg_ctl")
    except StanceError as err:
        pytest.skip(f"PostgreSQL server binaries are absent ({err}); .ci/run installs them")
    root = Path(tempfile.mkdtemp(prefix="stance-team-"))
    root.chmod(0o755)  # PostgreSQL runs as another account when the tests run as root
    layout = server.ServerLayout(root / "pg")
    try:
        yield server.start(layout, port=free_port(), pg_port=free_port()), root
    finally:
        server.stop(layout)
        shutil.rmtree(root, ignore_errors=True)


def rest(url: str, endpoint: str, **query) -> dict:
    address = f"{url}/api/2.0/mlflow/{endpoint}"
    if query:
        address += "?" + urllib.parse.urlencode(query)
    with urllib.request.urlopen(address, timeout=30) as response:
        return json.loads(response.read())


def post(url: str, endpoint: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{url}/api/2.0/mlflow/{endpoint}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def artifact_paths(url: str, run_id: str, path: str = "") -> set[str]:
    """Every file under ``path`` in the run's artifacts, walked over the REST API."""
    found = set()
    for entry in rest(url, "artifacts/list", run_id=run_id, path=path).get("files", []):
        found |= artifact_paths(url, run_id, entry["path"]) if entry["is_dir"] else {entry["path"]}
    return found


def start_training(url: str, folder: Path, learning_rate: str) -> subprocess.Popen:
    """``stance train`` with the tiny config in its own working directory, logging to the server."""
    overrides = [
        f"data.files=['{REPO}/data/authored/*.jsonl']",
        f"data.seed_gold={REPO}/data/seeds.jsonl",
        f"train.learning_rate={learning_rate}",
        "train.threads=1",
        "score.threads=1",
    ]
    command = [sys.executable, "-m", "pipeline", "--config", str(TINY), "train"]
    for item in overrides:
        command += ["--set", item]
    environment = os.environ | {"MLFLOW_TRACKING_URI": url, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    folder.mkdir()
    return subprocess.Popen(command, cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> dict:
    """Wait for a training and return the result it printed last (a JSON object)."""
    try:
        stdout, stderr = process.communicate(timeout=1200)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout[stdout.rindex("\n{") :])


def test_two_trainings_at_once_against_the_postgres_backed_server(team_server):
    url, root = team_server
    processes = [start_training(url, root / f"work-{i}", rate) for i, rate in enumerate(LEARNING_RATES)]
    try:
        results = [finish(process) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()

    config = load_config(TINY)
    experiment = rest(url, "experiments/get-by-name", experiment_name="stance")["experiment"]
    runs = post(url, "runs/search", {"experiment_ids": [experiment["experiment_id"]], "max_results": 50})["runs"]
    assert {r["info"]["run_id"] for r in runs} == {r["run_id"] for r in results}, "exactly the two trainings, nothing else"

    for run in runs:
        info, data = run["info"], run["data"]
        assert info["status"] == "FINISHED"
        metrics = {m["key"] for m in data["metrics"]}
        wanted = {"test_macro_f1", "test_accuracy", "ece", "train_seconds", "val_macro_f1", "train_loss"}
        wanted |= {f"test_f1_{label}" for label in config.labels}
        assert wanted <= metrics, wanted - metrics
        params = {p["key"]: p["value"] for p in data["params"]}
        assert set(params) == set(config.flat()), "the whole flattened config"
        assert params["train.learning_rate"] in {str(float(rate)) for rate in LEARNING_RATES}
        tags = {t["key"]: t["value"] for t in data["tags"]}
        assert {"git_commit", "git_dirty", "data_digest", "config_digest", "label_set", "base_model"} <= set(tags)

        # nothing lost: one train_loss point per optimiser step of the logged train split
        inputs = {i["tags"][0]["value"]: i["dataset"] for i in run["inputs"]["dataset_inputs"]}
        assert set(inputs) == {"train", "validation", "test"}
        train_rows = json.loads(inputs["train"]["profile"])["num_rows"]
        steps = rest(url, "metrics/get-history", run_id=info["run_id"], metric_key="train_loss")["metrics"]
        assert len(steps) == math.ceil(train_rows / config.train.batch_size) * config.train.epochs

        files = artifact_paths(url, info["run_id"])
        assert {
            "charts/test_confusion_matrix.png", "charts/test_per_class.png", "reports/test_classification_report.txt",
            "errors/test_misclassified.json", "config/resolved.yaml", "config/label_map.json",
        } <= files, files

    assert len({r["inputs"]["dataset_inputs"][0]["dataset"]["digest"] for r in runs}) == 1, "same data, same digest"

    versions = rest(url, "model-versions/search", filter="name='stance-classifier'")["model_versions"]
    assert sorted(int(v["version"]) for v in versions) == [1, 2]
    assert {v["run_id"] for v in versions} == {r["run_id"] for r in results}
    assert all(v["status"] == "READY" for v in versions)
    for version in versions:
        assert version["source"].startswith("models:/m-"), version["source"]
        model_id = version["source"].removeprefix("models:/")
        model_files = {f["path"] for f in rest(url, f"logged-models/{model_id}/artifacts/directories").get("files", [])}
        assert {"MLmodel", "artifacts", "python_model.pkl"} <= model_files, model_files
