"""Sentences of quotations: pysbd's rules, with offsets we compute ourselves and its known misses fixed.

pysbd (rule-based, no model download) decides where sentences end. Its own ``char_span`` mode is
not used: it re-finds every sentence with a regex search over the whole text, which is quadratic
and silently drops or misplaces sentences that repeat or that its processing altered. We align its
sentences to the text by walking the non-space characters once, and add the boundaries it misses.
"""
from __future__ import annotations

import re

from pysbd.languages import Language
from pysbd.processor import Processor

from pipeline.types import Article, Quote, Sentence

ENGLISH = Language.get_language_code("en")

# Boundaries pysbd misses, applied inside each of its sentences:
# - an elision marker "[...]" between two quoted sentences is dropped and ends the first one;
# - a spaced three-dot ellipsis ends a sentence (reporters join separate sentences with it);
# - a Unicode ellipsis followed by a capitalised word ends a sentence (pysbd keeps them together),
#   while one followed by lower case stays an omission inside the sentence.
EXTRA_BOUNDARY = re.compile(
    r"(?P<elision>[\[(](?:\.\.\.|…)[\])])"
    r"|(?P<dots>(?<![.\[(])\.\.\.)(?=\s+\S)"
    r"|(?P<ellipsis>…)(?=\s+[\"“‘']?[A-Z])"
)
WORD_CHARACTER = re.compile(r"[^\W_]")
# Where pysbd could end a sentence: a line break, two terminators, or one with anything but
# whitespace after it. A quote without one is a single sentence, and pysbd (a fifth of scoring time) is
# skipped for it; tests/test_sentences.py checks both paths agree on arbitrary text.
POSSIBLE_BOUNDARY = re.compile(r"\n|[.!?…](?!\s*$)|[.!?…].*[.!?…]", re.S)
# A piece starting with one of these continues the sentence before it: pysbd split it off wrongly.
CONTINUING_PUNCTUATION = frozenset(",;:)]")


def split_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans inside ``text[start:end]`` as absolute, whitespace-trimmed, non-overlapping offsets."""
    start, end = max(0, start), min(len(text), end)
    if start >= end:
        return []
    spans: list[tuple[int, int]] = []
    for piece_start, piece_end in _pysbd_spans(text, start, end):
        for span in _split_missed_boundaries(text, piece_start, piece_end):
            trimmed = _trim(text, *span)
            if trimmed is None:
                continue
            if spans and text[trimmed[0]] in CONTINUING_PUNCTUATION:  # "Sen. X, R-Ariz.| , spoke."
                spans[-1] = (spans[-1][0], trimmed[1])
            else:
                spans.append(trimmed)
    return [span for span in spans if WORD_CHARACTER.search(text, span[0], span[1])]


def quote_sentences(article: Article, quotes: list[Quote]) -> list[Sentence]:
    """Every quote's spans split on their own; ``index`` counts sentences within the quote."""
    sentences = []
    for quote in quotes:
        index = 0
        for span_start, span_end in quote.spans:
            for start, end in split_spans(article.text, span_start, span_end):
                sentences.append(
                    Sentence(
                        article_id=article.id,
                        quote_index=quote.index,
                        index=index,
                        start=start,
                        end=end,
                        text=article.text[start:end],
                        speaker=quote.speaker,
                        fragment=quote.fragment,
                        kind=quote.kind,
                    )
                )
                index += 1
    return sentences


def _pysbd_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """pysbd's sentences located in the text by matching their non-space characters in order.

    pysbd rewrites whitespace (newlines, runs of spaces) but keeps every other character; if it
    ever changed one, the rest of the range is kept as one sentence rather than guessed at.
    """
    if not POSSIBLE_BOUNDARY.search(text, start, end):
        return [(start, end)]
    pieces = Processor(text[start:end], ENGLISH, char_span=False).process() or []
    spans = []
    cursor = start
    for piece in pieces:
        piece_start = None
        for character in piece:
            if character.isspace():
                continue
            while cursor < end and text[cursor].isspace():
                cursor += 1
            if cursor >= end or text[cursor] != character:
                return spans + [(piece_start if piece_start is not None else cursor, end)]
            if piece_start is None:
                piece_start = cursor
            cursor += 1
        if piece_start is not None:
            spans.append((piece_start, cursor))
    if text[cursor:end].strip():
        spans.append((cursor, end))
    return spans


def _split_missed_boundaries(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    for match in EXTRA_BOUNDARY.finditer(text, start, end):
        if match.group("elision"):
            spans.append((start, match.start()))
        else:
            spans.append((start, match.end()))
        start = match.end()
    spans.append((start, end))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
