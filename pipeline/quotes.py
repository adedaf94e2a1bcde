"""Quotations in an article: the spans inside quote marks, who said them, and whether they are fragments.

One left-to-right pass pairs quote marks with a small stack, so the work is linear in the text
length whatever the marks (no backtracking regex). Curly marks say which way they face; straight
ones are read from the characters around them, and a single mark between letters is an apostrophe
(Pyongyang’s, don't). A quotation never runs past its paragraph unless the next paragraph reopens
it (the newspaper convention for quotations over several paragraphs); an unclosed double quote is
cut at the paragraph end, an unclosed single one is dropped as an apostrophe misread.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from pipeline.speakers import (
    SPEECH_PARTICIPLES,
    SPEECH_VERBS,
    MarkedQuote,
    find_speakers,
    reported_speech,
)
from pipeline.types import Article, Quote

DOUBLE, SINGLE = "double", "single"
# Runs of quote marks, or a line break; a single or closing mark between two letters is an
# apostrophe (don't, Pyongyang’s) and never reaches the pairing loop.
MARK_RUN = re.compile(r"(?:[\"“”‘«»]|(?<![^\W_])['’]|['’](?![^\W_]))+|\n")
QUOTE_MARK = re.compile(r"''|[\"“”‘’'«»]")
MAX_MARK_RUN = 3
# Characters after which a straight mark opens a quote, and before which it closes one.
OPENING_CONTEXT = frozenset("([{—–-/:;,…“‘")
CLOSING_CONTEXT = frozenset(".,;:!?)]}—–-…”’")
MAX_NESTING = 16

# Site furniture after the article (related headlines, comment widgets, newsletter boxes) is never a
# source of quotes: the first line that is one of these labels, or opens with one of these phrases,
# ends the article proper. Labels must be the whole line ("Comments (3)"), so prose starting with
# the same word ("Comments from the ministry…") is not mistaken for them.
TRAILING_BOILERPLATE_LABELS = (
    "you might also like", "you may also like", "latest news", "related", "related posts", "related articles",
    "related stories", "related news", "leave a reply", "leave a comment", "comments", "most read",
    "most popular", "trending", "recommended", "share this", "share", "persons", "tags", "follow us", "discuss",
    "upcoming events",
)
TRAILING_BOILERPLATE_OPENINGS = (
    "blog comments powered by", "sorry we are not currently accepting comments", "subscribe to our newsletter",
    "sign up here", "read more on the site", "latest from", "more from", "catch up on all the latest",
    "this story has been sourced from", "%d bloggers like this",
)
# A line opening with one of these is a link or an ad inside the article: skipped on its own.
INLINE_BOILERPLATE_OPENINGS = ("read more", "read also", "also read", "see also", "- advertisement -", "advertisement")
BOILERPLATE_MAX_CHARS = 300


def _alternatives(phrases: tuple[str, ...]) -> str:
    return "|".join(re.escape(phrase) for phrase in phrases)


TRAILING_BOILERPLATE_LINE = re.compile(
    rf"^[ \t]*(?:(?:{_alternatives(TRAILING_BOILERPLATE_LABELS)})[^\w\n]*(?:\d+[^\w\n]*)?"
    rf"|(?:{_alternatives(TRAILING_BOILERPLATE_OPENINGS)})(?![^\W\d_])[^\n]{{0,{BOILERPLATE_MAX_CHARS}}})$",
    re.IGNORECASE | re.MULTILINE,
)
INLINE_BOILERPLATE_LINE = re.compile(
    rf"^[ \t]*(?:{_alternatives(INLINE_BOILERPLATE_OPENINGS)})(?![^\W\d_])[^\n]{{0,{BOILERPLATE_MAX_CHARS}}}$",
    re.IGNORECASE | re.MULTILINE,
)

SUBJECT_PRONOUNS = frozenset({"i", "we", "he", "she", "it", "they", "you", "there"})
FINITE_AUXILIARIES = frozenset(
    {
        "is", "are", "was", "were", "will", "would", "shall", "should", "can", "could", "must", "may",
        "might", "has", "have", "had", "does", "do", "did", "am",
    }
)
RELATIVE_WORDS = frozenset({"which", "that", "who", "whom", "whose"})
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
WORD_CHARACTER = re.compile(r"[^\W_]")
ATTRIBUTION_MAX_WORDS = 10
NAME_MAX_WORDS = 5
NAME_LINK_WORDS = frozenset({"of", "the", "and", "for", "in", "on", "a"})


@dataclass
class _Scanner:
    """The pairing state: marks still open (innermost last), and the parts of the outer quotation."""

    text: str
    stack: list[tuple[str, int, int]] = field(default_factory=list)  # (family, mark start, mark end)
    open_count: dict[str, int] = field(default_factory=lambda: {DOUBLE: 0, SINGLE: 0})
    parts: list[tuple[int, int, int, int]] = field(default_factory=list)
    found: list[MarkedQuote] = field(default_factory=list)
    paragraph_start: int = 0
    paragraph_has_marks: bool = False
    reopened_at: int = -1  # the mark that reopens a quotation in its next paragraph, already read

    def read_mark(self, mark: str, start: int, end: int) -> None:
        """Open, close or ignore one mark, from its shape and the characters around it."""
        text = self.text
        before = text[start - 1] if start else "\n"
        after = text[end] if end < len(text) else "\n"
        left = not after.isspace() and (before.isspace() or before in OPENING_CONTEXT)
        right = not before.isspace() and (after.isspace() or after in CLOSING_CONTEXT)
        first_in_paragraph = not self.paragraph_has_marks
        self.paragraph_has_marks = True
        if mark in ("“", "«"):
            self._open(DOUBLE, start, end)
        elif mark in ("”", "»"):
            self._close_or_orphan(start, end, first_in_paragraph)
        elif mark in ('"', "''"):
            if self.open_count[DOUBLE] and (right or not left):
                self._close(DOUBLE, start, end)
            elif left:
                self._open(DOUBLE, start, end)
            elif right:
                self._close_or_orphan(start, end, first_in_paragraph)
        elif before.isalnum() and after.isalnum():
            return  # an apostrophe inside a word
        elif mark == "‘":
            if not after.isspace():
                self._open(SINGLE, start, end)
        elif self.open_count[SINGLE] and right:
            self._close(SINGLE, start, end)
        elif mark == "'" and left:
            self._open(SINGLE, start, end)

    def end_paragraph(self, end: int) -> None:
        """Close the paragraph: a quotation goes on only if the next paragraph reopens it."""
        if self.reopened_at > end:
            return  # a blank line before the paragraph that reopens the quotation
        if self.stack:
            family, mark_start, mark_end = self.stack[0]
            self.parts.append((mark_start, mark_end, end, end))
            following = _next_non_space(self.text, end)
            reopening = _reopening_mark(self.text, following)
            self._reset()
            if reopening and _family(reopening) == family:
                self._open(family, following, following + len(reopening))
                self.reopened_at = following
            elif family == DOUBLE:
                self._emit()
            else:
                self.parts = []
        self.paragraph_start = end
        self.paragraph_has_marks = False

    def _open(self, family: str, start: int, end: int) -> None:
        if len(self.stack) < MAX_NESTING:
            self.stack.append((family, start, end))
            self.open_count[family] += 1

    def _close(self, family: str, start: int, end: int) -> None:
        _, outer_start, outer_end = self.stack[0]
        while True:
            popped = self.stack.pop()[0]
            self.open_count[popped] -= 1
            if popped == family:
                break
        if not self.stack:
            self.parts.append((outer_start, outer_end, start, end))
            self._emit()

    def _close_or_orphan(self, start: int, end: int, first_in_paragraph: bool) -> None:
        """A closing double mark with nothing open, as the paragraph's first mark and right after
        punctuation (``We hope so," he said``): the opening mark was dropped, the quotation starts
        with the paragraph."""
        if self.open_count[DOUBLE]:
            self._close(DOUBLE, start, end)
        elif first_in_paragraph and not self.parts and start and self.text[start - 1] in ",.!?…":
            text_start = _next_non_space(self.text, self.paragraph_start)
            self.parts.append((text_start, text_start, start, end))
            self._emit()

    def _reset(self) -> None:
        self.stack = []
        self.open_count = {DOUBLE: 0, SINGLE: 0}

    def _emit(self) -> None:
        parts = tuple(_trimmed(self.text, part) for part in self.parts)
        parts = tuple(part for part in parts if WORD_CHARACTER.search(self.text, part[1], part[2]))
        if parts:
            self.found.append(MarkedQuote(parts))
        self.parts = []


def extract_quotes(article: Article, *, indirect: bool = False, fragment_min_words: int = 4) -> list[Quote]:
    """Quotations of ``article`` in text order; with ``indirect``, also ``X said that …`` reported speech."""
    text = article.text
    marked = _merge_interrupted(text, _outside_boilerplate(text, _scan_quote_marks(text)))
    quoted = [" ".join(text[start:end] for _, start, end, _ in quote.parts) for quote in marked]
    fragments = [is_fragment(words, fragment_min_words) for words in quoted]
    found = [
        (quote.parts[0][1], tuple((start, end) for _, start, end, _ in quote.parts), attribution.speaker, fragment, "direct")
        for quote, words, fragment, attribution in zip(marked, quoted, fragments, find_speakers(text, marked, fragments))
        if attribution.attributed or not _is_a_name(words)
    ]
    if indirect:
        boundary = _boilerplate_start(text)
        for (start, end), speaker in reported_speech(text, marked):
            if start < boundary:
                found.append((start, ((start, end),), speaker, False, "indirect"))
    found.sort(key=lambda item: item[0])
    return [
        Quote(article_id=article.id, index=index, spans=spans, speaker=speaker, fragment=fragment, kind=kind)
        for index, (_, spans, speaker, fragment, kind) in enumerate(found)
    ]


def _is_a_name(quoted: str) -> bool:
    """``"Rocket Man"``, ``'America First'``: a capitalised name in quote marks, which is a quotation
    only when someone is reported saying it."""
    words = WORD.findall(quoted)
    capitalised = [word for word in words if word[0].isupper()]
    return 0 < len(words) <= NAME_MAX_WORDS and bool(capitalised) and all(word[0].isupper() or word in NAME_LINK_WORDS for word in words)


def is_fragment(quoted: str, min_words: int = 4) -> bool:
    """Fewer than ``min_words`` words, or no clause: no subject pronoun and no finite auxiliary.

    A quote opening with a capital (not in headline title case) is a full quoted sentence; one
    opening with "-ing" or "to" is a phrase whatever follows ("doing everything he promised").
    """
    words = WORD.findall(quoted)
    if len(words) < min_words:
        return True
    lowered = [word.lower() for word in words]
    headline_case = all(word[0].isupper() for word in words if len(word) > 3)
    if words[0][0].isupper() and not headline_case:
        return False
    if lowered[0].endswith("ing") or lowered[0] == "to":
        return True
    return not _has_clause(lowered)


def _has_clause(lowered: list[str]) -> bool:
    for index, word in enumerate(lowered):
        base = re.split(r"['’]", word)[0]
        if base in SUBJECT_PRONOUNS and (base != word or index + 1 < len(lowered)):
            return True
        previous = lowered[index - 1] if index else None
        if word in FINITE_AUXILIARIES and previous is not None and previous not in RELATIVE_WORDS and previous != "to":
            return True
    return False


# --- pairing quote marks --------------------------------------------------------------------------


def _scan_quote_marks(text: str) -> list[MarkedQuote]:
    scanner = _Scanner(text)
    for run in MARK_RUN.finditer(text):
        start, end = run.span()
        if text[start] == "\n":
            scanner.end_paragraph(start)
        elif end - start == 1:
            if start != scanner.reopened_at:
                scanner.read_mark(text[start], start, end)
        elif end - start <= MAX_MARK_RUN:  # a longer run of marks is decoration, not quotation
            for mark in QUOTE_MARK.finditer(text, start, end):
                if mark.start() != scanner.reopened_at:
                    scanner.read_mark(mark.group(), mark.start(), mark.end())
    scanner.end_paragraph(len(text))
    return scanner.found


def _family(mark: str) -> str:
    return DOUBLE if mark in ('"', "''", "“", "”", "«", "»") else SINGLE


def _reopening_mark(text: str, index: int) -> str | None:
    """The opening mark a paragraph starts with, if it starts with one."""
    if text.startswith("''", index):
        return "''"
    return text[index] if index < len(text) and text[index] in ('"', "“", "«", "‘", "'") else None


def _next_non_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def _trimmed(text: str, part: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    mark_start, start, end, mark_end = part
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return mark_start, start, end, mark_end


# --- which quotes belong together, and which are site furniture -----------------------------------


def _merge_interrupted(text: str, quotes: list[MarkedQuote]) -> list[MarkedQuote]:
    """``"A," he said, "B."`` is one quotation when B has no attribution of its own."""
    merged: list[MarkedQuote] = []
    for index, quote in enumerate(quotes):
        if merged:
            previous = merged[-1]
            gap = text[previous.parts[-1][3] : quote.parts[0][0]]
            following_end = quotes[index + 1].parts[0][0] if index + 1 < len(quotes) else len(text)
            if _is_attribution(gap) and not _has_own_attribution(text[quote.parts[-1][3] : following_end]):
                merged[-1] = MarkedQuote(previous.parts + quote.parts)
                continue
        merged.append(quote)
    return merged


def _is_attribution(gap: str) -> bool:
    """Only a short ``, he said,`` / ``. he said.`` between two quotes, on one paragraph."""
    if "\n" in gap or not gap.rstrip().endswith((",", ".", ":")):
        return False
    words = WORD.findall(gap)
    return 0 < len(words) <= ATTRIBUTION_MAX_WORDS and any(word.lower() in SPEECH_VERBS for word in words) and "that" not in words


def _has_own_attribution(after: str) -> bool:
    sentence = re.split(r"[.!?\n]", after, maxsplit=1)[0]
    return any(word.lower() in SPEECH_VERBS or word.lower() in SPEECH_PARTICIPLES for word in WORD.findall(sentence)[:ATTRIBUTION_MAX_WORDS])


def _outside_boilerplate(text: str, quotes: list[MarkedQuote]) -> list[MarkedQuote]:
    boundary = _boilerplate_start(text)
    skipped = [match.span() for match in INLINE_BOILERPLATE_LINE.finditer(text)]
    starts = [start for start, _ in skipped]
    kept = []
    for quote in quotes:
        position = quote.parts[0][0]
        index = bisect_right(starts, position) - 1
        if position < boundary and not (index >= 0 and position < skipped[index][1]):
            kept.append(quote)
    return kept


def _boilerplate_start(text: str) -> int:
    """Where the trailing site furniture begins (the text length when there is none)."""
    match = TRAILING_BOILERPLATE_LINE.search(text)
    return match.start() if match else len(text)
