"""Metrics, charts and error tables for any predictor on any labelled sentences (same names for every model)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score, precision_recall_fscore_support

from pipeline.calibration import expected_calibration_error
from pipeline.types import Prediction


@dataclass
class EvalReport:
    prefix: str
    labels: list[str]
    metrics: dict[str, float]
    report: str
    confusion: np.ndarray
    per_class: dict[str, tuple[float, float, float, int]]  # label -> precision, recall, f1, support
    misclassified: list[dict]
    gold: list[str]
    predicted: list[str]


def evaluate_predictions(
    texts: list[str],
    gold: list[str],
    predictions: list[Prediction],
    labels: list[str],
    prefix: str,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
) -> EvalReport:
    """``<prefix>_macro_f1``, ``<prefix>_accuracy``, ``<prefix>_f1_<label>``, ``<prefix>_ece`` and, with
    ``bootstrap`` resamples, ``<prefix>_macro_f1_low`` / ``_high``: the interval a set this size leaves open."""
    predicted = [p.label for p in predictions]
    confidences = np.array([p.confidence for p in predictions])
    correct = np.array([g == p for g, p in zip(gold, predicted)])
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    metrics = {
        f"{prefix}_macro_f1": float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)),
        f"{prefix}_accuracy": float(accuracy_score(gold, predicted)) if gold else 0.0,
        f"{prefix}_ece": expected_calibration_error(confidences, correct),
        f"{prefix}_n": float(len(gold)),
    }
    metrics |= {f"{prefix}_f1_{label}": float(score) for label, score in zip(labels, f1)}
    if bootstrap and len(gold) > 1:
        low, high = macro_f1_interval(gold, predicted, labels, bootstrap, confidence, seed)
        metrics |= {f"{prefix}_macro_f1_low": low, f"{prefix}_macro_f1_high": high}
    misclassified = [
        {"sentence": t, "true": g, "predicted": p.label, "confidence": round(p.confidence, 4)}
        for t, g, p in zip(texts, gold, predictions)
        if g != p.label
    ]
    return EvalReport(
        prefix=prefix,
        labels=labels,
        metrics=metrics,
        report=classification_report(gold, predicted, labels=labels, zero_division=0, digits=3),
        confusion=confusion_matrix(gold, predicted, labels=labels),
        per_class={l: (float(p), float(r), float(f), int(s)) for l, p, r, f, s in zip(labels, precision, recall, f1, support)},
        misclassified=misclassified,
        gold=list(gold),
        predicted=predicted,
    )


def macro_f1_interval(
    gold: list[str], predicted: list[str], labels: list[str], resamples: int, confidence: float, seed: int
) -> tuple[float, float]:
    """Percentile bootstrap over sentences: how far macro-F1 could move on another sample of the same size."""
    macro_f1 = _macro_f1_of_codes(len(labels))
    return _paired_bootstrap(macro_f1, _codes([gold, predicted], labels), resamples, confidence, seed)


def macro_f1_gain(
    gold: list[str], candidate: list[str], reference: list[str], labels: list[str], resamples: int, confidence: float, seed: int
) -> tuple[float, float, float]:
    """The candidate's macro-F1 minus the reference's on the same sentences, with a paired bootstrap interval: both
    models are scored on each resample, so what the two share (the sample's easy and hard sentences) cancels out and
    the interval says whether the gain is more than another sample of this size could undo."""
    macro_f1 = _macro_f1_of_codes(len(labels))
    codes = _codes([gold, candidate, reference], labels)

    def gain(true: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
        return macro_f1(true, first) - macro_f1(true, second)

    low, high = _paired_bootstrap(gain, codes, resamples, confidence, seed)
    return float(gain(*codes)), low, high


def _codes(columns: list[list[str]], labels: list[str]) -> list[np.ndarray]:
    index = {label: i for i, label in enumerate(labels)}
    return [np.array([index.get(value, -1) for value in column]) for column in columns]


def _macro_f1_of_codes(n_labels: int):
    def macro_f1(true: np.ndarray, pred: np.ndarray) -> float:
        return f1_score(true, pred, labels=list(range(n_labels)), average="macro", zero_division=0)

    return macro_f1


def _paired_bootstrap(statistic, columns: list[np.ndarray], resamples: int, confidence: float, seed: int) -> tuple[float, float]:
    result = stats.bootstrap(
        tuple(columns),
        statistic,
        paired=True,
        vectorized=False,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def plot_confusion(report: EvalReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(report.confusion, cmap="Blues")
    ax.set_xticks(range(len(report.labels)), report.labels, rotation=30, ha="right")
    ax.set_yticks(range(len(report.labels)), report.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), count in np.ndenumerate(report.confusion):
        ax.text(j, i, str(count), ha="center", va="center")
    ax.set_title(f"{report.prefix}: confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_per_class(report: EvalReport, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(len(report.labels))
    fig, ax = plt.subplots(figsize=(6, 4))
    for offset, (name, column) in zip((-0.25, 0.0, 0.25), (("precision", 0), ("recall", 1), ("F1", 2))):
        ax.bar(x + offset, [report.per_class[l][column] for l in report.labels], width=0.25, label=name)
    ax.set_xticks(x, report.labels, rotation=20, ha="right")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title(f"{report.prefix}: per-class scores")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def format_table(report: EvalReport) -> str:
    """A plain-text summary for the terminal: headline metrics, then the per-class table."""
    m = report.metrics
    head = (
        f"{report.prefix}: n={int(m[f'{report.prefix}_n'])}  accuracy={m[f'{report.prefix}_accuracy']:.3f}  "
        f"macro-F1={m[f'{report.prefix}_macro_f1']:.3f}{_interval(m, report.prefix)}  ECE={m[f'{report.prefix}_ece']:.3f}"
    )
    rows = [f"  {'label':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    rows += [f"  {l:<16}{p:>10.3f}{r:>10.3f}{f:>10.3f}{s:>9d}" for l, (p, r, f, s) in report.per_class.items()]
    return "\n".join([head, *rows])


def _interval(metrics: dict[str, float], prefix: str) -> str:
    low = metrics.get(f"{prefix}_macro_f1_low")
    return "" if low is None else f" [{low:.3f}, {metrics[f'{prefix}_macro_f1_high']:.3f}]"
