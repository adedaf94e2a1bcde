"""Baselines a reviewer would ask for, each a predictor with the same interface as the fine-tuned model."""
from __future__ import annotations

import re
import time

import numpy as np
from datasets import Dataset
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from pipeline.config import Config
from pipeline.predict import softmax
from pipeline.types import Prediction

# Cue phrases per label, read off docs/annotation.md; checked in precedence order.
KEYWORD_CUES = {
    "critical_of_us": (
        "regret", "concern", "disappoint", "oppose", "condemn", "unilateral", "pressure", "hardly",
        "interference", "illegal", "destructive", "blame", "no similar steps", "withdrawal", "sanctions",
        "unacceptable", "law of the strongest", "failed", "fails",
    ),
    "conditional": (
        "if ", "only ", "must ", "provided", "in exchange", "condition", "reciproc", "should ", "unless",
        "step-by-step", "step by step", "as long as",
    ),
    "welcoming": (
        "welcome", "hope", "positive", "support", "praise", "progress", "appreciate", "constructive",
        "step forward", "glad", "satisfaction", "ready to",
    ),
}
FALLBACK_LABEL = "neutral"

# Plain-language label descriptions for the zero-shot nearest-description baseline.
LABEL_DESCRIPTIONS = {
    "welcoming": "We welcome the talks and hope for positive results; this summit is a good step forward.",
    "conditional": "Progress is only possible if the other side reciprocates and conditions are met.",
    "critical_of_us": "We criticise the United States, its sanctions, pressure and unilateral withdrawal.",
    "neutral": "A factual statement about procedure, dates, background or a denial.",
}


def _predictions(probs: np.ndarray, labels: list[str]) -> list[Prediction]:
    return [
        Prediction(labels[int(row.argmax())], float(row.max()), {l: float(p) for l, p in zip(labels, row)}) for row in probs
    ]


def _texts_and_labels(split: Dataset) -> tuple[list[str], list[str]]:
    names = split.features["label"].names
    return split["text"], [names[i] for i in split["label"]]


class SklearnBaseline:
    """Wraps a fitted scikit-learn classifier whose ``predict_proba`` columns follow ``classes_``."""

    def __init__(self, estimator, labels: list[str]):
        self.estimator, self.labels = estimator, labels

    def predict(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        probs = np.zeros((len(texts), len(self.labels)))
        for column, label in enumerate(self.estimator.classes_):
            probs[:, self.labels.index(label)] = self.estimator.predict_proba(texts)[:, column]
        return _predictions(probs, self.labels)


class Majority:
    @staticmethod
    def fit(config: Config, train: Dataset, validation: Dataset):
        started = time.perf_counter()
        texts, labels = _texts_and_labels(train)
        model = DummyClassifier(strategy="prior").fit(np.zeros((len(texts), 1)), labels)
        return SklearnBaseline(_OnTexts(model), config.labels), time.perf_counter() - started


class _OnTexts:
    """A DummyClassifier ignores its features; this lets it take raw texts like the other baselines."""

    def __init__(self, model):
        self.model, self.classes_ = model, model.classes_

    def predict_proba(self, texts):
        return self.model.predict_proba(np.zeros((len(texts), 1)))


class TfidfLogReg:
    @staticmethod
    def fit(config: Config, train: Dataset, validation: Dataset):
        started = time.perf_counter()
        texts, labels = _texts_and_labels(train)
        model = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            LogisticRegression(max_iter=2000, class_weight="balanced", random_state=config.seed),
        ).fit(texts, labels)
        return SklearnBaseline(model, config.labels), time.perf_counter() - started


class KeywordRules:
    """The annotation guide's cue words, applied in its precedence order; no training."""

    def __init__(self, labels: list[str]):
        self.labels = labels
        self.patterns = {label: re.compile("|".join(re.escape(c) for c in cues), re.I) for label, cues in KEYWORD_CUES.items()}

    @classmethod
    def fit(cls, config: Config, train: Dataset, validation: Dataset):
        return cls(config.labels), 0.0

    def predict(self, texts: list[str]) -> list[Prediction]:
        out = []
        for text in texts:
            label = next((l for l, p in self.patterns.items() if p.search(text)), FALLBACK_LABEL)
            out.append(Prediction(label, 1.0, {l: float(l == label) for l in self.labels}))
        return out


class ZeroShotEmbedding:
    """Nearest label description by cosine similarity of the base model's mean-pooled sentence embeddings."""

    SCALE = 20.0  # similarity-to-logit scale, as in contrastive sentence encoders

    def __init__(self, config: Config):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from pipeline.model import base_model_dir

        folder = base_model_dir(config.model.base)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self.encoder = AutoModel.from_pretrained(folder, local_files_only=True).eval()
        self.max_length = config.model.max_length
        self.labels = config.labels
        self.anchors = self.embed([LABEL_DESCRIPTIONS[l] for l in self.labels])

    @classmethod
    def fit(cls, config: Config, train: Dataset, validation: Dataset):
        started = time.perf_counter()
        return cls(config), time.perf_counter() - started

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = []
        for first in range(0, len(texts), 64):
            batch = self.tokenizer(texts[first : first + 64], padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
            with self.torch.inference_mode():
                hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vectors.append(self.torch.nn.functional.normalize(pooled, dim=-1).numpy())
        return np.concatenate(vectors) if vectors else np.zeros((0, 384))

    def predict(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        return _predictions(softmax(self.SCALE * self.embed(texts) @ self.anchors.T), self.labels)


class EmbeddingLogReg:
    """Logistic regression on the frozen base model's sentence embeddings: what fine-tuning the encoder must beat."""

    @staticmethod
    def fit(config: Config, train: Dataset, validation: Dataset):
        started = time.perf_counter()
        texts, labels = _texts_and_labels(train)
        encoder = ZeroShotEmbedding(config)
        model = make_pipeline(
            FunctionTransformer(encoder.embed),
            LogisticRegression(max_iter=2000, class_weight="balanced", random_state=config.seed),
        ).fit(texts, labels)
        return SklearnBaseline(model, config.labels), time.perf_counter() - started


BASELINES = {
    "majority": Majority,
    "keywords": KeywordRules,
    "tfidf-logreg": TfidfLogReg,
    "zero-shot": ZeroShotEmbedding,
    "embedding-logreg": EmbeddingLogReg,
}
