"""The commands' work: each job wires stages together and tracks itself in MLflow. ``cli`` only parses and prints."""
from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np

from pipeline import tracking
from pipeline.config import Config
from pipeline.data import _holdout, build_splits, grouped_folds, subsample, to_dataset
from pipeline.evaluate import EvalReport, evaluate_predictions, format_table, macro_f1_gain
from pipeline.labels import LabelledSentence, data_digest, expand_files, load_labelled
from pipeline.model import BundleMeta, read_meta, resolve_model, save_bundle
from pipeline.predict import Predictor, load_predictor
from pipeline.types import StanceError

Say = Callable[[str], None]


@dataclass
class TrainingData:
    rows: list[LabelledSentence]
    files: list[Path]
    digest: str


def training_data(config: Config) -> TrainingData:
    files = expand_files(config.data.files)
    rows = subsample(load_labelled(files, config.labels), config.data.max_examples, config.seed)
    return TrainingData(rows, files, data_digest(files))


def evaluation_sets(config: Config, corpus: Path | None, wire: list[LabelledSentence]) -> dict[str, tuple[list[str], list[str]]]:
    """Named (texts, labels) sets evaluated besides the test split: seeds, the wire set, real-corpus gold if given."""
    sets = {}
    if config.data.seed_gold and Path(config.data.seed_gold).exists():
        seeds = load_labelled([Path(config.data.seed_gold)], config.labels)
        sets["seed"] = ([r.sentence for r in seeds], [r.label for r in seeds])
    if wire:
        sets["wire"] = ([r.sentence for r in wire], [r.label for r in wire])
    if corpus is not None:
        from pipeline.gold import load_gold

        gold = load_gold(corpus)
        for prefix, fragment in (("corpus", False), ("corpus_fragments", True)):
            chosen = [g for g in gold if g.fragment == fragment and g.label is not None]
            sets[prefix] = ([g.sentence for g in chosen], [g.label for g in chosen])
    return sets


def wire_rows(config: Config) -> list[LabelledSentence]:
    """The labelled clauses of ``data.wire`` (none if unset or absent): realistic sentences never trained on."""
    if not config.data.wire or not (Path(config.data.wire) / "gold.jsonl").exists():
        return []
    from pipeline.gold import load_gold

    rows = [g for g in load_gold(config.data.wire) if g.label is not None and not g.fragment]
    unknown = sorted({g.label for g in rows} - set(config.labels))
    if unknown:
        raise StanceError(f"{Path(config.data.wire) / 'gold.jsonl'}: labels {unknown} are not in the configured labels")
    return [LabelledSentence(f"{g.file}:{g.start}", g.sentence, g.label, g.file, "wire", "", g.speaker) for g in rows]


def evaluate_all(predictor: Predictor, test, extra_sets: dict, config: Config, say: Say, prefix: str = "") -> list[EvalReport]:
    """One report per set: the test split first, then ``extra_sets``; metric names start with ``prefix`` + set name."""
    reports = []
    names = test.features["label"].names
    sets = {"test": (test["text"], [names[i] for i in test["label"]])} | extra_sets
    for name, (texts, gold) in sets.items():
        if not texts:
            continue
        report = evaluate_predictions(
            texts,
            gold,
            predictor.predict(texts),
            predictor.labels,
            prefix + name,
            bootstrap=config.evaluate.bootstrap,
            confidence=config.evaluate.confidence,
            seed=config.seed,
        )
        say(format_table(report))
        reports.append(report)
    return reports


def log_reports(reports: list[EvalReport]) -> dict[str, float]:
    """Log each report; the headline names every model shares: ``ece`` is the test split's."""
    metrics: dict[str, float] = {}
    for report in reports:
        tracking.log_report(report)
        metrics |= report.metrics
    if "test_ece" in metrics:
        mlflow.log_metric("ece", metrics["test_ece"])
        metrics["ece"] = metrics["test_ece"]
    return metrics


def train_job(config: Config, corpus: Path | None, say: Say) -> dict:
    """Fine-tune, export, evaluate, log and register; the bundle lands in ``models/`` only if all succeeded."""
    from pipeline.export import export_backends
    from pipeline.train import fine_tune

    experiment = tracking.setup(config)
    data = training_data(config)
    splits = build_splits(data.rows, config.labels, config.data.val_fraction, config.data.test_fraction, config.seed)
    wire = wire_rows(config)
    extra = evaluation_sets(config, corpus, wire)
    name = tracking.run_name("minilm")
    models = Path(config.models_dir)
    models.mkdir(parents=True, exist_ok=True)
    staging = models / f".staging-{name}-{os.getpid()}"
    say(f"training {name} on {len(splits['train'])} sentences ({len(splits['validation'])} validation, {len(splits['test'])} test)")
    try:
        with tracking.tracked_run(name, tracking.standard_tags(config, data.digest) | {"model_type": "fine-tuned"}, experiment) as run:
            tracking.log_config(config)
            tracking.log_datasets(splits, source=",".join(map(str, data.files)))
            result = fine_tune(
                config,
                splits["train"],
                splits["validation"],
                on_step=lambda step, loss: mlflow.log_metric("train_loss", loss, step=step),
                on_epoch=lambda epoch, m: (mlflow.log_metrics(m, step=epoch), say(f"epoch {epoch}: {m}")),
                calibration=to_dataset(wire, config.labels) if wire else None,
            )
            mlflow.log_metrics({"train_seconds": result.train_seconds, "best_epoch": result.best_epoch, "temperature": result.temperature})
            meta = BundleMeta(config.labels, config.model.max_length, result.temperature, config.model.base, run.info.run_id, name)
            save_bundle(staging, result.model, result.tokenizer, meta)
            calibration = splits["train"].shuffle(seed=config.seed).select(range(min(config.score.int8_calibration, len(splits["train"]))))
            agreement, kept_fp32 = export_backends(
                staging, calibration["text"], splits["test"]["text"] or splits["train"]["text"], config.score, config.train.threads
            )
            mlflow.log_metrics({"int8_agreement": agreement["onnx-int8"], "onnx_agreement": agreement["onnx"]})
            mlflow.set_tag("int8_fp32_matmuls", ",".join(kept_fp32) or "none")
            backend = read_meta(staging).default_backend
            mlflow.set_tag("default_backend", backend)
            metrics = log_reports(evaluate_all(load_predictor(staging, backend, config.score.batch_size), splits["test"], extra, config, say))
            info = tracking.log_model(staging, config.labels, config.tracking.registered_model, splits["train"]["text"][:3])
            final = models / name
            if final.exists():
                final = models / f"{name}-{run.info.run_id[:6]}"
            os.replace(staging, final)
            _point_latest(models, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"model saved to {final} (backend {backend}); registered {config.tracking.registered_model} v{info.registered_model_version}")
    return {"run_id": run.info.run_id, "run_name": name, "model_dir": str(final), "version": info.registered_model_version} | metrics


def _point_latest(models: Path, target: Path) -> None:
    """Swap ``models/latest`` to ``target`` atomically (a new symlink renamed over the old one)."""
    temp = models / ".latest.tmp"
    temp.unlink(missing_ok=True)
    temp.symlink_to(target.name)
    os.replace(temp, models / "latest")


def evaluate_job(config: Config, model_ref: str | None, corpus: Path | None, promote: bool, backend: str, say: Say) -> dict:
    """Evaluate a candidate (and the current champion on the same data) in one run; optionally promote."""
    experiment = tracking.setup(config)
    folder = resolve_model(model_ref, config)
    meta = read_meta(folder)
    data = training_data(config)
    splits = build_splits(data.rows, config.labels, config.data.val_fraction, config.data.test_fraction, config.seed)
    extra = evaluation_sets(config, corpus, wire_rows(config))
    name = f"eval-{meta.run_name or folder.name}"
    tags = tracking.standard_tags(config, data.digest) | {"model_type": "evaluation", "model_run_id": meta.run_id or ""}
    registry = config.tracking.registered_model
    candidate = tracking.version_of_run(registry, meta.run_id)
    champion = tracking.champion_version(registry)
    with tracking.tracked_run(tracking.run_name(name), tags, experiment):
        tracking.log_datasets({"test": splits["test"]}, source=",".join(map(str, data.files)))
        reports = evaluate_all(load_predictor(folder, backend, config.score.batch_size), splits["test"], extra, config, say)
        metrics = log_reports(reports)
        decision = {"candidate_version": candidate.version if candidate else None, "champion_version": None}
        if champion is not None and (candidate is None or champion.version != candidate.version):
            champion_folder = tracking.download_bundle(f"models:/{registry}@{tracking.CHAMPION}", config)
            champion_predictor = load_predictor(champion_folder, backend, config.score.batch_size)
            comparison = compare_with_champion(reports, champion_predictor, splits["test"], extra, config, say)
            mlflow.log_metrics(comparison)
            decision |= {"champion_version": champion.version} | comparison
            decision |= {"data_digest": data.digest, "champion_data_digest": tracking.run_tag(champion.run_id, "data_digest")}
        decision["candidate_test_macro_f1"] = metrics["test_macro_f1"]
        decision |= _promotion(registry, candidate, champion, decision, promote, say)
        mlflow.set_tags({"promotion": decision["verdict"]})
    return metrics | decision


def compare_with_champion(
    reports: list[EvalReport], champion: Predictor, test, extra_sets: dict, config: Config, say: Say
) -> dict[str, float]:
    """The champion scored on the candidate's sets (``champion_<set>_*``), and per set the candidate's macro-F1 gain
    over it (``<set>_gain_over_champion``) with a paired bootstrap interval (``_low`` / ``_high``)."""
    champion_reports = evaluate_all(champion, test, extra_sets, config, lambda message: None, prefix="champion_")
    metrics: dict[str, float] = {}
    for ours, theirs in zip(reports, champion_reports, strict=True):
        metrics |= theirs.metrics
        key = f"{ours.prefix}_gain_over_champion"
        if config.evaluate.bootstrap:
            gain, low, high = macro_f1_gain(
                ours.gold, ours.predicted, theirs.predicted, ours.labels,
                config.evaluate.bootstrap, config.evaluate.confidence, config.seed,
            )
            metrics |= {key: gain, f"{key}_low": low, f"{key}_high": high}
            interval = f" [{low:+.3f}, {high:+.3f}]"
        else:
            metrics[key] = ours.metrics[f"{ours.prefix}_macro_f1"] - theirs.metrics[f"{theirs.prefix}_macro_f1"]
            interval = ""
        say(f"{ours.prefix}: champion macro-F1 {theirs.metrics[f'{theirs.prefix}_macro_f1']:.3f}, gain {metrics[key]:+.3f}{interval}")
    return metrics


def _gain_interval(decision: dict) -> str:
    """The test gain's interval for the verdict, and a warning when it straddles zero."""
    low, high = decision.get("test_gain_over_champion_low"), decision.get("test_gain_over_champion_high")
    if low is None:
        return ""
    noise = "; within what the test sample leaves open" if low <= 0 <= high else ""
    return f"; gain {decision['test_gain_over_champion']:+.4f}, bootstrap interval [{low:+.4f}, {high:+.4f}]{noise}"


def _data_caveat(decision: dict) -> str:
    """Models trained on other data were split differently: the champion may have trained on today's test sentences."""
    theirs = decision.get("champion_data_digest")
    if not theirs or theirs == decision["data_digest"]:
        return ""
    return (
        f". Caution: the champion was trained on other data ({theirs}, now {decision['data_digest']}), so the test split"
        " may hold sentences it was trained on; the sets neither model trained on (seed, wire, corpus) compare them fairly"
    )


def _promotion(registry: str, candidate, champion, decision: dict, promote: bool, say: Say) -> dict:
    if candidate is None:
        verdict = "not registered: this model has no registry version, so it cannot become champion"
    elif champion is None:
        verdict = f"no champion yet: version {candidate.version} " + ("is now champion" if promote else "would become champion")
        if promote:
            tracking.set_champion(registry, candidate.version)
    elif champion.version == candidate.version:
        verdict = f"version {candidate.version} already holds the champion alias"
    elif decision["candidate_test_macro_f1"] > decision["champion_test_macro_f1"]:
        better = f"{decision['candidate_test_macro_f1']:.4f} > {decision['champion_test_macro_f1']:.4f}{_gain_interval(decision)}"
        verdict = f"version {candidate.version} beats champion v{champion.version} on test macro-F1 ({better})"
        if promote:
            tracking.set_champion(registry, candidate.version)
            verdict += "; champion moved"
    else:
        worse = f"{decision['candidate_test_macro_f1']:.4f} <= {decision['champion_test_macro_f1']:.4f}{_gain_interval(decision)}"
        verdict = f"champion stays v{champion.version}: candidate v{candidate.version} is not better on test macro-F1 ({worse})"
    verdict += _data_caveat(decision)
    say(verdict)
    return {"verdict": verdict}


def baselines_job(config: Config, corpus: Path | None, names: list[str], say: Say) -> dict[str, dict]:
    """Each baseline as its own run in the same experiment, with the same metric names as the fine-tuned model."""
    from pipeline.baselines import BASELINES

    experiment = tracking.setup(config)
    data = training_data(config)
    splits = build_splits(data.rows, config.labels, config.data.val_fraction, config.data.test_fraction, config.seed)
    extra = evaluation_sets(config, corpus, wire_rows(config))
    results = {}
    for name in names or list(BASELINES):
        if name not in BASELINES:
            raise StanceError(f"unknown baseline {name!r} (choose from {', '.join(BASELINES)})")
        tags = tracking.standard_tags(config, data.digest) | {"model_type": "baseline", "baseline": name}
        with tracking.tracked_run(tracking.run_name(name), tags, experiment) as run:
            tracking.log_config(config)
            tracking.log_datasets(splits, source=",".join(map(str, data.files)))
            baseline, seconds = BASELINES[name].fit(config, splits["train"], splits["validation"])
            mlflow.log_metric("train_seconds", seconds)
            say(f"— baseline {name}")
            results[name] = {"run_id": run.info.run_id} | log_reports(evaluate_all(baseline, splits["test"], extra, config, say))
    return results


def cv_job(config: Config, say: Say) -> dict:
    """k-fold cross-validation grouped by document: a parent run with one child run per fold."""
    from pipeline.train import fine_tune

    experiment = tracking.setup(config)
    data = training_data(config)
    folds = grouped_folds(data.rows, config.labels, config.cv.folds, config.seed)
    dataset = to_dataset(data.rows, config.labels)
    wire = wire_rows(config)
    calibration = to_dataset(wire, config.labels) if wire else None  # as in train_job, so fold ECE matches its test ECE
    scores = []
    tags = tracking.standard_tags(config, data.digest) | {"model_type": "cross-validation"}
    with tracking.tracked_run(tracking.run_name(f"cv{config.cv.folds}-minilm"), tags, experiment) as parent:
        tracking.log_config(config)
        for fold, (train_idx, test_idx) in enumerate(folds):
            y = np.array(dataset["label"])
            groups = np.array(dataset["document"])
            val_idx = _holdout(train_idx, y, groups, config.data.val_fraction, config.seed)
            fit_idx = np.setdiff1d(train_idx, val_idx)
            with tracking.tracked_run(f"fold-{fold}", tags | {"fold": str(fold)}, experiment, nested=True):
                result = fine_tune(
                    config,
                    dataset.select(fit_idx),
                    dataset.select(val_idx),
                    on_epoch=lambda epoch, m: mlflow.log_metrics(m, step=epoch),
                    calibration=calibration,
                )
                test = dataset.select(test_idx)
                with tempfile.TemporaryDirectory() as folder:
                    meta = BundleMeta(config.labels, config.model.max_length, result.temperature, config.model.base)
                    save_bundle(Path(folder), result.model, result.tokenizer, meta)
                    predictions = load_predictor(folder, "torch").predict(test["text"])
                gold = [config.labels[i] for i in test["label"]]
                report = evaluate_predictions(test["text"], gold, predictions, config.labels, "test")
                mlflow.log_metrics(report.metrics | {"train_seconds": result.train_seconds, "temperature": result.temperature})
                scores.append(report.metrics["test_macro_f1"])
                say(f"fold {fold}: test macro-F1 {scores[-1]:.3f}")
        summary = {"cv_macro_f1_mean": statistics.mean(scores), "cv_macro_f1_sd": statistics.stdev(scores) if len(scores) > 1 else 0.0}
        mlflow.log_metrics(summary)
    say(f"cross-validation macro-F1: {summary['cv_macro_f1_mean']:.3f} ± {summary['cv_macro_f1_sd']:.3f}")
    return summary | {"run_id": parent.info.run_id, "folds": scores}


def extraction_job(config: Config, corpus: Path, say: Say) -> dict[str, float]:
    """Run the scorer's extraction over a gold corpus and log quote/speaker/sentence metrics."""
    from pipeline.gold import extraction_metrics, load_gold, read_corpus_articles
    from pipeline.score import extract_sentences

    experiment = tracking.setup(config)
    articles = read_corpus_articles(corpus)
    sentences = {name: extract_sentences(article, config.extraction) for name, article in articles.items()}
    metrics = extraction_metrics(articles, sentences, load_gold(corpus))
    tags = tracking.git_tags() | {"model_type": "extraction", "config_digest": config.digest()}
    with tracking.tracked_run(tracking.run_name("extraction"), tags, experiment):
        mlflow.log_params({f"extraction.{k}": v for k, v in vars(config.extraction).items()} | {"corpus": str(corpus)})
        mlflow.log_metrics(metrics)
    for key, value in sorted(metrics.items()):
        say(f"{key:<36}{value:.4f}")
    return metrics
