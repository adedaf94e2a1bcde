"""The data contracts between stages: small frozen dataclasses, one per hand-off."""
from __future__ import annotations

from dataclasses import dataclass, field


class StanceError(Exception):
    """A user-facing error: its message is printed as one line and the command exits non-zero."""


@dataclass(frozen=True)
class Article:
    """One article; ``text`` is exactly what every downstream offset indexes into."""

    id: str
    source: str
    title: str
    text: str
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Quote:
    """One quotation. An interrupted quotation (``"A," he said, "B."``) has several spans."""

    article_id: str
    index: int
    spans: tuple[tuple[int, int], ...]
    speaker: str | None
    fragment: bool
    kind: str = "direct"  # "direct" (inside quote marks) or "indirect" (reported speech)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a quote; ``article.text[start:end] == text``."""

    article_id: str
    quote_index: int
    index: int
    start: int
    end: int
    text: str
    speaker: str | None
    fragment: bool
    kind: str = "direct"


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    probs: dict[str, float] = field(default_factory=dict)
