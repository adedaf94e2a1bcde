"""Sentence spans inside quotations: pysbd's boundaries, our offsets, and the boundaries it misses."""
from __future__ import annotations

import re
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

import pipeline.sentences as splitter
from pipeline.sentences import quote_sentences, split_spans
from pipeline.types import Article, Quote


def sentences(text: str, start: int = 0, end: int | None = None) -> list[str]:
    return [text[s:e] for s, e in split_spans(text, start, len(text) if end is None else end)]


def test_two_sentences_are_split_and_trimmed():
    assert sentences("  The talks went well.  We will meet again.  ") == ["The talks went well.", "We will meet again."]


def test_offsets_are_absolute_inside_a_range():
    text = 'He said: "It rained. Then it stopped." Later he left.'
    start = text.index("It")
    end = text.index('"', start)
    spans = split_spans(text, start, end)
    assert [text[s:e] for s, e in spans] == ["It rained.", "Then it stopped."]
    assert spans[0][0] == start


def test_abbreviations_and_initials_do_not_end_sentences():
    text = "Gen. Smith met Mr. Jones in the U.S. capital on Feb. 12 with J. R. Black."
    assert sentences(text) == [text]


def test_numbers_with_points_do_not_end_sentences():
    assert sentences("Trade fell by 2.5 percent. It was $1.2 billion.") == ["Trade fell by 2.5 percent.", "It was $1.2 billion."]


def test_a_piece_opening_with_a_comma_continues_its_sentence():
    assert sentences("Sen. Ann Lee, D-Ore., spoke first. Others followed.") == ["Sen. Ann Lee, D-Ore., spoke first.", "Others followed."]


def test_a_trailing_comma_stays_with_its_sentence():
    assert sentences("We hope so. We really do,") == ["We hope so.", "We really do,"]


def test_a_spaced_three_dot_ellipsis_ends_a_sentence():
    assert sentences("We waited for a signal... we are still waiting,") == ["We waited for a signal...", "we are still waiting,"]


def test_a_unicode_ellipsis_before_lower_case_is_an_omission():
    text = "We cannot accept a situation… where one side decides alone."
    assert sentences(text) == [text]


def test_a_unicode_ellipsis_before_a_capital_ends_a_sentence():
    assert sentences("We tried hard… Nobody listened.") == ["We tried hard…", "Nobody listened."]


def test_an_elision_marker_is_dropped_between_sentences():
    assert sentences("The meeting itself is good [...] We have not seen the text yet.") == [
        "The meeting itself is good",
        "We have not seen the text yet.",
    ]


def test_repeated_sentences_get_their_own_offsets():
    text = "We agree. We agree. We agree."
    assert split_spans(text, 0, len(text)) == [(0, 9), (10, 19), (20, 29)]


def test_empty_and_out_of_range_ranges():
    assert split_spans("   ", 0, 3) == []
    assert split_spans("abc", 2, 1) == []
    assert split_spans("Hello there.", -5, 100) == [(0, 12)]


def test_punctuation_only_pieces_are_not_sentences():
    assert sentences("— …") == []


def test_quote_sentences_number_sentences_within_each_quote():
    text = 'Intro. "One. Two," she said, "three." End.'
    first = (text.index("One"), text.index('" she'))
    second = (text.index("three"), text.index('" End'))
    article = Article(id="a", source="a.txt", title="t", text=text)
    quote = Quote(article_id="a", index=0, spans=(first, second), speaker="Ann Lee", fragment=False)
    result = quote_sentences(article, [quote])
    assert [(s.index, s.text) for s in result] == [(0, "One."), (1, "Two,"), (2, "three.")]
    assert all(text[s.start : s.end] == s.text and s.speaker == "Ann Lee" and s.quote_index == 0 for s in result)


PIECES = list("ab .,;!?…[]()\"“”‘’'\n") + ["U.S.", "Mr.", "...", "We", " said", "[...]"]
QUOTE_TEXT = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=150, deadline=None)
@given(QUOTE_TEXT, st.integers(-3, 90), st.integers(-3, 90))
def test_spans_lie_inside_the_range_and_do_not_overlap(text, start, end):
    spans = split_spans(text, start, end)
    low, high = max(0, start), min(len(text), end)
    previous_end = low
    for span_start, span_end in spans:
        assert previous_end <= span_start < span_end <= high
        piece = text[span_start:span_end]
        assert piece == piece.strip()
        previous_end = span_end


@settings(max_examples=1000, deadline=None)
@given(QUOTE_TEXT)
def test_skipping_pysbd_without_a_possible_boundary_changes_nothing(text):
    """The fast path (no terminator followed by more text) must give what running pysbd gives."""
    fast = split_spans(text, 0, len(text))
    with mock.patch.object(splitter, "POSSIBLE_BOUNDARY", re.compile("")):  # matches everywhere: always pysbd
        assert split_spans(text, 0, len(text)) == fast
