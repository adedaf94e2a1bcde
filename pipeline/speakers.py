"""Who is quoted: quotations attributed to speakers by reading the words around them.

The text outside quotation marks is read once. Every speech verb ("said", "told reporters",
"according to", "was quoted as saying") becomes a *speech event* whose subject is resolved to a
referent: a person's full name as the article first gives it, an organisation, a country, or
nothing. A quotation takes, in this order: the event right after it (``"…," he said``), the nearest
event before it in its sentence, a later event in its sentence, a speaker heading standing above a
quote-only paragraph, the previous quote of a run of quote-only paragraphs, or the latest event of
the last two paragraphs. Two passes then refine what the text names loosely: a country speaking
("Moscow said") becomes the nearest quoted official of that country, and a quote nobody is named
for takes the speaker of a longer quote that repeats its words (a headline pull quote).

Everything is a bounded look around each quote, so the whole pass is linear in the text length.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

# --- lexicons -------------------------------------------------------------------------------------

SPEECH_VERBS = frozenset(
    "said says say told tells added adds noted stressed stresses explained explains emphasized "
    "emphasizes emphasised emphasises warned warns stated declared declares announced announces "
    "commented remarked insisted insists claimed argued argues urged urges wrote writes tweeted "
    "tweets reiterated reiterates recalled underlined underscored confirmed confirms replied "
    "responded answered acknowledged admitted asserted maintained maintains countered accused "
    "accuses called calls described describes promised pledged vowed vows threatened reaffirmed "
    "reaffirms condemned condemns denounced".split()
)
SPEECH_PARTICIPLES = frozenset(
    "saying adding noting stressing explaining emphasizing emphasising warning stating declaring "
    "announcing insisting claiming arguing urging writing tweeting reiterating recalling "
    "underlining telling calling describing accusing confirming promising pledging vowing "
    "threatening".split()
)
POINTING_VERBS = frozenset({"pointed", "points", "pointing"})  # speech only as "pointed out"
QUOTED_VERB = "quoted"  # "quoted X as saying", "X was quoted as saying"
PASSIVE_AUXILIARIES = frozenset({"was", "were", "is", "are", "been", "be"})
PREPOSITIONS = frozenset("for of by in on at with without after before about from than".split())
BYLINE_MARKS = frozenset({"–", "—", "-", ":"})  # "… – Putin", "…: Prime Minister Dmitry Medvedev"

# Words that may stand between a subject and its verb: "Peskov also said", "Abe on Friday told".
SUBJECT_VERB_FILLERS = frozenset(
    "also further earlier later then again previously repeatedly reportedly once already recently "
    "still even too however has have had will would on this last week today yesterday morning "
    "afternoon evening night monday tuesday wednesday thursday friday saturday sunday".split()
)
# Capitalised words that open sentences or clauses without being part of a name.
CALENDAR_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april june july "
    "august september october november december jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
NOT_NAME_WORDS = CALENDAR_WORDS | frozenset(
    "the a an in on at after during but however asked earlier this that these those it he she they "
    "we i you both while and also as for with by from since when if under according meanwhile "
    "later last speaking writing there his her its their our my your what who which where why how "
    "may watch read photo file update".split()
)
DETERMINERS = frozenset({"the", "a", "an"})
POSSESSIVE_DETERMINERS = frozenset({"his", "her", "its", "their", "our", "my", "your"})
CLAUSE_OPENERS = frozenset({"that", "which", "who", "what", "whom", "where", "when", "while", "and", "but", "as", "if"})
NAME_CONNECTORS = frozenset({"of", "for", "de", "al", "bin", "van", "von", "der", "la", "le", "du"})

# Title words precede a name and are not part of it ("Kremlin spokesman Dmitry Peskov").
TITLE_WORDS = frozenset(
    "president vice prime minister ministers deputy foreign spokesman spokeswoman spokesperson "
    "secretary press ambassador envoy special representative leader chairman chairwoman chief "
    "director general senator sen gov governor mr mrs ms dr sir king queen premier chancellor "
    "defense defence national security adviser advisor head top senior official diplomat "
    "presidential supreme commander counselor assistant first former acting fm upper house speaker "
    "council federation affairs interior finance trade state department's ministry's".split()
)
# Abbreviated titles spelled out, so "Russian FM" matches "Russia's Foreign Minister".
TITLE_ABBREVIATIONS = {"fm": ("foreign", "minister"), "pm": ("prime", "minister")}
# Role words that name the same post, so "Russia's envoy" matches "Russian Ambassador …".
ROLE_SYNONYMS = {"envoy": "ambassador", "spokesman": "spokesperson", "spokeswoman": "spokesperson"}
# Nouns that name a speaker by role rather than by name ("the diplomat said").
PERSON_ROLES = frozenset(
    "diplomat spokesman spokeswoman spokesperson official minister ambassador envoy leader president "
    "premier chancellor secretary senator director chairman chairwoman adviser advisor representative "
    "negotiator chief head lawmaker speaker fm pm".split()
)
BODY_ROLES = frozenset("ministry statement office agency department embassy government administration".split())
PLURAL_SPEAKERS = frozenset("officials sources analysts diplomats experts observers leaders ministers".split())
# A name ending in one of these is an organisation, kept whole ("Russian Foreign Ministry").
ORGANISATION_HEADS = frozenset(
    "ministry department house office council agency committee commission government embassy "
    "administration treasury affairs post times assembly parliament duma senate congress "
    "organization organisation".split()
)
# Media are where words were reported, not who said them ("according to Reuters").
MEDIA_WORDS = frozenset(
    "associated press ap reuters tass itar interfax xinhua afp bbc cnn yonhap ria novosti sputnik "
    "bloomberg kommersant kyodo nhk efe ians media agency report reports newspaper".split()
)
# Words naming a country, its capital or its government: a speaker named so is that country.
COUNTRY_WORDS: dict[str, str] = {
    **dict.fromkeys(("russia", "russian", "moscow", "kremlin"), "russia"),
    **dict.fromkeys(("china", "chinese", "beijing"), "china"),
    **dict.fromkeys(("us", "u.s.", "usa", "america", "american", "washington", "united", "states"), "us"),
    **dict.fromkeys(("japan", "japanese", "tokyo"), "japan"),
    **dict.fromkeys(("seoul", "pyongyang", "dprk", "korea", "korean", "north", "south"), "korea"),
    **dict.fromkeys(("iran", "iranian", "tehran"), "iran"),
    **dict.fromkeys(("u.n.", "nations"), "un"),
    **dict.fromkeys(("britain", "british", "london", "france", "french", "paris", "germany", "german",
                     "berlin", "european", "eu", "asian", "western", "taliban", "venezuela",
                     "venezuelan", "india", "indian", "vietnam", "vietnamese"), "other"),
}
COUNTRY_GOVERNMENT_WORDS = frozenset({"government", "side", "authorities", "leadership"})
ABBREVIATIONS = frozenset(
    "mr mrs ms dr gen col lt sgt st sen rep gov prof jan feb mar apr jun jul aug sep sept oct nov dec "
    "no vs etc inc corp jr sr".split()
)
PRONOUNS = {"he": "person", "she": "person", "it": "body"}

QUOTE_PLACEHOLDER = "\ue000"
TOKEN = re.compile(QUOTE_PLACEHOLDER + r"|[^\W_]+(?:\.[^\W_]+)+\.?|[^\W_]+(?:['’\-][^\W_]+)*|[^\w\s]")
SENTENCE_PUNCTUATION = frozenset(".!?…")

# How far (in tokens) a quote looks for its attribution, and how many paragraphs back it may reach.
ATTRIBUTION_REACH = 40
PARTICIPLE_LOOKBACK = 8
BYLINE_MAX_TOKENS = 6
FALLBACK_PARAGRAPHS = 2
PULL_QUOTE_CANDIDATES = 16
HEADING_MAX_TOKENS = 16


@dataclass(frozen=True)
class MarkedQuote:
    """A quotation as found: each part is (opening mark start, text start, text end, closing mark end)."""

    parts: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True)
class Referent:
    """Who a mention points to: ``kind`` is person, body (an organisation) or country."""

    name: str
    kind: str
    countries: frozenset[str] = frozenset()


@dataclass
class _Token:
    start: int
    end: int
    text: str
    lower: str
    quote: int | None = None  # index of the quote this placeholder stands for


@dataclass
class _Sentence:
    paragraph: int
    tokens: list[_Token]


@dataclass
class _Event:
    sentence: int
    verb: int  # token index of the speech verb
    first: int  # first token index of subject-and-verb
    inverted: bool  # "said X"
    referent: Referent | None
    finite: bool = True  # False for participles ("saying"), which speak for another verb's subject


@dataclass
class _Mention:
    """A person or organisation named in the text, with the title words around the name."""

    position: int
    referent: Referent
    title: frozenset[str]


@dataclass
class _Reading:
    text: str
    quotes: list[MarkedQuote]
    sentences: list[_Sentence] = field(default_factory=list)
    paragraph_sentences: dict[int, list[int]] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)
    mentions: list[_Mention] = field(default_factory=list)
    full_names: dict[str, Referent] = field(default_factory=dict)
    organisations: list[Referent] = field(default_factory=list)
    quote_places: dict[int, tuple[int, int]] = field(default_factory=dict)  # quote -> (sentence, token)


def find_speakers(text: str, quotes: list[MarkedQuote]) -> list[str | None]:
    """The speaker of each quote (full name or organisation), or None where the text does not say."""
    reading = _read(text, quotes)
    referents: list[Referent | None] = []
    for index in range(len(quotes)):
        referents.append(_attribute(reading, index, referents))
    _resolve_countries(reading, referents)
    _adopt_pull_quote_speakers(reading, referents)
    return [referent.name if referent else None for referent in referents]


def reported_speech(text: str, quotes: list[MarkedQuote]) -> list[tuple[tuple[int, int], str | None]]:
    """Spans of ``X said that …`` clauses in sentences without quotation marks, with their speaker."""
    reading = _read(text, quotes)
    found = []
    for event in reading.events:
        tokens = reading.sentences[event.sentence].tokens
        if any(token.quote is not None for token in tokens) or event.inverted:
            continue
        after = event.verb + 1
        if after < len(tokens) and tokens[after].lower == "that" and after + 1 < len(tokens):
            end = tokens[-1].end if tokens[-1].text not in SENTENCE_PUNCTUATION else tokens[-1].start
            start = tokens[after + 1].start
            if end > start:
                found.append(((start, end), event.referent.name if event.referent else None))
    return found


# --- reading the text -----------------------------------------------------------------------------


def _read(text: str, quotes: list[MarkedQuote]) -> _Reading:
    reading = _Reading(text, quotes)
    masked = _mask_quotes(text, quotes)
    owner = {part[0]: index for index, quote in enumerate(quotes) for part in quote.parts}
    part_ends = {part[0]: part[2] for quote in quotes for part in quote.parts}
    paragraph = 0
    for line_match in re.finditer(r"[^\n]+", masked):
        tokens = [_make_token(match, owner) for match in TOKEN.finditer(masked, line_match.start(), line_match.end())]
        if not tokens:
            continue
        for sentence_tokens in _split_sentences(text, part_ends, tokens):
            reading.paragraph_sentences.setdefault(paragraph, []).append(len(reading.sentences))
            reading.sentences.append(_Sentence(paragraph, sentence_tokens))
        paragraph += 1
    for sentence_index, sentence in enumerate(reading.sentences):
        for token_index, token in enumerate(sentence.tokens):
            if token.quote is not None:
                reading.quote_places.setdefault(token.quote, (sentence_index, token_index))
    _collect_names(reading)
    _collect_events(reading)
    return reading


def _mask_quotes(text: str, quotes: list[MarkedQuote]) -> str:
    """The text with every quoted part blanked and a placeholder at its opening mark (same offsets)."""
    pieces = []
    cursor = 0
    for quote in quotes:
        for mark_start, _, _, mark_end in quote.parts:
            pieces.append(text[cursor:mark_start])
            pieces.append(QUOTE_PLACEHOLDER + re.sub(r"[^\n]", " ", text[mark_start + 1 : mark_end]))
            cursor = mark_end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _make_token(match: re.Match, owner: dict[int, int]) -> _Token:
    word = match.group()
    return _Token(match.start(), match.end(), word, word.lower(), owner.get(match.start()) if word == QUOTE_PLACEHOLDER else None)


def _split_sentences(text: str, part_ends: dict[int, int], tokens: list[_Token]) -> Iterator[list[_Token]]:
    """Sentences of one paragraph; a quote ending in a full stop ends its sentence when a capital follows."""
    current: list[_Token] = []
    for index, token in enumerate(tokens):
        current.append(token)
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is None or not (following.text[:1].isupper() or following.quote is not None):
            continue
        if token.text in SENTENCE_PUNCTUATION:
            previous = tokens[index - 1].lower if index else ""
            if token.text == "." and (previous in ABBREVIATIONS or len(previous) == 1):
                continue
            yield current
            current = []
        elif token.quote is not None and _quote_ends_sentence(text, token.start, part_ends[token.start]):
            yield current
            current = []
    if current:
        yield current


def _quote_ends_sentence(text: str, start: int, end: int) -> bool:
    last = text[start:end].rstrip()
    return bool(last) and last[-1] in SENTENCE_PUNCTUATION


# --- names ----------------------------------------------------------------------------------------


def _collect_names(reading: _Reading) -> None:
    """Every capitalised run outside quotes, split into title and name, in order of appearance."""
    for sentence in reading.sentences:
        if _headline_case(sentence.tokens):
            continue
        for run in _capitalised_runs(sentence.tokens):
            words = [token.text for token in run]
            mention = _name_from_words(words)
            if mention is None:
                continue
            referent, title = mention
            reading.mentions.append(_Mention(run[0].start, referent, title))
            if referent.kind == "person" and " " in referent.name:
                for word in referent.name.split():
                    reading.full_names.setdefault(word, referent)
            elif referent.kind == "body":
                reading.organisations.append(referent)


def _headline_case(tokens: list[_Token]) -> bool:
    """Title Case Headline: capitals there do not mark names."""
    words = [token.text for token in tokens if token.text[0].isalpha() and len(token.text) > 3]
    return len(words) >= 3 and all(word[0].isupper() for word in words)


def _capitalised_runs(tokens: list[_Token]) -> Iterator[list[_Token]]:
    """Runs of capitalised and title words; a weekday, a speech verb or a possessive ends a run,
    except a country's possessive, which belongs to a title ("China's Foreign Ministry spokeswoman")."""
    run: list[_Token] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        breaks = token.lower in CALENDAR_WORDS or token.lower in SPEECH_VERBS or token.lower in SPEECH_PARTICIPLES
        if not breaks and (_is_capitalised(token) or token.lower in TITLE_WORDS and token.quote is None and token.text[0].isalpha()):
            run.append(token)
        elif run and token.lower in NAME_CONNECTORS and following is not None and _is_capitalised(following):
            run.append(token)
        else:
            if run:
                yield run
            run = []
        if run and _possessive(token.text) and _strip_possessive(token.lower) not in COUNTRY_WORDS:
            yield run
            run = []
    if run:
        yield run


def _is_capitalised(token: _Token) -> bool:
    return token.quote is None and token.text[:1].isupper()


def _possessive(word: str) -> bool:
    return word.endswith(("'s", "’s", "s'", "s’"))


def _strip_possessive(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word


def _name_from_words(words: list[str]) -> tuple[Referent, frozenset[str]] | None:
    """Split ``Russian Deputy Foreign Minister Igor Morgulov`` into a referent and its title words."""
    words = [_strip_possessive(word) for word in words]
    while words and words[0].lower() in NOT_NAME_WORDS:
        words = words[1:]
    while words and words[-1].lower() in NAME_CONNECTORS:
        words = words[:-1]
    if not words:
        return None
    lowered = [word.lower() for word in words]
    countries = frozenset(COUNTRY_WORDS[word] for word in lowered if word in COUNTRY_WORDS)
    if lowered[-1] in ORGANISATION_HEADS:
        return Referent(" ".join(words), "body", countries), frozenset(_title_words(lowered))
    name_start = len(words)
    while name_start > 0 and _is_name_word(words[name_start - 1]):
        name_start -= 1
    if name_start == len(words):
        if all(word in COUNTRY_WORDS or word in COUNTRY_GOVERNMENT_WORDS for word in lowered) and countries:
            return Referent(" ".join(words), "country", countries), frozenset()
        return None
    title = lowered[:name_start]
    return Referent(" ".join(words[name_start:]), "person", countries), frozenset(_title_words(title))


def _is_name_word(word: str) -> bool:
    lowered = word.lower()
    shouted = len(word) > 1 and word.isupper()
    return word[:1].isupper() and not shouted and lowered not in TITLE_WORDS and lowered not in COUNTRY_WORDS and lowered not in NOT_NAME_WORDS


def _title_words(lowered: list[str]) -> Iterator[str]:
    for word in lowered:
        word = _strip_possessive(word)
        if word in TITLE_ABBREVIATIONS:
            yield from TITLE_ABBREVIATIONS[word]
        else:
            yield COUNTRY_WORDS.get(word, ROLE_SYNONYMS.get(word, word))


# --- speech events --------------------------------------------------------------------------------


def _collect_events(reading: _Reading) -> None:
    for sentence_index, sentence in enumerate(reading.sentences):
        tokens = sentence.tokens
        for index, token in enumerate(tokens):
            event = _event_at(reading, sentence_index, tokens, index) or _byline_at(reading, sentence_index, tokens, index)
            if event is not None:
                reading.events.append(event)


def _byline_at(reading: _Reading, sentence_index: int, tokens: list[_Token], index: int) -> _Event | None:
    """A name after a dash or colon closing a line (``… – Putin``), or before a colon opening a quote
    (``U.S. Senator: "…"``), is who speaks there."""
    if tokens[index].text not in BYLINE_MARKS or index == 0:
        return None
    position = tokens[index].start
    if tokens[index].text == ":" and index + 1 < len(tokens) and tokens[index + 1].quote is not None:
        words, first = _left_phrase(tokens, index)
        return _Event(sentence_index, index, first, False, _resolve_words(reading, words, position)) if words else None
    tail = tokens[index + 1 :]
    if not 0 < len(tail) <= BYLINE_MAX_TOKENS or not all(_is_capitalised(token) for token in tail):
        return None
    referent = _resolve_words(reading, [token.text for token in tail], position)
    if referent is None or referent.kind == "country":
        return None
    return _Event(sentence_index, index, index, True, referent)


def _event_at(reading: _Reading, sentence_index: int, tokens: list[_Token], index: int) -> _Event | None:
    word = tokens[index].lower
    previous = tokens[index - 1].lower if index else ""
    following = tokens[index + 1].lower if index + 1 < len(tokens) else ""
    if previous == "to" or previous in DETERMINERS or previous in POSSESSIVE_DETERMINERS:
        return None  # "expected to announce", "its calls for": not a speech act by a subject
    position = tokens[index].start
    if word == "according" and following == "to":
        referent = _according_to(reading, tokens[index + 2 :], position)
        return _Event(sentence_index, index, index, False, referent) if referent else None
    if word == QUOTED_VERB:
        return _quoted_as(reading, sentence_index, tokens, index)
    if word in POINTING_VERBS and following != "out":
        return None
    if word in SPEECH_PARTICIPLES or word == "pointing":
        return _participle_event(reading, sentence_index, tokens, index)
    if word not in SPEECH_VERBS and word not in POINTING_VERBS:
        return None
    if previous in PASSIVE_AUXILIARIES and following == "by":
        words, _ = _right_phrase(tokens, index + 2)
        return _Event(sentence_index, index, index, False, _resolve_words(reading, words, position))
    if index and (tokens[index - 1].quote is not None or previous == "," and index > 1 and tokens[index - 2].quote is not None):
        words, _ = _right_phrase(tokens, index + 1)
        referent = _resolve_words(reading, words, position)
        if referent is not None:
            return _Event(sentence_index, index, index, True, referent)
    words, first = _left_phrase(tokens, index)
    if not words and index and tokens[index - 1].text == ",":
        words, first = _left_phrase_before_aside(tokens, index - 1)
    if not words:
        return None
    return _Event(sentence_index, index, first, False, _resolve_words(reading, words, position))


def _according_to(reading: _Reading, tokens: list[_Token], position: int) -> Referent | None:
    words = []
    for token in tokens:
        if token.text in ",.;:" or token.quote is not None:
            break
        words.append(token.text)
    lowered = [word.lower() for word in words]
    for lead in (("a", "statement", "from"), ("a", "statement", "by"), ("the", "statement", "from")):
        if tuple(lowered[:3]) == lead:
            words, lowered = words[3:], lowered[3:]
    if not words or any(word in MEDIA_WORDS for word in lowered):
        return None
    return _resolve_words(reading, words[:8], position)


def _quoted_as(reading: _Reading, sentence_index: int, tokens: list[_Token], index: int) -> _Event | None:
    """``X was quoted as saying`` names X; ``CCTV quoted X as saying`` names X too."""
    position = tokens[index].start
    previous = tokens[index - 1].lower if index else ""
    if previous in PASSIVE_AUXILIARIES:
        words, first = _left_phrase(tokens, index - 1)
        return _Event(sentence_index, index, first, False, _resolve_words(reading, words, position)) if words else None
    words = []
    for token in tokens[index + 1 : index + 8]:
        if token.lower == "as":
            return _Event(sentence_index, index, index, False, _resolve_words(reading, words, position)) if words else None
        words.append(token.text)
    return None


def _participle_event(reading: _Reading, sentence_index: int, tokens: list[_Token], index: int) -> _Event | None:
    """``…, saying`` speaks for the clause's subject; ``the ambassador accusing`` for the words before."""
    position = tokens[index].start
    if index and tokens[index - 1].lower in PREPOSITIONS:
        return None  # "thanked him for saying": a gerund, not a speech event
    if index and tokens[index - 1].text != ",":
        words, first = _left_phrase(tokens, index)
        referent = _resolve_words(reading, words, position) if words else None
        if referent is not None:
            return _Event(sentence_index, index, first, False, referent, finite=False)
    for event in reversed(reading.events[-PARTICIPLE_LOOKBACK:]):
        if event.sentence != sentence_index:
            break
        if event.verb < index and event.finite:
            return _Event(sentence_index, index, index, False, event.referent, finite=False)
    words = _sentence_subject(tokens)
    return _Event(sentence_index, index, index, False, _resolve_words(reading, words, position), finite=False) if words else None


def _left_phrase(tokens: list[_Token], verb: int) -> tuple[list[str], int]:
    """The noun phrase ending just before ``verb`` (fillers like "also" or "on Monday" skipped)."""
    index = verb - 1
    while index >= 0 and tokens[index].lower in SUBJECT_VERB_FILLERS:
        index -= 1
    words: list[str] = []
    while index >= 0:
        token = tokens[index]
        lowered = token.lower
        if token.quote is not None or not (token.text[0].isalnum()):
            break
        if lowered in CLAUSE_OPENERS and not (lowered == "and" and words and _is_capitalised(tokens[index + 1]) and index and _is_capitalised(tokens[index - 1])):
            break
        if token.text[0].isupper() or lowered in TITLE_WORDS or lowered in PERSON_ROLES or lowered in BODY_ROLES or lowered in PLURAL_SPEAKERS or lowered in PRONOUNS or lowered in NAME_CONNECTORS or lowered == "and":
            words.insert(0, token.text)
        elif lowered in DETERMINERS or lowered in POSSESSIVE_DETERMINERS:
            words.insert(0, token.text)
            break
        elif words and (words[0].lower() in PERSON_ROLES or words[0].lower() in BODY_ROLES) and "-" in token.text or words and words[0].lower() in PERSON_ROLES | BODY_ROLES and lowered.endswith(("al", "ic", "ing", "ed", "ian", "ese")):
            words.insert(0, token.text)  # an adjective before a role: "the high-ranking diplomat"
        else:
            break
        if lowered in PRONOUNS or lowered == "who":
            break
        index -= 1
    if index >= 0 and tokens[index].lower == "who" and not words:
        return [], verb
    return words, index + 1


def _left_phrase_before_aside(tokens: list[_Token], comma: int) -> tuple[list[str], int]:
    """``Nebenzia, who holds the council presidency, said``: the subject before the aside."""
    for index in range(comma - 1, max(comma - 16, 0), -1):
        if tokens[index].text == ",":
            return _left_phrase(tokens, index)
        if tokens[index].quote is not None:
            break
    return [], comma


def _right_phrase(tokens: list[_Token], start: int) -> tuple[list[str], int]:
    """The noun phrase after an inverted verb: ``said the director of …, Georgy Zinoviev``."""
    words = []
    index = start
    while index < len(tokens) and len(words) < 20:
        token = tokens[index]
        if token.quote is not None or token.text in ".;:!?" or token.lower in SUBJECT_VERB_FILLERS and token.lower not in ("on",):
            break
        if token.lower in ("on", "at", "in", "during", "when", "after", "as", "adding", "while", "before"):
            break
        words.append(token.text)
        index += 1
    return words, index


def _sentence_subject(tokens: list[_Token]) -> list[str]:
    """The first noun phrase of a sentence, after an opening phrase such as "On Tuesday,"."""
    start = 0
    if tokens and tokens[0].text == "(" and ")" in [token.text for token in tokens[:6]]:
        start = [token.text for token in tokens].index(")") + 1
    while start < len(tokens) and not tokens[start].text[0].isalnum():
        start += 1
    for index, token in enumerate(tokens[start : start + 10], start):
        if token.text == ",":
            if tokens[start].lower in NOT_NAME_WORDS or tokens[start].lower.endswith(("ing", "ly")):
                start = index + 1
            break
    words = []
    for token in tokens[start:]:
        lowered = token.lower
        if token.quote is not None or not token.text[0].isalnum():
            break
        if token.text[0].isupper() or lowered in TITLE_WORDS or lowered in PERSON_ROLES or lowered in BODY_ROLES or lowered in DETERMINERS or lowered in PLURAL_SPEAKERS or lowered in COUNTRY_GOVERNMENT_WORDS or lowered in NAME_CONNECTORS:
            words.append(token.text)
        else:
            break
    return words


# --- resolving a phrase to a referent -------------------------------------------------------------


def _resolve_words(reading: _Reading, words: list[str], position: int) -> Referent | None:
    """A subject phrase to a referent: pronoun, name, organisation, country or role, in that order."""
    words = [word for word in words if word != ","]
    if not words:
        return None
    lowered = [word.lower() for word in words]
    if len(words) == 1 and lowered[0] in PRONOUNS:
        return _latest_speaker(reading, position, PRONOUNS[lowered[0]]) or _latest_mention(reading, position)
    if lowered[-1] in PLURAL_SPEAKERS:
        return None
    if "and" in lowered:
        return _coordinated(reading, words, position)
    for run in _name_runs(words):
        mention = _name_from_words(run)
        if mention is None:
            continue
        referent, _ = mention
        if referent.kind == "person":
            return _full_name(reading, referent)
        if referent.kind == "body":
            return _full_organisation(reading, referent)
    for run in _name_runs(words):
        mention = _name_from_words(run)
        if mention is not None:
            return mention[0]
    return _resolve_role(reading, lowered, words, position)


def _name_runs(words: list[str]) -> Iterator[list[str]]:
    """Candidate names in a phrase, the likeliest first: runs of two or more name words, then the rest."""
    runs = []
    current: list[str] = []
    for word in [*words, ","]:
        lowered = word.lower()
        if word[:1].isupper() or lowered in TITLE_WORDS or current and lowered in NAME_CONNECTORS:
            current.append(word)
            if _possessive(word) and _strip_possessive(lowered) not in COUNTRY_WORDS:
                runs.append(current)
                current = []
        else:
            if current:
                runs.append(current)
            current = []
    named = [run for run in runs if sum(_is_name_word(_strip_possessive(word)) for word in run) >= 2]
    yield from named
    yield from (run for run in runs if run not in named and not _possessive(run[-1]))


def _full_name(reading: _Reading, referent: Referent) -> Referent:
    """A bare or partial name ("Peskov", "Mr Kim") to the full name the article gives it."""
    words = referent.name.split()
    if len(words) == 1 and words[0] in reading.full_names:
        return reading.full_names[words[0]]
    return referent


def _full_organisation(reading: _Reading, referent: Referent) -> Referent:
    """``Foreign Ministry`` to the first fuller form in the article (``Russian Foreign Ministry``)."""
    for organisation in reading.organisations:
        if organisation.name.lower().endswith(referent.name.lower()):
            return organisation
    return referent


def _coordinated(reading: _Reading, words: list[str], position: int) -> Referent | None:
    """``Donald Trump and Kim Jong Un pledged``: both names, joined as the article does."""
    parts, current = [], []
    for word in [*words, "and"]:
        if word.lower() == "and":
            if current:
                parts.append(current)
            current = []
        else:
            current.append(word)
    referents = [_resolve_words(reading, part, position) for part in parts]
    if len(referents) < 2 or any(referent is None or referent.kind != "person" for referent in referents):
        return None
    return Referent(" and ".join(referent.name for referent in referents), "person")


def _resolve_role(reading: _Reading, lowered: list[str], words: list[str], position: int) -> Referent | None:
    """``the Russian ambassador``: a named person with that title, else the latest speaker of that kind."""
    heads = [word for word in lowered if word in PERSON_ROLES or word in BODY_ROLES]
    if not heads:
        return None
    head = heads[-1]
    kind = "body" if head in BODY_ROLES else "person"
    bare = [_strip_possessive(word) for word in lowered]
    wanted = set(_title_words([word for word in bare if word in TITLE_WORDS or word in COUNTRY_WORDS or word in PERSON_ROLES]))
    if lowered[0] in ("a", "an"):
        caps = [word for word in words[1:] if word[:1].isupper()]
        return Referent(" ".join([*caps, words[-1]]), kind, frozenset(COUNTRY_WORDS[w.lower()] for w in caps if w.lower() in COUNTRY_WORDS)) if caps else None
    if kind == "person":
        titled = _titled_mention(reading, wanted, position)
        if titled is not None:
            return titled
    else:
        for mention in reversed([m for m in reading.mentions if m.position < position and m.referent.kind == "body"]):
            if head in mention.referent.name.lower().split():
                return mention.referent
    return _latest_speaker(reading, position, kind) or (_latest_speaker(reading, position, None) if kind == "body" else None)


def _titled_mention(reading: _Reading, wanted: set[str], position: int) -> Referent | None:
    before = after = None
    for mention in reading.mentions:
        if mention.referent.kind != "person" or not wanted <= (mention.title | set(mention.referent.name.lower().split())):
            continue
        if mention.position < position:
            before = mention.referent
        elif after is None:
            after = mention.referent
    return _full_name(reading, before or after) if (before or after) else None


def _latest_speaker(reading: _Reading, position: int, kind: str | None) -> Referent | None:
    for event in reversed(reading.events):
        if event.referent is None or reading.sentences[event.sentence].tokens[event.verb].start >= position:
            continue
        if kind is None or event.referent.kind == kind:
            return event.referent
    return None


def _latest_mention(reading: _Reading, position: int) -> Referent | None:
    for mention in reversed(reading.mentions):
        if mention.position < position and mention.referent.kind == "person":
            return _full_name(reading, mention.referent)
    return None


# --- attributing each quote -----------------------------------------------------------------------


def _attribute(reading: _Reading, quote_index: int, earlier: list[Referent | None]) -> Referent | None:
    """The quote's own attribution if it has one (even one naming nobody), else its surroundings'."""
    place = reading.quote_places.get(quote_index)
    if place is None:
        return None
    last_place = _last_part_place(reading, quote_index) or place
    events = _sentence_events(reading, place[0]) if place[0] == last_place[0] else _sentence_events(reading, place[0]) + _sentence_events(reading, last_place[0])
    for finder in (_event_right_after, _event_before, _event_later):
        event = finder(reading, events, place, last_place)
        if event is not None:
            return event.referent
    if _alone_in_paragraph(reading, place):
        heading = _heading_speaker(reading, place)
        if heading is not None:
            return heading
        if quote_index and _alone_in_paragraph(reading, reading.quote_places.get(quote_index - 1)) and _paragraph_of(reading, quote_index - 1) == _paragraph_of(reading, quote_index) - 1:
            return earlier[quote_index - 1]
    return _neighbour_speaker(reading, quote_index, place)


def _alone_in_paragraph(reading: _Reading, place: tuple[int, int] | None) -> bool:
    """Is the quote the whole of its paragraph (give or take punctuation)?"""
    if place is None:
        return False
    paragraph = reading.sentences[place[0]].paragraph
    tokens = [token for index in reading.paragraph_sentences[paragraph] for token in reading.sentences[index].tokens]
    return all(token.quote is not None or not token.text[0].isalnum() for token in tokens)


def _paragraph_of(reading: _Reading, quote_index: int) -> int:
    return reading.sentences[reading.quote_places[quote_index][0]].paragraph


def _last_part_place(reading: _Reading, quote_index: int) -> tuple[int, int] | None:
    mark = reading.quotes[quote_index].parts[-1][0]
    for sentence_index in range(reading.quote_places[quote_index][0], len(reading.sentences)):
        for token_index, token in enumerate(reading.sentences[sentence_index].tokens):
            if token.start == mark:
                return sentence_index, token_index
            if token.start > mark:
                return None
    return None


def _sentence_events(reading: _Reading, sentence: int) -> list[_Event]:
    return [event for event in _events_of_sentence(reading, sentence)]


def _events_of_sentence(reading: _Reading, sentence: int) -> Iterator[_Event]:
    if not hasattr(reading, "_by_sentence"):
        by_sentence: dict[int, list[_Event]] = {}
        for event in reading.events:
            by_sentence.setdefault(event.sentence, []).append(event)
        reading._by_sentence = by_sentence  # type: ignore[attr-defined]
    yield from reading._by_sentence.get(sentence, [])  # type: ignore[attr-defined]


def _event_right_after(reading: _Reading, events: list[_Event], place: tuple[int, int], last_place: tuple[int, int]) -> _Event | None:
    """``"…," he said`` / ``"…," said X``: the attribution directly after any part of the quote."""
    for sentence, token_index in {place, last_place}:
        tokens = reading.sentences[sentence].tokens
        for quote_token in range(token_index, len(tokens)):
            if tokens[quote_token].quote is None:
                continue
            following = quote_token + 1
            while following < len(tokens) and tokens[following].text in ",":
                following += 1
            for event in events:
                if event.sentence == sentence and (event.first == following or event.inverted and event.verb == following):
                    return event
            if quote_token > token_index + 2:
                break
    return None


def _event_before(reading: _Reading, events: list[_Event], place: tuple[int, int], last_place: tuple[int, int]) -> _Event | None:
    sentence, token_index = place
    before = [event for event in events if event.sentence == sentence and event.verb < token_index and token_index - event.verb <= ATTRIBUTION_REACH]
    return before[-1] if before else None


def _event_later(reading: _Reading, events: list[_Event], place: tuple[int, int], last_place: tuple[int, int]) -> _Event | None:
    sentence, token_index = last_place
    later = [event for event in events if event.sentence == sentence and event.verb > token_index and event.verb - token_index <= ATTRIBUTION_REACH]
    return later[0] if later else None


def _heading_speaker(reading: _Reading, place: tuple[int, int]) -> Referent | None:
    """A quote-only paragraph under a short line that names someone ("Sergei Lavrov, foreign minister")."""
    previous = reading.paragraph_sentences.get(reading.sentences[place[0]].paragraph - 1)
    if not previous or len(previous) != 1:
        return None
    tokens = reading.sentences[previous[0]].tokens
    if len(tokens) > HEADING_MAX_TOKENS or tokens[-1].text in ".!?" or any(token.quote is not None for token in tokens):
        return None
    words = [token.text for token in tokens]
    if ":" in words:
        words = words[len(words) - words[::-1].index(":") :]
    cut = len(words)
    for stop in (",", "(", "]"):
        if stop in words:
            cut = min(cut, words.index(stop))
    words = [word for word in words[:cut] if word not in "[]"]
    if not words or not all(word[:1].isupper() or word.lower() in NAME_CONNECTORS for word in words):
        return None
    mention = _name_from_words(words)
    if mention is None or mention[0].kind == "country":
        return None
    return _full_name(reading, mention[0]) if mention[0].kind == "person" else mention[0]


def _neighbour_speaker(reading: _Reading, quote_index: int, place: tuple[int, int]) -> Referent | None:
    """No attribution near the quote: the latest speaker of this or the previous two paragraphs."""
    paragraph = reading.sentences[place[0]].paragraph
    position = reading.quotes[quote_index].parts[0][0]
    for event in reversed(reading.events):
        event_sentence = reading.sentences[event.sentence]
        if event_sentence.tokens[event.verb].start >= position:
            continue
        if event_sentence.paragraph < paragraph - FALLBACK_PARAGRAPHS:
            break
        if event.referent is not None:
            return event.referent
    return None


# --- whole-article refinements --------------------------------------------------------------------


def _resolve_countries(reading: _Reading, referents: list[Referent | None]) -> None:
    """``Moscow said``/``China welcomed``: the nearest quoted person or body of that country."""
    for index, referent in enumerate(referents):
        if referent is None or referent.kind != "country":
            continue
        best = None
        for distance, other in _by_distance(referents, index):
            if other is not None and other.kind != "country" and referent.countries & _countries_of(reading, other):
                best = other
                break
        referents[index] = best or referent


def _by_distance(items: list, index: int) -> Iterator[tuple[int, object]]:
    for distance in range(1, len(items)):
        for other in (index - distance, index + distance):
            if 0 <= other < len(items):
                yield distance, items[other]


def _countries_of(reading: _Reading, referent: Referent) -> frozenset[str]:
    countries = set(referent.countries)
    for mention in reading.mentions:
        if mention.referent.name == referent.name or referent.name.endswith(mention.referent.name):
            countries |= {word for word in mention.title if word in COUNTRY_WORDS.values()}
            countries |= mention.referent.countries
    return frozenset(countries)


def _adopt_pull_quote_speakers(reading: _Reading, referents: list[Referent | None]) -> None:
    """A quote with no speaker whose words recur in an attributed quote gets that quote's speaker."""
    texts = [_normalised(" ".join(reading.text[start:end] for _, start, end, _ in quote.parts)) for quote in reading.quotes]
    pending = [index for index, referent in enumerate(referents) if referent is None or referent.kind == "country"]
    for index in pending[:PULL_QUOTE_CANDIDATES]:
        if not texts[index]:
            continue
        for other, referent in enumerate(referents):
            if other != index and referent is not None and referent.kind != "country" and f" {texts[index]} " in f" {texts[other]} ":
                referents[index] = referent
                break


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))
