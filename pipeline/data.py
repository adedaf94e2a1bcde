"""Labelled sentences -> ``datasets.DatasetDict`` with splits grouped by document and stratified by label."""
from __future__ import annotations

import random

import numpy as np
from datasets import ClassLabel, Dataset, DatasetDict, Features, Value
from sklearn.model_selection import StratifiedGroupKFold

from pipeline.labels import LabelledSentence
from pipeline.types import StanceError


def features(labels: list[str]) -> Features:
    return Features(
        {
            "id": Value("string"),
            "text": Value("string"),
            "label": ClassLabel(names=labels),
            "document": Value("string"),
            "source": Value("string"),
            "topic": Value("string"),
            "speaker": Value("string"),
        }
    )


def to_dataset(rows: list[LabelledSentence], labels: list[str]) -> Dataset:
    return Dataset.from_dict(
        {
            "id": [r.id for r in rows],
            "text": [r.sentence for r in rows],
            "label": [labels.index(r.label) for r in rows],
            "document": [r.document for r in rows],
            "source": [r.source for r in rows],
            "topic": [r.topic for r in rows],
            "speaker": [r.speaker or "" for r in rows],
        },
        features=features(labels),
    )


def subsample(rows: list[LabelledSentence], max_examples: int | None, seed: int) -> list[LabelledSentence]:
    """Whole documents, shuffled by ``seed``, until ``max_examples`` rows: tiny runs keep real groups."""
    if max_examples is None or len(rows) <= max_examples:
        return rows
    by_document: dict[str, list[LabelledSentence]] = {}
    for row in rows:
        by_document.setdefault(row.document, []).append(row)
    documents = sorted(by_document)
    random.Random(seed).shuffle(documents)
    kept: list[LabelledSentence] = []
    for document in documents:
        if len(kept) >= max_examples:
            break
        kept.extend(by_document[document])
    return kept


def build_splits(
    rows: list[LabelledSentence], labels: list[str], val_fraction: float, test_fraction: float, seed: int
) -> DatasetDict:
    """train/validation/test; no document has sentences in two splits; deterministic under ``seed``."""
    y = np.array([labels.index(r.label) for r in rows])
    groups = np.array([r.document for r in rows])
    everything = np.arange(len(rows))
    test = _holdout(everything, y, groups, test_fraction, seed)
    rest = np.setdiff1d(everything, test)
    val = _holdout(rest, y, groups, val_fraction / (1.0 - test_fraction), seed)
    train = np.setdiff1d(rest, val)
    if len(train) == 0:
        raise StanceError("the labelled data is too small to leave a training split")
    dataset = to_dataset(rows, labels)
    return DatasetDict(
        {"train": dataset.select(train), "validation": dataset.select(val), "test": dataset.select(test)}
    )


def grouped_folds(rows: list[LabelledSentence], labels: list[str], folds: int, seed: int):
    """``(train_indices, test_indices)`` per fold of a document-grouped, label-stratified k-fold."""
    y = np.array([labels.index(r.label) for r in rows])
    groups = np.array([r.document for r in rows])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(rows)), y, groups))


def _holdout(indices: np.ndarray, y: np.ndarray, groups: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """About ``fraction`` of ``indices``, whole groups only, label shares kept."""
    if fraction <= 0 or len(indices) == 0:
        return np.array([], dtype=int)
    n_splits = max(2, round(1.0 / fraction))
    if len(set(groups[indices])) < n_splits:
        raise StanceError(f"need at least {n_splits} documents to hold out {fraction:.0%} of the data")
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    _, held = next(splitter.split(np.zeros(len(indices)), y[indices], groups[indices]))
    return indices[held]
