"""The gold corpus (``articles/*.txt`` + ``gold.jsonl``) and how extracted sentences score against it.

Each metric comes twice: ``_all`` over every gold sentence, ``_clauses`` over the non-fragment ones
(and, for precision, over the extracted sentences flagged non-fragment).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.types import Article, Sentence, StanceError

RECALL_COVERAGE = 0.9  # a gold sentence is found when this share of its characters was extracted
PRECISION_OVERLAP = 0.5  # an extracted sentence is right when this share of it is a gold sentence
VIEWS = ("all", "clauses")


@dataclass(frozen=True)
class GoldSentence:
    """One row of ``gold.jsonl``: a quoted sentence, offsets into its file's text, quote marks excluded."""

    file: str
    quote_id: int
    start: int
    end: int
    sentence: str
    speaker: str | None
    fragment: bool
    label: str | None  # None: measured for extraction only (annotators gave no agreed stance)


def load_gold(corpus_dir: str | Path) -> list[GoldSentence]:
    """Every row of ``corpus_dir/gold.jsonl``; a malformed row is an error naming its line."""
    path = Path(corpus_dir) / "gold.jsonl"
    if not path.exists():
        raise StanceError(f"{path}: no gold file")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append(
                GoldSentence(
                    file=str(row["file"]),
                    quote_id=int(row["quote_id"]),
                    start=int(row["start"]),
                    end=int(row["end"]),
                    sentence=str(row["sentence"]),
                    speaker=row["speaker"],
                    fragment=bool(row["fragment"]),
                    label=None if row.get("label") is None else str(row["label"]),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise StanceError(f"{path}:{number}: bad gold row ({error})") from None
    return rows


def read_corpus_articles(corpus_dir: str | Path) -> dict[str, Article]:
    """``articles/*.txt`` keyed by file name; the text is the file's bytes decoded as UTF-8, untouched
    (no newline translation), because the gold offsets index exactly that."""
    folder = Path(corpus_dir) / "articles"
    if not folder.is_dir():
        raise StanceError(f"{folder}: no articles folder")
    articles = {}
    for path in sorted(folder.glob("*.txt")):
        text = path.read_bytes().decode("utf-8")
        title = next((line.strip() for line in text.splitlines() if line.strip()), "")
        articles[path.name] = Article(id=path.stem, source=str(path), title=title, text=text)
    return articles


def extraction_metrics(
    articles: dict[str, Article], sentences: dict[str, list[Sentence]], gold: list[GoldSentence]
) -> dict[str, float]:
    """Quote recall and precision, speaker accuracy and exact sentence matches, for clauses and all.

    - quote recall: gold sentences of which at least 90% of the characters lie in extracted sentences;
    - quote precision: extracted sentences overlapping one gold sentence by at least half their length;
    - speaker accuracy: among gold sentences found, those whose most-overlapping extracted sentence
      has the gold speaker (ignoring case and a leading article; no speaker must match no speaker);
    - sentence exact precision/recall/F1: extracted spans equal to a gold span, whitespace trimmed.
    """
    metrics: dict[str, float] = {}
    for view in VIEWS:
        counts = dict.fromkeys(("gold", "found", "speaker", "gold_exact", "extracted", "precise", "extracted_exact"), 0)
        for name in sorted(set(articles) | {row.file for row in gold}):
            text = articles[name].text if name in articles else ""
            golds = [row for row in gold if row.file == name and (view == "all" or not row.fragment)]
            extracted = sentences.get(name, [])
            scored = [sentence for sentence in extracted if view == "all" or not sentence.fragment]
            gold_spans = {_trimmed(text, row.start, row.end) for row in golds}
            for row in golds:
                counts["gold"] += 1
                best = _best_overlap(row, extracted)
                if _covered(row.start, row.end, extracted) >= RECALL_COVERAGE * (row.end - row.start):
                    counts["found"] += 1
                    counts["speaker"] += best is not None and _same_speaker(best.speaker, row.speaker)
                counts["gold_exact"] += any(_trimmed(text, s.start, s.end) == _trimmed(text, row.start, row.end) for s in extracted)
            for sentence in scored:
                counts["extracted"] += 1
                counts["precise"] += any(_overlap(sentence.start, sentence.end, row.start, row.end) >= PRECISION_OVERLAP * (sentence.end - sentence.start) for row in golds)
                counts["extracted_exact"] += _trimmed(text, sentence.start, sentence.end) in gold_spans
        precision = _ratio(counts["extracted_exact"], counts["extracted"])
        recall = _ratio(counts["gold_exact"], counts["gold"])
        metrics |= {
            f"quote_recall_{view}": _ratio(counts["found"], counts["gold"]),
            f"quote_precision_{view}": _ratio(counts["precise"], counts["extracted"]),
            f"speaker_accuracy_{view}": _ratio(counts["speaker"], counts["found"]),
            f"sentence_exact_precision_{view}": precision,
            f"sentence_exact_recall_{view}": recall,
            f"sentence_exact_f1_{view}": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            f"gold_sentences_{view}": float(counts["gold"]),
            f"extracted_sentences_{view}": float(counts["extracted"]),
        }
    return metrics


def per_file_errors(
    articles: dict[str, Article], sentences: dict[str, list[Sentence]], gold: list[GoldSentence]
) -> dict[str, list[str]]:
    """For debugging: per file, one line per missed gold sentence, wrong speaker, inexact span and
    extracted sentence that is no gold sentence."""
    errors: dict[str, list[str]] = {}
    for name in sorted(set(articles) | {row.file for row in gold}):
        extracted = sentences.get(name, [])
        lines = []
        for row in (row for row in gold if row.file == name):
            kind = "fragment" if row.fragment else "clause"
            best = _best_overlap(row, extracted)
            if _covered(row.start, row.end, extracted) < RECALL_COVERAGE * (row.end - row.start):
                lines.append(f"missed {kind} [{row.start}:{row.end}] {row.sentence[:80]!r}")
                continue
            if best is not None and not _same_speaker(best.speaker, row.speaker):
                lines.append(f"speaker {kind} gold={row.speaker!r} got={best.speaker!r}: {row.sentence[:60]!r}")
            if best is not None and (best.start, best.end) != (row.start, row.end):
                lines.append(f"span {kind} gold=[{row.start}:{row.end}] got=[{best.start}:{best.end}] {best.text[:60]!r}")
        for sentence in extracted:
            if not any(_overlap(sentence.start, sentence.end, row.start, row.end) for row in gold if row.file == name):
                lines.append(f"extra [{sentence.start}:{sentence.end}] speaker={sentence.speaker!r} {sentence.text[:80]!r}")
        if lines:
            errors[name] = lines
    return errors


def _overlap(start: int, end: int, other_start: int, other_end: int) -> int:
    return max(0, min(end, other_end) - max(start, other_start))


def _covered(start: int, end: int, extracted: Iterable[Sentence]) -> int:
    """Characters of [start, end) inside the union of the extracted spans."""
    covered, cursor = 0, start
    for span_start, span_end in sorted((s.start, s.end) for s in extracted if s.end > start and s.start < end):
        span_start = max(span_start, cursor)
        if span_end > span_start:
            covered += min(span_end, end) - span_start
            cursor = min(span_end, end)
    return covered


def _best_overlap(row: GoldSentence, extracted: list[Sentence]) -> Sentence | None:
    best = max(extracted, key=lambda s: _overlap(s.start, s.end, row.start, row.end), default=None)
    return best if best is not None and _overlap(best.start, best.end, row.start, row.end) > 0 else None


def _same_speaker(extracted: str | None, gold: str | None) -> bool:
    """Same name, ignoring case and a leading article ("a State Department spokesperson")."""
    if extracted is None or gold is None:
        return extracted is None and gold is None
    return _without_article(extracted) == _without_article(gold)


def _without_article(name: str) -> str:
    return re.sub(r"^(?:the|an?|one)\s+", "", name.casefold())


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and start < len(text) and text[start].isspace():
        start += 1
    while end > start and end <= len(text) and text[end - 1].isspace():
        end -= 1
    return start, end


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0
