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
from dataclasses import dataclass, field

from pipeline.speakers import SPEECH_PARTICIPLES, SPEECH_VERBS, MarkedQuote, find_speakers, reported_speech
from pipeline.types import Article, Quote

DOUBLE, SINGLE = "double", "single"
QUOTE_MARK = re.compile(r"''|[\"“”‘’'\n]")
# Characters after which a straight mark opens a quote, and before which it closes one.
OPENING_CONTEXT = frozenset("([{—–-/:;,…“‘")
CLOSING_CONTEXT = frozenset(".,;:!?)]}—–-…”’")
SENTENCE_END = frozenset(".!?…")
MAX_NESTING = 16

# A paragraph starting with one of these ends the article proper: what follows is site furniture
# (related headlines, comment widgets, newsletter boxes), never a source of quotes.
TRAILING_BOILERPLATE = (
    "you might also like", "you may also like", "latest news", "related posts", "related articles",
    "related stories", "related news", "leave a reply", "leave a comment", "comments",
    "blog comments powered by", "sorry we are not currently accepting comments", "subscribe to our newsletter",
    "sign up here", "read more on the site", "latest from", "upcoming events", "more from", "most read",
    "most popular", "trending", "recommended", "share this", "catch up on all the latest",
    "this story has been sourced from", "%d bloggers like this", "persons", "tags:", "follow us", "discuss",
)
# A paragraph starting with one of these is a link or an ad inside the article: skipped on its own.
INLINE_BOILERPLATE = ("read more", "read also", "also read", "see also", "- advertisement", "advertisement")
BOILERPLATE_MAX_CHARS = 80

SUBJECT_PRONOUNS = frozenset("i we he she it they you there".split())
FINITE_AUXILIARIES = frozenset("is are was were will would shall should can could must may might has have had does do did am".split())
RELATIVE_WORDS = frozenset("which that who whom whose".split())
WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
ATTRIBUTION_MAX_WORDS = 10


@dataclass
class _Open:
    family: str
    mark_start: int
    mark_end: int


@dataclass
class _Scanner:
    """The pairing state: marks still open, and the parts of the outermost quotation so far."""

    text: str
    stack: list[_Open] = field(default_factory=list)
    parts: list[tuple[int, int, int, int]] = field(default_factory=list)
    found: list[MarkedQuote] = field(default_factory=list)
    paragraph_start: int = 0
    paragraph_has_marks: bool = False
    continuation_at: int = -1

    def open(self, family: str, start: int, end: int) -> None:
        if len(self.stack) < MAX_NESTING:
            self.stack.append(_Open(family, start, end))
        self.paragraph_has_marks = True

    def close(self, family: str, start: int, end: int) -> None:
        self.paragraph_has_marks = True
        if not any(entry.family == family for entry in self.stack):
            return
        outer = self.stack[0]
        while self.stack.pop().family != family:
            pass
        if not self.stack:
            self._finish_part(outer, end, start)
            self._emit()

    def orphan_close(self, start: int, end: int) -> None:
        """A closing mark with no opening one: the quote started with its paragraph (a dropped mark)."""
        text_start = self.paragraph_start
        while text_start < start and self.text[text_start].isspace():
            text_start += 1
        self.parts.append((text_start, text_start, start, end))
        self._emit()
        self.paragraph_has_marks = True

    def end_paragraph(self, end: int) -> None:
        if self.stack:
            outer = self.stack[0]
            following = _next_non_space(self.text, end)
            if following < len(self.text) and _reopens(self.text, following, outer.family):
                self._finish_part(outer, end, end)
                self.continuation_at = following
            elif outer.family == DOUBLE:
                self._finish_part(outer, end, end)
                self._emit()
            else:
                self.parts = []
        self.stack = []
        self.paragraph_start = end
        self.paragraph_has_marks = False

    def continue_quote(self, family: str, start: int, end: int) -> None:
        self.stack = [_Open(family, start, end)]
        self.continuation_at = -1
        self.paragraph_has_marks = True

    def _finish_part(self, outer: _Open, mark_end: int, text_end: int) -> None:
        self.parts.append((outer.mark_start, outer.mark_end, text_end, mark_end))

    def _emit(self) -> None:
        parts = tuple(_trimmed(self.text, part) for part in self.parts)
        parts = tuple(part for part in parts if part[1] < part[2])
        if parts:
            self.found.append(MarkedQuote(parts))
        self.parts = []


def extract_quotes(article: Article, *, indirect: bool = False, fragment_min_words: int = 4) -> list[Quote]:
    """Quotations of ``article`` in text order; with ``indirect``, also ``X said that …`` reported speech."""
    text = article.text
    marked = _merge_interrupted(text, _outside_boilerplate(text, _scan_quote_marks(text)))
    speakers = find_speakers(text, marked)
    found = [
        (
            quote.parts[0][1],
            tuple((start, end) for _, start, end, _ in quote.parts),
            speaker,
            is_fragment(" ".join(text[start:end] for _, start, end, _ in quote.parts), fragment_min_words),
            "direct",
        )
        for quote, speaker in zip(marked, speakers)
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
    for match in QUOTE_MARK.finditer(text):
        mark, start, end = match.group(), match.start(), match.end()
        if mark == "\n":
            if scanner.continuation_at < 0:
                scanner.end_paragraph(start)
            continue
        if start == scanner.continuation_at:
            scanner.continue_quote(_family(mark), start, end)
            continue
        _read_mark(scanner, text, mark, start, end)
    scanner.end_paragraph(len(text))
    return scanner.found


def _read_mark(scanner: _Scanner, text: str, mark: str, start: int, end: int) -> None:
    before = text[start - 1] if start else "\n"
    after = text[end] if end < len(text) else "\n"
    double_open = any(entry.family == DOUBLE for entry in scanner.stack)
    single_open = any(entry.family == SINGLE for entry in scanner.stack)
    left = not after.isspace() and (before.isspace() or before in OPENING_CONTEXT)
    right = not before.isspace() and (after.isspace() or after in CLOSING_CONTEXT)
    if mark == "“":
        scanner.open(DOUBLE, start, end)
    elif mark == "”":
        if double_open:
            scanner.close(DOUBLE, start, end)
        elif not scanner.stack:
            _maybe_orphan(scanner, text, start, end)
    elif mark in ('"', "''"):
        if double_open and (right or not left):
            scanner.close(DOUBLE, start, end)
        elif left:
            scanner.open(DOUBLE, start, end)
        elif right and not scanner.stack:
            _maybe_orphan(scanner, text, start, end)
    elif before.isalnum() and after.isalnum():
        return  # an apostrophe inside a word
    elif mark == "‘":
        if not after.isspace():
            scanner.open(SINGLE, start, end)
    elif single_open and right:
        scanner.close(SINGLE, start, end)
    elif mark == "'" and left:
        scanner.open(SINGLE, start, end)


def _maybe_orphan(scanner: _Scanner, text: str, start: int, end: int) -> None:
    if not scanner.paragraph_has_marks and start and text[start - 1] in ",.!?…":
        scanner.orphan_close(start, end)


def _family(mark: str) -> str:
    return DOUBLE if mark in ('"', "''", "“", "”") else SINGLE


def _reopens(text: str, index: int, family: str) -> bool:
    """Does the paragraph starting at ``index`` open with a mark of the quote's family?"""
    mark = text[index : index + 2] if text.startswith("''", index) else text[index]
    return mark in ('"', "''", "“", "‘", "'") and _family(mark) == family


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
    skipped = _inline_boilerplate(text)
    return [quote for quote in quotes if quote.parts[0][0] < boundary and not any(s <= quote.parts[0][0] < e for s, e in skipped)]


def _paragraphs(text: str):
    for match in re.finditer(r"[^\n]+", text):
        yield match.start(), match.end(), match.group().strip().lower()


def _boilerplate_start(text: str) -> int:
    """Where the trailing site furniture begins (the text length when there is none)."""
    for start, _, line in _paragraphs(text):
        if len(line) <= BOILERPLATE_MAX_CHARS and _starts_with_marker(line, TRAILING_BOILERPLATE):
            return start
    return len(text)


def _inline_boilerplate(text: str) -> list[tuple[int, int]]:
    return [(start, end) for start, end, line in _paragraphs(text) if len(line) <= BOILERPLATE_MAX_CHARS * 2 and _starts_with_marker(line, INLINE_BOILERPLATE)]


def _starts_with_marker(line: str, markers: tuple[str, ...]) -> bool:
    return any(line.startswith(marker) and not line[len(marker) : len(marker) + 1].isalpha() for marker in markers)
