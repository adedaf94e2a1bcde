"""Shared fixtures: an isolated working directory (own MLflow store and models/) and one tiny trained model."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
CORPUS = REPO.parent / "shared" / "corpus"
TINY = REPO / "configs" / "tiny.yaml"


def tiny_config(workdir: Path, overrides: list[str] | None = None) -> Config:
    """The tiny config with every path absolute, so runs write only inside ``workdir``."""
    return load_config(TINY, tiny_overrides(workdir) + (overrides or []))


def tiny_overrides(workdir: Path) -> list[str]:
    """The ``key=value`` settings behind ``tiny_config``, also for ``stance --set`` in a subprocess."""
    return [
        f"data.files=['{REPO}/data/authored/*.jsonl']",
        f"data.seed_gold={REPO}/data/seeds.jsonl",
        f"data.wire={REPO}/data/wire",
        f"models_dir={workdir}/models",
        f"tracking.uri=sqlite:///{workdir}/mlflow.db",
        f"tracking.artifact_root={workdir}/mlartifacts",
        "train.threads=2",
        "score.threads=2",
    ]


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> dict:
    """One tiny training run shared by the tests that need a model: its result, config and folder."""
    from pipeline.jobs import train_job

    folder = tmp_path_factory.mktemp("trained")
    previous = Path.cwd()
    os.chdir(folder)
    try:
        config = tiny_config(folder)
        result = train_job(config, None, lambda message: None)
    finally:
        os.chdir(previous)
    return {"config": config, "result": result, "workdir": folder, "bundle": Path(result["model_dir"])}


def corpus_or_skip() -> Path:
    if not (CORPUS / "gold.jsonl").exists():
        pytest.skip("../shared/corpus is absent")
    return CORPUS
