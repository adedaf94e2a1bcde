"""Who is quoted: quotations attributed to speakers by reading the words around them.

The text outside quotation marks is read once. Every speech verb ("said", "told reporters",
"according to", "was quoted as saying", "… – Putin") becomes a *speech event* whose subject is
resolved to a referent: a person's full name as the article first gives it, an organisation, a
country, or nothing. A quotation takes, in this order: the event right after it (``"…," he said``),
the nearest event before it in its sentence, a later event in its sentence, a speaker heading above
a quote-only paragraph, the quote of the quote-only paragraph before, or the latest event of the
last two paragraphs. An event whose subject names nobody ("senior officials warned") leaves the
quote without a speaker rather than guessing. Two passes then refine loose naming: a country
speaking ("Moscow said") becomes the nearest quoted official of that country, and a quote nobody
is named for takes the speaker of a quote that repeats its words (a headline pull quote).

Every look-around is bounded, so the whole pass is linear in the text length.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

# --- lexicons -------------------------------------------------------------------------------------

SPEECH_VERBS = frozenset(
    {
        "said", "says", "say", "told", "tells", "added", "adds", "noted", "stressed", "stresses",
        "explained", "explains", "emphasized", "emphasizes", "emphasised", "emphasises", "warned", "warns",
        "stated", "declared", "declares", "announced", "announces", "commented", "remarked", "insisted",
        "insists", "claimed", "argued", "argues", "urged", "urges", "wrote", "writes", "tweeted", "tweets",
        "reiterated", "reiterates", "recalled", "underlined", "underscored", "confirmed", "confirms",
        "replied", "responded", "answered", "acknowledged", "admitted", "asserted", "maintained",
        "maintains", "countered", "accused", "accuses", "called", "calls", "described", "describes",
        "promised", "pledged", "vowed", "vows", "threatened", "reaffirmed", "reaffirms", "condemned",
        "condemns", "denounced", "asked", "asks",
    }
)
SPEECH_PARTICIPLES = frozenset(
    {
        "saying", "adding", "noting", "stressing", "explaining", "emphasizing", "emphasising", "warning",
        "stating", "declaring", "announcing", "insisting", "claiming", "arguing", "urging", "writing",
        "tweeting", "reiterating", "recalling", "underlining", "telling", "calling", "describing",
        "accusing", "confirming", "promising", "pledging", "vowing", "threatening",
    }
)
# Participles that also work as adjectives ("threatening exchanges", "promising results"): a speech
# event only after a comma or right after their subject.
ADJECTIVAL_PARTICIPLES = frozenset(
    {
        "threatening", "promising", "warning", "calling", "accusing", "writing", "confirming",
    }
)
CLAUSE_FINAL_VERBS = frozenset({"asked", "asks"})  # speech only ending a clause ('"…?" she asked'), not "asked him to …"
AUDIENCES = frozenset({"reporters", "journalists", "lawmakers", "delegates", "listeners", "viewers"})  # "asked reporters"
POINTING_VERBS = frozenset({"pointed", "points", "pointing"})  # speech only as "pointed out"
QUOTED_VERB = "quoted"  # "quoted X as saying", "X was quoted as saying"
PASSIVE_AUXILIARIES = frozenset({"was", "were", "is", "are", "been", "be"})
PREPOSITIONS = frozenset(
    {
        "for", "of", "by", "in", "on", "at", "with", "without", "after", "before", "about", "from", "than",
    }
)
BYLINE_MARKS = frozenset({"–", "—", "-", ":"})  # "… – Putin", "…: Prime Minister Dmitry Medvedev"
EVENT_WORDS = SPEECH_VERBS | SPEECH_PARTICIPLES | POINTING_VERBS | {QUOTED_VERB, "according"}

# Words that may stand between a subject and its verb: "Peskov also said", "Abe on Friday told".
SUBJECT_VERB_FILLERS = frozenset(
    {
        "also", "further", "earlier", "later", "then", "again", "previously", "repeatedly", "reportedly",
        "once", "already", "recently", "still", "even", "too", "however", "has", "have", "had", "will",
        "would", "on", "this", "last", "week", "today", "yesterday", "morning", "afternoon", "evening",
        "night", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    }
)
CALENDAR_WORDS = frozenset(
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
        "march", "april", "june", "july", "august", "september", "october", "november", "december",
    }
)
# Abbreviated months are also given names ("Zhang Jun"): a date only when not right after a name.
MONTH_ABBREVIATIONS = frozenset({"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"})
NAME_LOOKALIKES = MONTH_ABBREVIATIONS | {"he"}  # given names only right after a name: "Zhang Jun", "Liu He"
# Capitalised words that open sentences or clauses without being part of a name.
NOT_NAME_WORDS = CALENDAR_WORDS | MONTH_ABBREVIATIONS | frozenset(
    {
        "the", "a", "an", "in", "on", "at", "after", "during", "but", "however", "asked", "earlier", "this",
        "that", "these", "those", "it", "he", "she", "they", "we", "i", "you", "both", "while", "and",
        "also", "as", "for", "with", "by", "from", "since", "when", "if", "under", "according", "meanwhile",
        "later", "last", "speaking", "writing", "there", "his", "her", "its", "their", "our", "my", "your",
        "what", "who", "which", "where", "why", "how", "may", "watch", "read", "photo", "file", "update",
    }
)
INDEFINITE_DETERMINERS = frozenset({"a", "an", "one", "another"})  # "one official said": someone unnamed
DETERMINERS = frozenset({"the"}) | INDEFINITE_DETERMINERS
POSSESSIVE_DETERMINERS = frozenset({"his", "her", "its", "their", "our", "my", "your"})
CLAUSE_OPENERS = frozenset({"that", "which", "who", "what", "whom", "where", "when", "while", "and", "but", "as", "if"})
# "the embassy in Washington", "the ambassador at the UN": the place after a role is not the speaker.
LOCATIVES = frozenset({"in", "at", "to"})
NAME_CONNECTORS = frozenset({"of", "for", "de", "al", "bin", "van", "von", "der", "la", "le", "du"})
NAME_PARTICLES = NAME_CONNECTORS - {"of", "for"}  # inside a person's name: "Carlos Fernandez de Cossio"
# A lower-case Arabic article or kinship particle joined to a name: "al-Falih", "bin-Salman".
PREFIXED_NAME = re.compile(r"(?:al|el|ad|ash|as|at|ar|an|az|bin|ibn|abu|abd)-[A-Z][\w'’-]*")
COMPOUND_ADJECTIVE_ENDINGS = ("ed", "run", "born", "leaning", "friendly", "speaking", "style")
INITIALS = re.compile(r"(?:[A-Z]\.)+")  # "K.S. Venkatraman"
# The kind of speaker each pronoun stands for ("according to him" names a speaker too).
PRONOUNS = {"he": "person", "she": "person", "him": "person", "her": "person", "it": "body"}

# Title words precede a name and are not part of it ("Kremlin spokesman Dmitry Peskov").
TITLE_WORDS = frozenset(
    {
        "president", "vice", "prime", "minister", "ministers", "deputy", "foreign", "spokesman",
        "spokeswoman", "spokesperson", "secretary", "press", "ambassador", "envoy", "special",
        "representative", "leader", "chairman", "chairwoman", "chief", "director", "general", "senator",
        "sen", "gov", "governor", "mr", "mrs", "ms", "dr", "sir", "king", "queen", "premier", "chancellor",
        "defense", "defence", "national", "security", "adviser", "advisor", "head", "top", "senior",
        "official", "diplomat", "presidential", "supreme", "commander", "counselor", "assistant", "first",
        "former", "acting", "fm", "upper", "house", "speaker", "council", "federation", "affairs",
        "interior", "finance", "trade", "state", "department's", "ministry's", "rep", "gen", "adm", "col",
        "lt", "maj", "capt", "sgt", "prof", "aide", "mullah", "ayatollah", "sheikh", "crown", "prince",
        "commissioner", "coordinator", "mayor", "congressman", "congresswoman", "lawmaker", "mp", "attorney",
    }
)
# Abbreviated titles spelled out, so "Russian FM" matches "Russia's Foreign Minister".
TITLE_ABBREVIATIONS = {"fm": ("foreign", "minister"), "pm": ("prime", "minister")}
# Role words that name the same post, so "Russia's envoy" matches "Russian Ambassador …".
ROLE_SYNONYMS = {"envoy": "ambassador", "spokesman": "spokesperson", "spokeswoman": "spokesperson"}
# Nouns that name a speaker by role rather than by name ("the diplomat said").
PERSON_ROLES = frozenset(
    {
        "diplomat", "spokesman", "spokeswoman", "spokesperson", "official", "minister", "ambassador",
        "envoy", "leader", "president", "premier", "chancellor", "secretary", "senator", "director",
        "chairman", "chairwoman", "adviser", "advisor", "representative", "negotiator", "chief", "head",
        "lawmaker", "speaker", "fm", "pm", "aide", "analyst", "economist", "expert", "broker", "trader",
        "researcher", "professor", "scholar", "source", "commissioner", "coordinator", "mayor", "congressman",
        "congresswoman",
    }
)
BODY_ROLES = frozenset(
    {
        "ministry", "statement", "office", "agency", "department", "embassy", "government",
        "administration",
    }
)
NAMED_BODY_ROLES = frozenset({"ministry", "office", "agency", "department", "embassy"})  # "U.S. embassy" names one
# Groups quoted together are nobody in particular: their quotes get no speaker.
PLURAL_SPEAKERS = frozenset(
    {
        "officials", "sources", "analysts", "diplomats", "experts", "observers", "leaders", "ministers",
        "economists", "residents", "critics", "lawmakers", "people", "activists", "protesters", "witnesses",
        "officers", "investors", "traders", "politicians", "commentators", "reporters", "journalists",
        "participants",
    }
)
# A name ending in one of these is an organisation, kept whole ("Russian Foreign Ministry").
ORGANISATION_HEADS = frozenset(
    {
        "ministry", "department", "house", "office", "council", "agency", "committee", "commission",
        "government", "embassy", "administration", "treasury", "affairs", "post", "times", "assembly",
        "parliament", "duma", "senate", "congress", "organization", "organisation", "university", "institute",
        "center", "centre", "academy", "foundation", "party", "chiefs", "staff",
    }
)
# Media are where words were reported, not who said them ("according to Reuters").
MEDIA = re.compile(
    r"\b(?:associated press|ap|reuters|(?:itar[- ])?tass|interfax|xinhua|afp|bbc|cnn|yonhap|ria novosti|sputnik"
    r"|bloomberg|kommersant|kyodo|nhk|efe|ians|news agency|media|reports?|newspapers?)\b"
)
WORLD_PLACES = (
    "afghanistan", "afghan", "kabul", "albania", "algeria", "algerian", "angola", "argentina", "argentine",
    "armenia", "armenian", "yerevan", "australia", "australian", "canberra", "austria", "austrian", "vienna",
    "azerbaijan", "azerbaijani", "baku", "bahrain", "bangladesh", "belarus", "belarusian", "minsk", "belgium",
    "belgian", "brussels", "bolivia", "bosnia", "brazil", "brazilian", "brasilia", "bulgaria", "bulgarian",
    "cambodia", "canada", "canadian", "ottawa", "chile", "chilean", "colombia", "colombian", "bogota", "croatia",
    "cuba", "cuban", "havana", "cyprus", "czech", "prague", "denmark", "danish", "copenhagen", "egypt",
    "egyptian", "cairo", "estonia", "ethiopia", "finland", "finnish", "helsinki", "georgia", "georgian",
    "tbilisi", "greece", "greek", "athens", "hungary", "hungarian", "budapest", "indonesia", "indonesian",
    "jakarta", "iraq", "iraqi", "baghdad", "ireland", "irish", "dublin", "israel", "israeli", "jerusalem",
    "italy", "italian", "rome", "jordan", "jordanian", "amman", "kazakhstan", "kazakh", "kuwait", "kyrgyzstan",
    "latvia", "lebanon", "lebanese", "beirut", "libya", "libyan", "tripoli", "lithuania", "malaysia",
    "malaysian", "mexico", "mexican", "moldova", "mongolia", "mongolian", "morocco", "myanmar", "nepal",
    "netherlands", "dutch", "hague", "amsterdam", "nicaragua", "nigeria", "norway", "norwegian", "oslo",
    "oman", "pakistan", "pakistani", "islamabad", "palestine", "palestinian", "ramallah", "peru", "philippines",
    "philippine", "manila", "poland", "polish", "warsaw", "portugal", "lisbon", "qatar", "qatari", "doha",
    "romania", "romanian", "riyadh", "saudi", "serbia", "serbian", "belgrade", "singapore", "slovakia",
    "slovenia", "spain", "spanish", "madrid", "sweden", "swedish", "stockholm", "switzerland", "swiss",
    "geneva", "bern", "syria", "syrian", "damascus", "taiwan", "taipei", "tajikistan", "thailand", "thai",
    "bangkok", "tunisia", "turkey", "turkish", "ankara", "istanbul", "turkmenistan", "ukraine", "ukrainian",
    "kyiv", "kiev", "emirates", "emirati", "dhabi", "dubai", "uzbekistan", "caracas", "hanoi", "yemen",
    "yemeni", "sanaa", "vladivostok", "astana", "sochi", "osaka", "delhi", "hong kong", "macau", "crimea",
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
                     "berlin", "europe", "european", "eu", "asian", "western", "taliban", "venezuela",
                     "venezuelan", "india", "indian", "vietnam", "vietnamese"), "other"),
    # the rest of the world's countries, demonyms and capitals, so a place before a name is not part of it
    # ("the envoy for Syria Alexander Lavrentyev", "ambassador in Vienna Mikhail Ulyanov")
    **dict.fromkeys(WORLD_PLACES, "other"),
}
COUNTRY_KEYS = frozenset(COUNTRY_WORDS.values())  # "russia", "us", …, "other"
COUNTRY_GOVERNMENT_WORDS = frozenset({"government", "side", "authorities", "leadership"})
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "gen", "col", "lt", "sgt", "st", "sen", "rep", "gov", "prof", "adm", "maj",
        "capt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "etc", "inc",
        "corp", "jr", "sr",
    }
)

QUOTE_PLACEHOLDER = "\ue000"
# A US legislator's party and state: "R-S.C.", "D-Calif.".
PARTY_TAG = re.compile(r"[RDI]-[A-Z][a-z]*(?:\.[A-Z][a-z]*)*\.?")
# Words (dotted abbreviations such as "U.S." whole), the punctuation that shapes clauses, quotes.
TOKEN = re.compile(
    QUOTE_PLACEHOLDER
    + "|" + PARTY_TAG.pattern + r"(?![\w-])"
    + r"|[^\W_]+(?:\.[^\W_]+)+\.?"  # dotted abbreviations: "U.S."
    + r"|[A-Z]\.(?= [A-Z])"  # an initial inside a name: "John R. Bolton"
    + r"|Hong Kong\b"  # one place, so that "Hong" stays a name ("Zhang Hong")
    + r"|[^\W_]+(?:['’\-][^\W_]+)*|[,.;:!?()\[\]–—…-]"
)
# An organisation's acronym ("KCNA", "IAEA", "NATO") as the subject of a speech verb is a body speaking.
ACRONYM = re.compile(r"[A-Z]{2,6}")
SENTENCE_PUNCTUATION = frozenset(".!?…")

# Bounds on every look-around (tokens, events, mentions, quotes), which keep the pass linear.
ATTRIBUTION_REACH = 40
PHRASE_MAX_WORDS = 12
PARTICIPLE_LOOKBACK = 8
SPEAKER_LOOKBACK = 40
MENTION_REACH = 300
ORGANISATION_LIMIT = 64
COUNTRY_REACH = 40
BYLINE_MAX_TOKENS = 6
HEADING_MAX_TOKENS = 16
FALLBACK_PARAGRAPHS = 2
PULL_QUOTE_CANDIDATES = 16


@dataclass(frozen=True)
class MarkedQuote:
    """A quotation as found: each part is (opening mark start, text start, text end, closing mark end)."""

    parts: tuple[tuple[int, int, int, int], ...]


@dataclass(frozen=True)
class Attribution:
    """A quote's speaker, and whether anything in the text attributes it (``attributed`` is False
    for a phrase in quote marks that no speech verb, heading or repeated quote points to)."""

    speaker: str | None
    attributed: bool


@dataclass(frozen=True)
class Referent:
    """Who a mention points to: ``kind`` is person, body (an organisation) or country."""

    name: str
    kind: str
    countries: frozenset[str] = frozenset()


@dataclass(slots=True)
class _Token:
    start: int
    text: str
    lower: str
    quote: int | None = None  # index of the quote this placeholder stands for


@dataclass(slots=True)
class _Sentence:
    paragraph: int
    tokens: list[_Token]


@dataclass(slots=True)
class _Event:
    sentence: int
    verb: int  # token index of the speech verb
    first: int  # first token index of subject-and-verb
    inverted: bool  # "said X"
    referent: Referent | None
    finite: bool = True  # False for participles ("saying"), which speak for another verb's subject


@dataclass(slots=True)
class _Mention:
    """A person or organisation named in the text, with the title words around the name."""

    position: int
    referent: Referent
    title: frozenset[str]


@dataclass
class _Reading:
    """What is known about one text: sentences, names, speech events and where each quote sits."""

    text: str
    quotes: list[MarkedQuote]
    sentences: list[_Sentence] = field(default_factory=list)
    paragraph_sentences: dict[int, list[int]] = field(default_factory=dict)
    quote_only_paragraphs: set[int] = field(default_factory=set)
    sentence_starts: list[int] = field(default_factory=list)
    mark_places: dict[int, tuple[int, int]] = field(default_factory=dict)  # mark start -> (sentence, token)
    mentions: list[_Mention] = field(default_factory=list)
    mention_positions: list[int] = field(default_factory=list)
    full_names: dict[str, list[tuple[int, Referent]]] = field(default_factory=dict)  # word -> (position, full name)
    organisations: list[Referent] = field(default_factory=list)
    countries_by_name: dict[str, set[str]] = field(default_factory=dict)
    events: list[_Event] = field(default_factory=list)
    event_positions: list[int] = field(default_factory=list)
    events_by_sentence: dict[int, list[_Event]] = field(default_factory=dict)
    verbs_by_sentence: dict[int, list[int]] = field(default_factory=dict)

    def place(self, quote: int, part: int = 0) -> tuple[int, int] | None:
        return self.mark_places.get(self.quotes[quote].parts[part][0])

    def position(self, event: _Event) -> int:
        return self.sentences[event.sentence].tokens[event.verb].start

    def add_event(self, event: _Event) -> None:
        self.events.append(event)
        self.event_positions.append(self.position(event))
        self.events_by_sentence.setdefault(event.sentence, []).append(event)
        self.verbs_by_sentence.setdefault(event.sentence, []).append(event.verb)


def find_speakers(text: str, quotes: list[MarkedQuote], fragments: list[bool]) -> list[Attribution]:
    """The speaker of each quote (full name or organisation), or None where the text does not say.

    A fragment takes only an attribution of its own; a whole quoted sentence standing alone also
    takes the speaker of the quotes or statements just before it.
    """
    if not quotes:
        return []
    reading = _read(text, quotes)
    referents: list[Referent | None] = []
    attributed: list[bool] = []
    for index in range(len(quotes)):
        referent, found = _attribute(reading, index, referents, fragments[index])
        referents.append(referent)
        attributed.append(found)
    for index in _adopt_pull_quote_speakers(reading, referents):
        attributed[index] = True
    _resolve_countries(reading, referents)
    return [Attribution(referent.name if referent else None, found) for referent, found in zip(referents, attributed)]


def reported_speech(text: str, quotes: list[MarkedQuote]) -> list[tuple[tuple[int, int], str | None]]:
    """Spans of ``X said that …`` clauses in sentences without quotation marks, with their speaker."""
    reading = _read(text, quotes)
    found = []
    for sentence_index, events in reading.events_by_sentence.items():
        tokens = reading.sentences[sentence_index].tokens
        if any(token.quote is not None for token in tokens):
            continue
        for event in events:
            clause = event.verb + 2
            if event.inverted or clause >= len(tokens) or tokens[event.verb + 1].lower != "that":
                continue
            last = tokens[-1]
            end = last.start if last.text in SENTENCE_PUNCTUATION else last.start + len(last.text)
            if end > tokens[clause].start:
                found.append(((tokens[clause].start, end), event.referent.name if event.referent else None))
            break
    return found


# --- reading the text -----------------------------------------------------------------------------


def _read(text: str, quotes: list[MarkedQuote]) -> _Reading:
    reading = _Reading(text, quotes)
    masked = _mask_quotes(text, quotes)
    owner = {part[0]: index for index, quote in enumerate(quotes) for part in quote.parts}
    part_ends = {part[0]: part[2] for quote in quotes for part in quote.parts}
    paragraph = 0
    for line in re.finditer(r"[^\n]+", masked):
        tokens = [_token(match, owner) for match in TOKEN.finditer(masked, line.start(), line.end())]
        if not tokens:
            continue
        words = [token for token in tokens if token.text[0].isalnum() or token.quote is not None]
        if words and all(token.quote is not None for token in words):
            reading.quote_only_paragraphs.add(paragraph)
        for sentence_tokens in _split_sentences(text, part_ends, tokens):
            sentence_index = len(reading.sentences)
            reading.paragraph_sentences.setdefault(paragraph, []).append(sentence_index)
            reading.sentences.append(_Sentence(paragraph, sentence_tokens))
            reading.sentence_starts.append(sentence_tokens[0].start)
            for token_index, token in enumerate(sentence_tokens):
                if token.quote is not None:
                    reading.mark_places[token.start] = (sentence_index, token_index)
        paragraph += 1
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
            pieces.append(QUOTE_PLACEHOLDER + " " * (mark_end - mark_start - 1))  # parts never span lines
            cursor = mark_end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _token(match: re.Match, owner: dict[int, int]) -> _Token:
    word = match.group()
    return _Token(match.start(), word, word.lower(), owner.get(match.start()) if word == QUOTE_PLACEHOLDER else None)


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
            mention = _name_from_words(tuple(token.text for token in run))
            if mention is None:
                continue
            referent, title = mention
            reading.mentions.append(_Mention(run[0].start, referent, title))
            reading.mention_positions.append(run[0].start)
            if referent.kind == "person" and " " in referent.name:
                for word in referent.name.split():
                    _add_full_name(reading, word, run[0].start, referent)
                    if PREFIXED_NAME.fullmatch(word):  # "al-Falih" is "Falih" later
                        _add_full_name(reading, word.split("-", 1)[1], run[0].start, referent)
            elif referent.kind == "body" and len(reading.organisations) < ORGANISATION_LIMIT:
                reading.organisations.append(referent)
    for mention in reading.mentions:
        name = _full_name(reading, mention.referent, mention.position).name
        countries = reading.countries_by_name.setdefault(name, set())
        countries |= mention.referent.countries | mention.title & COUNTRY_KEYS


def _add_full_name(reading: _Reading, word: str, position: int, referent: Referent) -> None:
    """Remember where each person a name word belongs to is named: two Kims in one article are two people. A
    shorter form of a name already known ("Le Drian" after "Jean-Yves Le Drian") counts as that person."""
    known = reading.full_names.setdefault(word, [])
    fuller = next((other for _, other in known if other.name.endswith(" " + referent.name)), referent)
    known.append((position, fuller))


def _headline_case(tokens: list[_Token]) -> bool:
    """A Title Case Headline (no full stop, every longer word capitalised): capitals there do not mark names."""
    words = [token.text for token in tokens if token.text[0].isalpha() and len(token.text) > 3]
    return tokens[-1].text not in SENTENCE_PUNCTUATION and len(words) >= 3 and all(word[0].isupper() for word in words)


def _capitalised_runs(tokens: list[_Token]) -> Iterator[list[_Token]]:
    """Runs of capitalised and title words; a weekday, a speech verb or a possessive ends a run,
    except a country's possessive, which belongs to a title ("China's Foreign Ministry spokeswoman")."""
    run: list[_Token] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        month = token.lower in NAME_LOOKALIKES and not (run and _is_name_word(run[-1].text))
        breaks = month or token.lower in CALENDAR_WORDS or token.lower in SPEECH_VERBS or token.lower in SPEECH_PARTICIPLES
        extends = not breaks and (_is_capitalised(token) or token.lower in TITLE_WORDS)
        links = bool(run) and token.lower in NAME_CONNECTORS and following is not None and _is_capitalised(following)
        if extends or links:
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
    return token.quote is None and (token.text[:1].isupper() or bool(PREFIXED_NAME.fullmatch(token.text)))


def _possessive(word: str) -> bool:
    return word.endswith(("'s", "’s", "s'", "s’"))


def _strip_possessive(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word


@lru_cache(maxsize=1 << 16)
def _name_from_words(words: tuple[str, ...]) -> tuple[Referent, frozenset[str]] | None:
    """Split ``Russian Deputy Foreign Minister Igor Morgulov`` into a referent and its title words;
    an organisation keeps its words as written ("Russia's Foreign Ministry").

    Cached: the same capitalised runs recur across an article and across a batch of articles."""
    first, last = 0, len(words)
    while first < last and _strip_possessive(words[first]).lower() in NOT_NAME_WORDS:
        first += 1
    while last > first and words[last - 1].lower() in NAME_CONNECTORS:
        last -= 1
    written = words[first:last]
    words = [_strip_possessive(word) for word in written]
    if not words:
        return None
    lowered = [word.lower() for word in words]
    countries = frozenset(COUNTRY_WORDS[word] for word in lowered if word in COUNTRY_WORDS)
    of = lowered.index("of") if "of" in lowered else 0
    if of >= 2 and all(_is_name_word(word) for word in words[:of]) and ORGANISATION_HEADS.intersection(lowered[of:]):
        return Referent(" ".join(words[:of]), "person", countries), frozenset()  # "Andrei Lankov of Kookmin University"
    heads = [index for index, word in enumerate(lowered) if word in ORGANISATION_HEADS]
    titled_name_after = bool(heads) and _is_name_word(words[-1]) and any(word in TITLE_WORDS for word in lowered[heads[-1] + 1 :])
    if heads and (heads[-1] == len(words) - 1 or lowered[heads[-1] + 1] == "of" and not titled_name_after):
        # "Foreign Ministry of Japan", but "House of Representatives Speaker Paul Ryan" is a person
        capital = next((index for index, word in enumerate(written) if word[:1].isupper()), 0)  # not "official KCNA"
        return Referent(" ".join(written[capital:]), "body", countries), frozenset(_title_words(lowered))
    name_start = len(words)
    while name_start > 0 and (_is_name_word(words[name_start - 1]) or name_start < len(words) and _particle_in_name(words, name_start - 1)):
        name_start -= 1
    if 0 < name_start <= len(words) - 3 and lowered[name_start - 1] in NAME_CONNECTORS:
        name_start = len(words) - 2  # "Envoy for Arms Control Marshall Billingslea": the domain is not the name
    if name_start == len(words):
        if countries and all(word in COUNTRY_WORDS or word in COUNTRY_GOVERNMENT_WORDS for word in lowered):
            return Referent(" ".join(words), "country", countries), frozenset()
        return None
    return Referent(" ".join(words[name_start:]), "person", countries), frozenset(_title_words(lowered[:name_start]))


def _particle_in_name(words: list[str], index: int) -> bool:
    """Is ``words[index]`` a lower-case particle between two name words ("Fernandez de Cossio")?"""
    return words[index] in NAME_PARTICLES and index > 0 and _is_name_word(words[index - 1])


def _is_name_word(word: str) -> bool:
    if PREFIXED_NAME.fullmatch(word) or INITIALS.fullmatch(word) and word.lower() not in COUNTRY_WORDS:
        return True
    if word.lower() in NAME_LOOKALIKES:
        return word[:1].isupper()  # inside a run only after a name, so "Zhang Jun", "Liu He"
    if "-" in word and word.rsplit("-", 1)[-1].endswith(COMPOUND_ADJECTIVE_ENDINGS):
        return False  # "Caracas-based", "US-led": an adjective, but "Kang Kyung-wha" is a name
    lowered = word.lower()
    shouted = sum(character.isalpha() for character in word) > 1 and word.isupper()  # "BEIJING", "MORE", not "R."
    titled = lowered in TITLE_WORDS or all(part in TITLE_WORDS for part in lowered.split("-"))  # "Secretary-General"
    return (word[:1].isupper() and not shouted and not titled and lowered not in COUNTRY_WORDS and lowered not in NOT_NAME_WORDS
            and lowered not in ORGANISATION_HEADS)  # "… Affairs Committee Konstantin Kosachev"


def _title_words(lowered: list[str]) -> Iterator[str]:
    """Title words in a comparable form: countries as their key, abbreviations and synonyms spelled out."""
    for word in lowered:
        word = _strip_possessive(word)
        if word in TITLE_ABBREVIATIONS:
            yield from TITLE_ABBREVIATIONS[word]
        else:
            yield COUNTRY_WORDS.get(word, ROLE_SYNONYMS.get(word, word))


# --- speech events --------------------------------------------------------------------------------


def _collect_events(reading: _Reading) -> None:
    for sentence_index, sentence in enumerate(reading.sentences):
        for index, token in enumerate(sentence.tokens):
            if token.lower in EVENT_WORDS:
                event = _event_at(reading, sentence_index, sentence.tokens, index)
            elif token.text in BYLINE_MARKS:
                event = _byline_at(reading, sentence_index, sentence.tokens, index)
            else:
                continue
            if event is not None:
                reading.add_event(event)


def _event_at(reading: _Reading, sentence_index: int, tokens: list[_Token], index: int) -> _Event | None:
    """The speech event a speech verb at ``index`` makes, with its subject resolved."""
    word = tokens[index].lower
    previous = tokens[index - 1].lower if index else ""
    following = tokens[index + 1].lower if index + 1 < len(tokens) else ""
    if previous == "to" or previous in DETERMINERS or previous in POSSESSIVE_DETERMINERS:
        return None  # "expected to announce", "its calls for": not a speech act by a subject
    position = tokens[index].start
    if word == "according" and following == "to":
        referent = _according_to(reading, tokens[index + 2 : index + 2 + PHRASE_MAX_WORDS], position)
        return _Event(sentence_index, index, index, False, referent) if referent else None
    if word == QUOTED_VERB:
        return _quoted_as(reading, sentence_index, tokens, index)
    if word in POINTING_VERBS and following != "out":
        return None
    if word in SPEECH_PARTICIPLES or word == "pointing":
        return _participle_event(reading, sentence_index, tokens, index)
    if word not in SPEECH_VERBS and word not in POINTING_VERBS:
        return None
    if previous in PASSIVE_AUXILIARIES and following == "by":  # "was called by U.S. Ambassador X"
        return _Event(sentence_index, index, index, False, _resolve_words(reading, _right_phrase(tokens, index + 2), position))
    after_quote = index and (tokens[index - 1].quote is not None or previous == "," and index > 1 and tokens[index - 2].quote is not None)
    if word in CLAUSE_FINAL_VERBS and not after_quote and following not in ("", ".", ",") and following not in AUDIENCES:
        return None
    if after_quote:  # '"…," said the Russian ambassador'
        referent = _resolve_words(reading, _right_phrase(tokens, index + 1), position)
        if referent is not None:
            return _Event(sentence_index, index, index, True, referent)
    words, first = _left_phrase(tokens, index)
    if not words and previous == ",":
        words, first = _left_phrase_before_aside(tokens, index - 1)
        if not words:  # "…, said the director of the department, Georgy Zinoviev"
            words = _right_phrase(tokens, index + 1)
            referent = _resolve_words(reading, words, position) if words and words[0].lower() not in PRONOUNS else None
            return _Event(sentence_index, index, index, True, referent) if referent else None
    if not words:
        return None
    return _Event(sentence_index, index, first, False, _resolve_words(reading, words, position))


def _according_to(reading: _Reading, tokens: list[_Token], position: int) -> Referent | None:
    """``according to a statement from the Russian Foreign Ministry``; media are not speakers."""
    words = []
    for token in tokens:
        if token.text in ",.;:" or token.quote is not None:
            break
        words.append(token.text)
    lowered = [word.lower() for word in words]
    if lowered[1:3] == ["statement", "from"] or lowered[1:3] == ["statement", "by"]:
        words, lowered = words[3:], lowered[3:]
    if not words or MEDIA.search(" ".join(lowered)):
        return None
    return _resolve_words(reading, words, position)


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
    previous = tokens[index - 1] if index else None
    if previous is not None and previous.lower in PREPOSITIONS:
        return None  # "thanked him for saying": a gerund, not a speech event
    if previous is not None and previous.text != ",":
        words, first = _left_phrase(tokens, index)
        referent = _resolve_words(reading, words, position) if words else None
        if referent is not None or tokens[index].lower in ADJECTIVAL_PARTICIPLES:
            return _Event(sentence_index, index, first, False, referent, finite=False) if referent else None
    for event in reversed(reading.events[-PARTICIPLE_LOOKBACK:]):
        if event.sentence != sentence_index:
            break
        if event.verb < index and event.finite:
            return _Event(sentence_index, index, index, False, event.referent, finite=False)
    words = _sentence_subject(tokens)
    return _Event(sentence_index, index, index, False, _resolve_words(reading, words, position), finite=False) if words else None


def _byline_at(reading: _Reading, sentence_index: int, tokens: list[_Token], index: int) -> _Event | None:
    """A name after a dash or colon ending a line (``… – Putin``), or before a colon opening a quote
    (``U.S. Senator: "…"``), is who speaks there."""
    if tokens[index].text not in BYLINE_MARKS or index == 0:
        return None
    position = tokens[index].start
    if tokens[index].text == ":" and any(token.quote is not None for token in tokens[index + 1 :]):
        # A line opening with its speaker ("Lavrov: Moscow hopes for \"real results\""), not "told reporters:".
        words, first = _left_phrase(tokens, index)
        if not words or first != 0:
            return None
        referent = _resolve_words(reading, words, position)
        if tokens[index + 1].quote is None and (referent is None or referent.kind == "country" or " " not in referent.name):
            return None  # further from the quote, only a full name or a body: not "Breaking: …"
        return _Event(sentence_index, index, first, False, referent)
    tail = tokens[index + 1 :] if len(tokens) - index - 1 <= BYLINE_MAX_TOKENS else []
    if tail and tail[-1].text in SENTENCE_PUNCTUATION:
        tail = tail[:-1]
    if not tail or not all(_is_capitalised(token) for token in tail):
        return None
    referent = _resolve_words(reading, [token.text for token in tail], position)
    if referent is None or referent.kind == "country":
        return None
    return _Event(sentence_index, index, index, True, referent)


def _left_phrase(tokens: list[_Token], verb: int) -> tuple[list[str], int]:
    """The subject phrase ending just before ``verb`` (fillers like "also" or "on Monday" skipped),
    and the index of its first token."""
    index = verb - 1
    while index >= 0 and tokens[index].lower in SUBJECT_VERB_FILLERS:
        index -= 1
    words: list[str] = []
    while index >= 0 and len(words) < PHRASE_MAX_WORDS:
        token = tokens[index]
        lowered = token.lower
        if token.quote is not None or not token.text[0].isalnum():
            break
        if lowered == "who" and not words and index and tokens[index - 1].text == ",":
            return _left_phrase(tokens, index - 1)  # "Nikki Haley, who accused Russia"
        if _joins_names(tokens, index, words):
            words.insert(0, token.text)
        elif lowered in LOCATIVES and words and index and tokens[index - 1].lower in PERSON_ROLES | BODY_ROLES | ORGANISATION_HEADS:
            named = _name_from_words(tuple(words))
            if named is not None and named[0].kind == "person":
                break  # "Ambassador to India Adnan Abu Alhaija said": the name after the place speaks
            words = []  # "the Russian Embassy in Washington said": the embassy speaks, not the city
        elif lowered in PREPOSITIONS and words and index >= 2 and tokens[index - 1].lower.endswith("ing") and _subject_word(tokens[index - 2]):
            words = []  # "a senior official traveling with Abe said": the official speaks, not Abe
            index -= 2
            continue
        elif lowered in CLAUSE_OPENERS:
            break
        elif _subject_word(token):
            words.insert(0, token.text)
            if lowered in PRONOUNS:
                return words, index
        elif lowered in DETERMINERS or lowered in POSSESSIVE_DETERMINERS:
            words.insert(0, token.text)
            return words, index
        elif words and words[0].lower() in PERSON_ROLES | BODY_ROLES and _adjective_like(lowered):
            words.insert(0, token.text)  # "the high-ranking diplomat", "the Russian diplomatic agency"
        else:
            break
        index -= 1
    return words, index + 1


def _subject_word(token: _Token) -> bool:
    lowered = token.lower
    return (
        _is_capitalised(token)
        or lowered in TITLE_WORDS
        or lowered in PERSON_ROLES
        or lowered in BODY_ROLES
        or lowered in PLURAL_SPEAKERS
        or lowered in PRONOUNS
        or lowered in NAME_CONNECTORS
    )


def _joins_names(tokens: list[_Token], index: int, words: list[str]) -> bool:
    """Is the "and" at ``index`` inside "Donald Trump and Kim Jong Un"?"""
    return tokens[index].lower == "and" and bool(words) and words[0][:1].isupper() and index > 0 and _is_capitalised(tokens[index - 1])


def _adjective_like(word: str) -> bool:
    return "-" in word or word.endswith(("al", "ic", "ing", "ed", "ian", "ese"))


def _left_phrase_before_aside(tokens: list[_Token], comma: int) -> tuple[list[str], int]:
    """The subject of ``X, <aside>, said``: the aside when it is a name ("the envoy, Marek Novak,
    said"), else what stands before it ("Nebenzia, who chairs the council, said"), also when the
    relative clause holds commas of its own ("X, who chairs the committee of the Council, the upper house, said")."""
    relative = next((index for index in range(comma - 1, max(comma - 2 * PHRASE_MAX_WORDS, 0), -1)
                     if tokens[index].text == "," and tokens[index + 1].lower in ("who", "which")), None)
    if relative is not None and not any(token.quote is not None for token in tokens[relative:comma]):
        return _left_phrase(tokens, relative)
    for index in range(comma - 1, max(comma - 2 * PHRASE_MAX_WORDS, 0), -1):
        if tokens[index].text == ",":
            aside = tokens[index + 1 : comma]
            if len(aside) == 1 and PARTY_TAG.fullmatch(aside[0].text):  # "Lindsey Graham, R-S.C., said"
                return _left_phrase(tokens, index)
            if aside and all(_is_capitalised(token) for token in aside):
                return [token.text for token in aside], index + 1
            return _left_phrase(tokens, index)
        if tokens[index].quote is not None:
            break
    return [], comma


def _right_phrase(tokens: list[_Token], start: int) -> list[str]:
    """The noun phrase after an inverted verb: ``said the director of …, Georgy Zinoviev``."""
    words: list[str] = []
    for token in tokens[start : start + 2 * PHRASE_MAX_WORDS]:
        if token.text == "." and words and (words[-1].lower() in ABBREVIATIONS or len(words[-1]) == 1):
            continue  # "said Sen. Lindsey Graham", "said John R. Bolton"
        if token.quote is not None or token.text in ".;:!?" or token.lower in RIGHT_PHRASE_STOPS:
            break
        words.append(token.text)
    return words


RIGHT_PHRASE_STOPS = frozenset(
    {
        "on", "at", "in", "during", "when", "after", "as", "adding", "while", "before",
    }
)


def _sentence_subject(tokens: list[_Token]) -> list[str]:
    """The first noun phrase of a sentence, after a dateline "(AP) --" or an opening "On Tuesday,"."""
    start = 0
    if tokens and tokens[0].text == "(":
        start = next((index + 1 for index, token in enumerate(tokens[:6]) if token.text == ")"), 0)
    while start < len(tokens) and not tokens[start].text[0].isalnum():
        start += 1
    for index, token in enumerate(tokens[start : start + 10], start):
        if token.text == ",":
            if tokens[start].lower in NOT_NAME_WORDS or tokens[start].lower.endswith(("ing", "ly")):
                start = index + 1
            break
    words: list[str] = []
    for index in range(start, min(len(tokens), start + PHRASE_MAX_WORDS)):
        token = tokens[index]
        if token.text == "." and words and words[-1].lower() in ABBREVIATIONS:
            continue  # "Mr. Modi"
        if token.text == "," and words and _appositive_name(tokens, index + 1):
            words.append(",")  # "Turkey's foreign minister, Mevlut Cavusoglu, dismissed …"
            continue
        if token.quote is not None or not token.text[0].isalnum():
            break
        if not (_subject_word(token) or token.lower in DETERMINERS or token.lower in COUNTRY_GOVERNMENT_WORDS):
            break
        words.append(token.text)
    if not any(_is_name_word(_strip_possessive(word)) for word in words):
        return _later_appositive(tokens, start) or words
    return words


def _appositive_name(tokens: list[_Token], start: int) -> int:
    """The end of capitalised words from ``start`` that run up to a comma (a name set off by commas), or 0."""
    end = start
    while end < len(tokens) and _is_capitalised(tokens[end]):
        end += 1
    return end if end > start and end < len(tokens) and tokens[end].text == "," else 0


def _later_appositive(tokens: list[_Token], start: int) -> list[str]:
    """A name set off by commas after a subject that names nobody ("The head of the committee, Oleg Rudin, was
    more sceptical")."""
    for index in range(start, min(len(tokens), start + 2 * PHRASE_MAX_WORDS)):
        token = tokens[index]
        if token.quote is not None or token.text in SENTENCE_PUNCTUATION or token.lower in EVENT_WORDS:
            break
        end = _appositive_name(tokens, index + 1) if token.text == "," else 0
        if end:
            return [token.text for token in tokens[index + 1 : end]]
    return []


# --- resolving a phrase to a referent -------------------------------------------------------------


def _resolve_words(reading: _Reading, words: list[str], position: int) -> Referent | None:
    """A subject phrase to a referent: pronoun, name, organisation, country or role, in that order."""
    phrase, words = words, [word for word in words if word != ","]  # commas still separate names: "X, Russia's envoy"
    if not words:
        return None
    lowered = [word.lower() for word in words]
    if len(lowered) == 2 and lowered[0] in ("his", "her") and lowered[1] == "statement":
        words, lowered = ["he"], ["he"]  # "her statement said": she speaks
    if len(words) == 1 and lowered[0] in PRONOUNS:
        kind = PRONOUNS[lowered[0]]
        subject = _colon_subject_before(reading, position) or _previous_subject(reading, position) if kind == "person" else None
        return subject or _latest_speaker(reading, position, kind) or (_latest_mention(reading, position) if kind == "person" else None)
    if lowered[-1] in PLURAL_SPEAKERS:
        return None
    head = phrase[: phrase.index(",")] if "," in phrase else phrase  # not "X, a specialist and former official"
    if "and" in (word.lower() for word in head):
        return _coordinated(reading, head, position)
    if len(words) >= 2 and lowered[-1] in NAMED_BODY_ROLES and lowered[-2] in COUNTRY_WORDS:
        return Referent(f"{words[-2]} {words[-1]}", "body", frozenset({COUNTRY_WORDS[lowered[-2]]}))  # "the U.S. embassy"
    named = [mention for mention in (_name_from_words(tuple(run)) for run in _name_runs(phrase)) if mention is not None]
    for referent, _ in named:
        if referent.kind == "person":
            return _full_name(reading, referent, position)
        if referent.kind == "body":
            return _full_organisation(reading, referent)
    role = _resolve_role(reading, lowered, words, position)  # "the Russian ambassador" is a person
    if role or (named and not _has_role(lowered)):
        return role or named[0][0]
    acronym = next((word for word in reversed(words) if ACRONYM.fullmatch(word) and word.lower() not in COUNTRY_WORDS and word.lower() not in TITLE_ABBREVIATIONS), None)
    return _spelled_out(reading, acronym) if acronym else None  # "KCNA said", "the state news agency KCNA said"


def _name_runs(words: list[str]) -> list[list[str]]:
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
    return named + [run for run in runs if run not in named and not _possessive(run[-1])]


def _full_name(reading: _Reading, referent: Referent, position: int) -> Referent:
    """A bare or partial name ("Peskov", "Mr Kim") to the full name the article gives it (see ``_person_named``)."""
    words = referent.name.split()
    if len(words) == 1 and words[0] in reading.full_names:
        return _person_named(reading, words[0], position)
    fuller = _person_named(reading, words[-1], position) if words and words[-1] in reading.full_names else None
    if fuller is not None and fuller.name.endswith(" " + referent.name):  # "Le Drian" is "Jean-Yves Le Drian"
        return fuller
    return referent


def _person_named(reading: _Reading, word: str, position: int) -> Referent:
    """Of the people whose name has ``word``, one whose first or last word it is (a surname: "Ghani" is Ashraf
    Ghani, not Abdul Ghani Baradar), the one named last before ``position`` ("Kim" after "spokesman Kim
    Eui-kyeom"), else the first named."""
    candidates = reading.full_names[word]
    surnames = [(at, person) for at, person in candidates if word in (person.name.split()[0], person.name.split()[-1])]
    candidates = surnames or candidates
    earlier = [person for at, person in candidates if at < position]
    return earlier[-1] if earlier else candidates[0][1]


def _spelled_out(reading: _Reading, acronym: str) -> Referent:
    """An acronym as the organisation the article spells out with those initials ("KCNA" is the "Korean Central
    News Agency" named earlier, "JCS" the "Joint Chiefs of Staff (JCS)"), else the acronym itself."""
    for organisation in reading.organisations:
        if _initials(organisation.name.split()) == acronym:
            return organisation
    for defined in re.finditer(r"((?:[\w'’-]+ ){1,8})\(" + re.escape(acronym) + r"\)", reading.text):
        words = defined.group(1).split()
        for start in range(len(words)):
            if words[start][:1].isupper() and _initials(words[start:]) == acronym:
                return Referent(" ".join(words[start:]), "body")
    return Referent(acronym, "body")


def _initials(words: list[str]) -> str:
    return "".join(word[0] for word in words if word[0].isupper())


def _full_organisation(reading: _Reading, referent: Referent) -> Referent:
    """``Foreign Ministry`` to the first fuller form in the article (``Russian Foreign Ministry``)."""
    for organisation in reading.organisations:
        if f" {referent.name.lower()} " in f" {organisation.name.lower()} ":  # "Joint Chiefs" in "… Joint Chiefs of Staff"
            return organisation
    return referent


def _coordinated(reading: _Reading, words: list[str], position: int) -> Referent | None:
    """``Donald Trump and Kim Jong Un pledged``: both names, joined as the article does."""
    parts: list[list[str]] = [[]]
    for word in words:
        if word.lower() == "and":
            parts.append([])
        else:
            parts[-1].append(word)
    referents = [_resolve_words(reading, part, position) for part in parts if part]
    if len(referents) < 2 or any(referent is None or referent.kind != "person" for referent in referents):
        return None
    return Referent(" and ".join(referent.name for referent in referents), "person")


def _has_role(lowered: list[str]) -> bool:
    return any(word in PERSON_ROLES or word in BODY_ROLES for word in lowered)


def _resolve_role(reading: _Reading, lowered: list[str], words: list[str], position: int) -> Referent | None:
    """``the Russian ambassador``: a named person with that title, else the latest speaker of that kind.

    ``A State Department spokesperson`` (indefinite, unnamed) is a new speaker, named by its role.
    """
    heads = [word for word in lowered if word in PERSON_ROLES or word in BODY_ROLES]
    if not heads:
        return None
    head = heads[-1]
    kind = "body" if head in BODY_ROLES else "person"
    if lowered[0] in INDEFINITE_DETERMINERS:  # the description as written, up to its role word
        end = max(index for index, word in enumerate(lowered) if word == head)
        description = words[1 : end + 1]
        if len(description) == 1:  # "one official said": nobody the text names or describes
            return None
        countries = frozenset(COUNTRY_WORDS[word.lower()] for word in description if word.lower() in COUNTRY_WORDS)
        return Referent(" ".join(description), kind, countries)
    latest = _latest_speaker(reading, position, kind)
    if latest is not None and latest.name.lower().split()[-1] == head:  # "the diplomat": the unnamed one just heard
        return latest
    if kind == "person":
        bare = [_strip_possessive(word) for word in lowered]
        wanted = set(_title_words([word for word in bare if word in TITLE_WORDS or word in COUNTRY_WORDS or word in PERSON_ROLES]))
        titled = _titled_mention(reading, wanted, position) or _previous_subject(reading, position, same_paragraph=True)
        if titled is not None:
            return titled
    elif head == "statement":  # whoever was last said to speak "in a statement"
        stated = _latest_speaker(reading, position, None, mentioning="statement")
        if stated is not None:
            return stated
    else:
        for mention in reversed(_mentions_near(reading, position)[0]):
            if mention.referent.kind == "body" and head in mention.referent.name.lower().split():
                return mention.referent
    return _latest_speaker(reading, position, kind)


def _mentions_near(reading: _Reading, position: int) -> tuple[list[_Mention], list[_Mention]]:
    """The mentions shortly before and shortly after ``position``."""
    index = bisect_left(reading.mention_positions, position)
    return reading.mentions[max(0, index - MENTION_REACH) : index], reading.mentions[index : index + MENTION_REACH]


def _titled_mention(reading: _Reading, wanted: set[str], position: int) -> Referent | None:
    """The person last given these title words before ``position``, else the first one after; failing that, one
    given them without any country ("Turkish FM" is the "Foreign Minister Mevlut Cavusoglu" named later)."""
    before, after = _mentions_near(reading, position)

    def titled(mention: _Mention, countryless: bool) -> bool:
        if mention.referent.kind != "person":
            return False
        missing = wanted - mention.title - set(mention.referent.name.lower().split())
        return not missing or countryless and missing <= COUNTRY_KEYS and not mention.referent.countries and not mention.title & COUNTRY_KEYS

    for countryless in (False, True):
        match = next((mention for mention in reversed(before) if titled(mention, countryless)), None) or next(
            (mention for mention in after if titled(mention, countryless)), None)
        if match is not None:
            return _full_name(reading, match.referent, match.position)
    return None


def _latest_speaker(reading: _Reading, position: int, kind: str | None, mentioning: str | None = None) -> Referent | None:
    """The subject of the latest speech event before ``position`` of that kind (any kind if None),
    optionally only among events whose sentence has the word ``mentioning``."""
    end = bisect_left(reading.event_positions, position)
    for event in reversed(reading.events[max(0, end - SPEAKER_LOOKBACK) : end]):
        if event.referent is None or kind is not None and event.referent.kind != kind:
            continue
        if mentioning is None or any(token.lower == mentioning for token in reading.sentences[event.sentence].tokens):
            return event.referent
    return None


def _previous_subject(reading: _Reading, position: int, same_paragraph: bool = False) -> Referent | None:
    """The person the sentence before has as its subject, if that sentence neither quotes nor attributes and
    nobody speaks earlier in this one: "Heather Nauert declined to comment. '…,' she said."; with
    ``same_paragraph``, only a sentence in the quote's own paragraph."""
    sentence = bisect_right(reading.sentence_starts, position) - 1
    if sentence < 1 or any(reading.position(event) < position for event in reading.events_by_sentence.get(sentence, [])):
        return None
    if same_paragraph and not _same_paragraph(reading, sentence - 1, sentence):
        return None
    previous = reading.sentences[sentence - 1]
    if sentence - 1 in reading.events_by_sentence or any(token.quote is not None for token in previous.tokens):
        return None
    words = _sentence_subject(previous.tokens)
    referent = _resolve_words(reading, words, previous.tokens[0].start) if words and words[0].lower() not in PRONOUNS else None
    return referent if referent is not None and referent.kind == "person" else None


def _latest_mention(reading: _Reading, position: int) -> Referent | None:
    for mention in reversed(_mentions_near(reading, position)[0]):
        if mention.referent.kind == "person":
            return _full_name(reading, mention.referent, mention.position)
    return None


# --- attributing each quote -----------------------------------------------------------------------


def _attribute(reading: _Reading, quote_index: int, earlier: list[Referent | None], fragment: bool) -> tuple[Referent | None, bool]:
    """The quote's own attribution if it has one (even one naming nobody), else its surroundings';
    with whether any attribution was found."""
    place = reading.place(quote_index)
    if place is None:
        return None, False
    last_place = reading.place(quote_index, -1) or place
    for event in (_event_right_after(reading, place), _event_right_after(reading, last_place), _event_before(reading, place), _event_later(reading, last_place)):
        if event is not None:
            return event.referent, True
    if fragment:
        return None, False
    lead_in = _colon_lead_in(reading, place)
    if lead_in is not None:
        return lead_in, True
    paragraph = reading.sentences[place[0]].paragraph
    if paragraph in reading.quote_only_paragraphs:
        heading = _heading_speaker(reading, paragraph)
        if heading is not None:
            return heading, True
        previous = reading.place(quote_index - 1) if quote_index else None
        if previous is not None and reading.sentences[previous[0]].paragraph == paragraph - 1 and paragraph - 1 in reading.quote_only_paragraphs:
            return earlier[quote_index - 1], True
    neighbour = _neighbour_speaker(reading, quote_index, paragraph)
    return neighbour, neighbour is not None


def _colon_lead_in(reading: _Reading, place: tuple[int, int]) -> Referent | None:
    """A quote after a colon with no speech verb: the subject of the words before the colon ("Foreign Minister
    Kang Kyung-wha sounded upbeat: '…'", "Recep Tayyip Erdogan, president of Turkey: '…'")."""
    sentence, token_index = place
    tokens = reading.sentences[sentence].tokens
    if token_index < 2 or tokens[token_index - 1].text != ":":
        return None
    return _subject_before(reading, tokens, token_index - 1)


def _colon_subject_before(reading: _Reading, position: int) -> Referent | None:
    """The person a "he"/"she" at ``position`` refers to when its sentence opened a quote with a colon after its
    subject: 'The spokesman, Gao Feng, was firmer: "…," he said'."""
    tokens = reading.sentences[bisect_right(reading.sentence_starts, position) - 1].tokens
    colon = next((index for index in range(len(tokens) - 2, 0, -1)
                  if tokens[index].start < position and tokens[index].text == ":" and tokens[index + 1].quote is not None), None)
    referent = _subject_before(reading, tokens, colon) if colon else None
    return referent if referent is not None and referent.kind == "person" else None


def _subject_before(reading: _Reading, tokens: list[_Token], end: int) -> Referent | None:
    """Who the subject of ``tokens[:end]`` names; a pronoun subject names nobody here."""
    words = _sentence_subject(tokens[:end])
    if not words or words[0].lower() in PRONOUNS:
        return None
    return _resolve_words(reading, words, tokens[0].start)


def _event_right_after(reading: _Reading, place: tuple[int, int]) -> _Event | None:
    """``"…," he said`` / ``"…," said X``: the attribution directly after this part of the quote,
    also when the quote ends in its own full stop or question mark (``"…?" he asked``), which
    closes the sentence before the attribution."""
    sentence, token_index = place
    tokens = reading.sentences[sentence].tokens
    following = token_index + 1
    if following == len(tokens) and _same_paragraph(reading, sentence, sentence + 1):
        if _events_between(reading, sentence, 0, token_index):
            return None  # 'X said that it would "…." Y announced …': the quote's own sentence attributes it
        sentence, following = sentence + 1, 0
        tokens = reading.sentences[sentence].tokens
    while following < len(tokens) and tokens[following].text == ",":
        following += 1
    for event in _events_between(reading, sentence, following, following + PHRASE_MAX_WORDS):
        if event.first == following or event.inverted and event.verb == following:
            return event
    return None


def _same_paragraph(reading: _Reading, sentence: int, other: int) -> bool:
    return other < len(reading.sentences) and reading.sentences[other].paragraph == reading.sentences[sentence].paragraph


def _event_before(reading: _Reading, place: tuple[int, int]) -> _Event | None:
    sentence, token_index = place
    before = _events_between(reading, sentence, token_index - ATTRIBUTION_REACH, token_index)
    return before[-1] if before else None


def _event_later(reading: _Reading, place: tuple[int, int]) -> _Event | None:
    sentence, token_index = place
    later = _events_between(reading, sentence, token_index + 1, token_index + ATTRIBUTION_REACH)
    return later[0] if later else None


def _events_between(reading: _Reading, sentence: int, low: int, high: int) -> list[_Event]:
    """Events of ``sentence`` whose verb lies in [low, high)."""
    events = reading.events_by_sentence.get(sentence, [])
    verbs = reading.verbs_by_sentence.get(sentence, [])
    return events[bisect_left(verbs, low) : bisect_left(verbs, high)]


def _heading_speaker(reading: _Reading, paragraph: int) -> Referent | None:
    """A quote-only paragraph under a short line that names someone ("Sergei Lavrov, foreign minister")."""
    previous = reading.paragraph_sentences.get(paragraph - 1)
    if not previous or len(previous) != 1:
        return None
    tokens = reading.sentences[previous[0]].tokens
    if len(tokens) > HEADING_MAX_TOKENS or tokens[-1].text in ".!?" or any(token.quote is not None for token in tokens):
        return None
    words = [token.text for token in tokens]
    if ":" in words:  # "[Sound bite: Foreign Minister Kang Kyung-wha (Korean)]"
        words = words[len(words) - words[::-1].index(":") :]
    cut = min([words.index(stop) for stop in (",", "(", "]") if stop in words] + [len(words)])
    words = [word for word in words[:cut] if word not in "[]"]
    if not words or not all(word[:1].isupper() or word.lower() in NAME_CONNECTORS for word in words):
        return None
    mention = _name_from_words(tuple(words))
    if mention is None or mention[0].kind == "country":
        return None
    return _full_name(reading, mention[0], tokens[0].start)


def _neighbour_speaker(reading: _Reading, quote_index: int, paragraph: int) -> Referent | None:
    """No attribution near the quote: the latest speaker of this or the previous two paragraphs."""
    end = bisect_left(reading.event_positions, reading.quotes[quote_index].parts[0][0])
    for event in reversed(reading.events[max(0, end - SPEAKER_LOOKBACK) : end]):
        if reading.sentences[event.sentence].paragraph < paragraph - FALLBACK_PARAGRAPHS:
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
        for distance in range(1, COUNTRY_REACH):
            nearby = [referents[other] for other in (index - distance, index + distance) if 0 <= other < len(referents)]
            match = next((other for other in nearby if other is not None and other.kind != "country" and referent.countries & _countries_of(reading, other)), None)
            if match is not None:
                referents[index] = match
                break


def _countries_of(reading: _Reading, referent: Referent) -> set[str]:
    return set(referent.countries) | reading.countries_by_name.get(referent.name, set())


def _adopt_pull_quote_speakers(reading: _Reading, referents: list[Referent | None]) -> list[int]:
    """A quote with no speaker (or only a country) whose words recur in an attributed quote gets
    that speaker; returns the quotes that did."""
    pending = [index for index, referent in enumerate(referents) if referent is None or referent.kind == "country"][:PULL_QUOTE_CANDIDATES]
    adopted: list[int] = []
    if not pending:
        return adopted
    texts = [f" {_normalised(reading.text, quote)} " for quote in reading.quotes]
    for index in pending:
        if not texts[index].strip():
            continue
        country = referents[index].countries if referents[index] is not None else frozenset()
        for other, referent in enumerate(referents):
            if other == index or referent is None or referent.kind == "country" or texts[index] not in texts[other]:
                continue
            known = referent.countries | reading.countries_by_name.get(referent.name, set())
            if country and known and not country & known:
                continue  # "Europe 'regrets'" is not China's spokesman, who "regrets" it too
            referents[index] = referent
            adopted.append(index)
            break
    return adopted


def _normalised(text: str, quote: MarkedQuote) -> str:
    return " ".join(re.findall(r"[^\W_]+", " ".join(text[start:end] for _, start, end, _ in quote.parts).lower()))
