"""MLflow set-up, run lifecycle, logging helpers and the model registry (aliases, not stages)."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.entities import RunStatus
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import ColSpec, Schema

from pipeline.config import Config
from pipeline.evaluate import EvalReport, plot_confusion, plot_per_class
from pipeline.types import StanceError

CHAMPION = "champion"


def tracking_uri(config: Config) -> str:
    """Config, then ``$MLFLOW_TRACKING_URI``, then the embedded store ``sqlite:///mlflow.db`` here."""
    return config.tracking.uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path.cwd() / 'mlflow.db'}"


def setup(config: Config) -> str:
    """Point MLflow at the store, check it answers (before any work), and return the experiment id."""
    uri = tracking_uri(config)
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        experiment = mlflow.get_experiment_by_name(config.tracking.experiment)
        if experiment is not None:
            return experiment.experiment_id
        local_artifacts = None
        if uri.startswith("sqlite:") or uri.startswith("file:"):
            local_artifacts = (Path.cwd() / config.tracking.artifact_root).resolve().as_uri()
        return _create_experiment(config.tracking.experiment, local_artifacts)
    except Exception as err:  # any store error means the same thing to the user
        raise StanceError(f"tracking store {uri} is unreachable: {str(err).splitlines()[0][:200]}") from None


def _create_experiment(name: str, artifact_location: str | None) -> str:
    """Create it, or take the one a concurrent run created a moment earlier (two trainings against one server)."""
    try:
        return mlflow.create_experiment(name, artifact_location=artifact_location)
    except mlflow.exceptions.MlflowException:
        experiment = mlflow.get_experiment_by_name(name)
        if experiment is None:
            raise
        return experiment.experiment_id


def run_name(model: str) -> str:
    return f"{model}-{datetime.now():%Y%m%d-%H%M}"


def git_tags() -> dict[str, str]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    commit = git("rev-parse", "HEAD")
    return {"git_commit": commit or "unknown", "git_dirty": str(bool(git("status", "--porcelain"))).lower()}


def standard_tags(config: Config, data_digest: str) -> dict[str, str]:
    return git_tags() | {
        "data_digest": data_digest,
        "config_digest": config.digest(),
        "label_set": ",".join(config.labels),
        "base_model": config.model.base,
    }


@contextlib.contextmanager
def tracked_run(name: str, tags: dict[str, str], experiment_id: str, nested: bool = False, **kwargs):
    """A run that always ends: FINISHED, FAILED on an error, KILLED on Ctrl-C or SIGTERM."""
    run = mlflow.start_run(run_name=name, tags=tags, experiment_id=experiment_id, nested=nested, **kwargs)
    try:
        yield run
    except KeyboardInterrupt:
        mlflow.end_run(RunStatus.to_string(RunStatus.KILLED))
        raise
    except BaseException:
        mlflow.end_run(RunStatus.to_string(RunStatus.FAILED))
        raise
    mlflow.end_run(RunStatus.to_string(RunStatus.FINISHED))


def log_config(config: Config) -> None:
    mlflow.log_params({k: json.dumps(v) if isinstance(v, list) else v for k, v in config.flat().items()})
    mlflow.log_text(config.to_yaml(), "config/resolved.yaml")
    mlflow.log_dict({"labels": config.labels, "label2id": {l: i for i, l in enumerate(config.labels)}}, "config/label_map.json")


def log_datasets(splits: dict, source: str) -> None:
    """Each split as an MLflow dataset input; MLflow digests the content, so equal data shows as equal."""
    for split, dataset in splits.items():
        frame = dataset.to_pandas()
        frame["label"] = [dataset.features["label"].int2str(i) for i in frame["label"]]
        _log_input(mlflow.data.from_pandas(frame, source=source, targets="label", name=f"stance-{split}"), split)


def _log_input(dataset, context: str, attempts: int = 3) -> None:
    """Two runs logging the same new dataset at once race on MLflow's insert; the loser retries and links the winner's."""
    for attempt in range(1, attempts + 1):
        try:
            mlflow.log_input(dataset, context=context)
            return
        except mlflow.exceptions.MlflowException as err:
            duplicate = "duplicate key" in str(err) or "unique constraint" in str(err).lower()
            if not duplicate or attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


def log_report(report: EvalReport) -> None:
    """Metrics, confusion matrix and per-class charts, the text report and the misclassified table."""
    mlflow.log_metrics(report.metrics)
    with tempfile.TemporaryDirectory() as folder:
        mlflow.log_artifact(str(plot_confusion(report, Path(folder) / f"{report.prefix}_confusion_matrix.png")), "charts")
        mlflow.log_artifact(str(plot_per_class(report, Path(folder) / f"{report.prefix}_per_class.png")), "charts")
    mlflow.log_text(report.report, f"reports/{report.prefix}_classification_report.txt")
    columns = ["sentence", "true", "predicted", "confidence"]
    mlflow.log_table(pd.DataFrame(report.misclassified, columns=columns), f"errors/{report.prefix}_misclassified.json")


def signature(labels: list[str]) -> ModelSignature:
    outputs = [ColSpec("string", "label"), ColSpec("double", "confidence")]
    outputs += [ColSpec("double", f"p_{label}") for label in labels]
    return ModelSignature(inputs=Schema([ColSpec("string", "sentence")]), outputs=Schema(outputs))


def log_model(bundle: Path, labels: list[str], registered_model: str, example: list[str]):
    """Log the bundle as a pyfunc model (weights loaded in ``load_context``) and register a new version."""
    from pipeline.serving import StanceModel

    package = Path(__file__).resolve().parent
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=StanceModel(),
        artifacts={"bundle": str(bundle)},
        code_paths=[str(package)],
        signature=signature(labels),
        input_example=pd.DataFrame({"sentence": example}),
        pip_requirements=["onnxruntime", "tokenizers", "numpy", "pandas", "pyyaml", "scikit-learn", "mlflow"],
        registered_model_name=registered_model,
    )


def download_bundle(uri: str, config: Config) -> Path:
    """A local copy of the bundle inside a logged model (``models:/name@alias``, ``runs:/...``)."""
    setup(config)
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri)
    except Exception as err:
        raise StanceError(f"model {uri}: cannot be loaded from the registry ({str(err).splitlines()[0][:200]})") from None
    try:  # MLflow stores the bundle under its source folder's name; the MLmodel file records where
        flavor = mlflow.models.Model.load(Path(local) / "MLmodel").flavors["python_function"]
        bundle = Path(local) / flavor["artifacts"]["bundle"]["path"]
    except (OSError, KeyError, TypeError):
        bundle = None
    if bundle is None or not bundle.is_dir():
        raise StanceError(f"model {uri}: has no stance bundle inside")
    return bundle


def champion_version(name: str):
    """The registered version holding the ``champion`` alias, or None."""
    try:
        return MlflowClient().get_model_version_by_alias(name, CHAMPION)
    except mlflow.exceptions.MlflowException:
        return None


def set_champion(name: str, version: str) -> None:
    MlflowClient().set_registered_model_alias(name, CHAMPION, version)


def run_tag(run_id: str | None, key: str) -> str | None:
    """One tag of a run in this store; None without a run id, the run (purged) or the tag."""
    try:
        return MlflowClient().get_run(run_id).data.tags.get(key) if run_id else None
    except mlflow.exceptions.MlflowException:
        return None


def version_of_run(name: str, run_id: str | None):
    """The registered version logged by training run ``run_id``, or None."""
    if not run_id:
        return None
    versions = MlflowClient().search_model_versions(f"name='{name}' and run_id='{run_id}'")
    return versions[0] if versions else None
