"""Read articles from ``.txt`` / ``.jsonl`` files and folders; bad files are skipped and reported, never fatal."""
from __future__ import annotations

import codecs
import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from pipeline.types import Article, StanceError

SUPPORTED_SUFFIXES = (".txt", ".jsonl")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_BINARY_MAGIC = (b"\x89PNG", b"%PDF", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF")


@dataclass(frozen=True)
class Skipped:
    """An input left out of a batch, with the reason a user can act on."""

    path: str
    reason: str


OnSkip = Callable[[Skipped], None]


def read_articles(paths: Iterable[str | Path], on_skip: OnSkip) -> Iterator[Article]:
    """Yield every article under ``paths`` once; report unreadable or duplicate input through ``on_skip``."""
    first_source: dict[str, str] = {}
    ids: set[str] = set()
    for path in iter_input_files(paths, on_skip):
        for article in _read_file(path, on_skip):
            digest = hashlib.sha1(article.text.encode("utf-8", "surrogatepass")).hexdigest()
            if digest in first_source:
                on_skip(Skipped(article.source, f"duplicate of {first_source[digest]}; scored once"))
                continue
            first_source[digest] = article.source
            if article.id in ids:  # same file stem in two folders: keep both, ids stay unique
                article = dataclasses.replace(article, id=f"{article.id}~{len(first_source)}")
            ids.add(article.id)
            yield article


def iter_input_files(paths: Iterable[str | Path], on_skip: OnSkip) -> Iterator[Path]:
    """Files in the given order, folders walked in sorted order (nested too), symlink loops cut."""
    visited_dirs: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise StanceError(f"{path}: input path does not exist")
        if path.is_dir():
            yield from _walk(path, visited_dirs, on_skip)
        else:
            yield path


def _walk(folder: Path, visited: set[str], on_skip: OnSkip) -> Iterator[Path]:
    real = os.path.realpath(folder)
    if real in visited:
        on_skip(Skipped(str(folder), "symlink loop: folder already visited"))
        return
    visited.add(real)
    try:
        entries = sorted(folder.iterdir())
    except OSError as err:
        on_skip(Skipped(str(folder), f"cannot list folder ({err.strerror})"))
        return
    for entry in entries:
        if entry.is_dir():
            yield from _walk(entry, visited, on_skip)
        elif entry.suffix.lower() in SUPPORTED_SUFFIXES:
            yield entry
        elif entry.is_file() and not entry.name.startswith("."):
            on_skip(Skipped(str(entry), f"unsupported file type '{entry.suffix or 'none'}' (want .txt or .jsonl)"))


def _read_file(path: Path, on_skip: OnSkip) -> Iterator[Article]:
    try:
        data = path.read_bytes()
    except OSError as err:
        on_skip(Skipped(str(path), f"cannot read file ({err.strerror})"))
        return
    try:
        text, encoding = decode(data)
    except ValueError as err:
        on_skip(Skipped(str(path), str(err)))
        return
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl_articles(path, text, encoding, on_skip)
    elif not text.strip():
        on_skip(Skipped(str(path), "empty file"))
    else:
        yield Article(id=path.stem, source=str(path), title=headline(text), text=text, encoding=encoding)


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes to text: BOMs first, then strict UTF-8, then the most likely legacy encoding.

    NUL bytes are dropped (they come from broken scrapers, never from prose); binary files raise ValueError.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding).replace("\x00", ""), encoding
    if data.startswith(_BINARY_MAGIC) or _looks_binary(data):
        raise ValueError("binary file, not text")
    data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _legacy_encoding(data[:65536])
    try:
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1"), "latin-1"


def _legacy_encoding(sample: bytes) -> str:
    """charset-normalizer's guess, but Windows-1252 wherever it fits as well as the guess.

    Short Western text is often a tie between cp1250 and cp1252 that the detector breaks towards cp1250,
    turning Latin-1 ``è`` into ``č``; the Western encodings are far the likelier source of scraped news.
    """
    matches = list(from_bytes(sample))
    if not matches:
        return "cp1252"
    best = matches[0]
    for match in matches:
        fits = match is best or (match.chaos <= best.chaos and match.coherence >= best.coherence)
        if fits and {"cp1252", "latin_1", "iso8859_1", "ascii"} & set(match.could_be_from_charset):
            return "cp1252"  # a superset of Latin-1 that also maps the 0x80-0x9f curly quotes
    return best.encoding


def _looks_binary(data: bytes) -> bool:
    """Control bytes other than whitespace are rare in text; in images and archives they are common."""
    sample = data[:4096]
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 0))
    return controls / len(sample) > 0.10


def headline(text: str) -> str:
    """The first non-empty line: the title of a ``.txt`` article."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _jsonl_articles(path: Path, text: str, encoding: str, on_skip: OnSkip) -> Iterator[Article]:
    rows = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            on_skip(Skipped(where, f"malformed JSON ({err.msg})"))
            continue
        body = row.get("text") if isinstance(row, dict) else None
        if not isinstance(body, str) or not body.strip():
            on_skip(Skipped(where, "row has no 'text' field"))
            continue
        rows += 1
        article_id = str(row.get("id") or f"{path.stem}-{number}")
        title = row.get("title") if isinstance(row.get("title"), str) else headline(body)
        yield Article(id=article_id, source=where, title=title, text=body, encoding=encoding)
    if rows == 0 and not text.strip():
        on_skip(Skipped(str(path), "empty file"))
