"""Load hand-labelled sentences (JSONL or CSV) and check them against the configured label set."""
from __future__ import annotations

import csv
import glob
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.types import StanceError

REQUIRED_FIELDS = ("sentence", "label")


@dataclass(frozen=True)
class LabelledSentence:
    id: str
    sentence: str
    label: str
    document: str  # the article or statement it comes from: splits never separate one document
    source: str  # "seed" or "authored"
    topic: str
    speaker: str | None


def expand_files(patterns: list[str], root: str | Path = ".") -> list[Path]:
    """Glob patterns relative to ``root``, sorted; a pattern that matches nothing is an error."""
    files: list[Path] = []
    for pattern in patterns:
        matches = sorted(Path(p) for p in glob.glob(str(Path(root) / pattern)))
        if not matches:
            raise StanceError(f"{pattern}: no labelled data file matches")
        files.extend(matches)
    return files


def load_labelled(files: list[Path], labels: list[str]) -> list[LabelledSentence]:
    rows: list[LabelledSentence] = []
    seen_ids: set[str] = set()
    for path in files:
        for where, raw in _read_rows(path):
            row = _parse_row(raw, where, labels)
            if row.id in seen_ids:
                raise StanceError(f"{where}: duplicate id {row.id!r}")
            seen_ids.add(row.id)
            rows.append(row)
    if not rows:
        raise StanceError("no labelled sentences found in " + ", ".join(map(str, files)))
    return rows


def data_digest(files: list[Path]) -> str:
    """A short hash of the labelled files' bytes: two runs on the same data share it."""
    sha = hashlib.sha256()
    for path in files:
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:12]


def _read_rows(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise StanceError(f"{path}: cannot read labelled data ({err})") from None
    if path.suffix == ".csv":
        for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
            yield f"{path}:{number}", row
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield f"{path}:{number}", json.loads(line)
            except json.JSONDecodeError as err:
                raise StanceError(f"{path}:{number}: malformed JSON ({err.msg})") from None


def _parse_row(raw: dict, where: str, labels: list[str]) -> LabelledSentence:
    missing = [f for f in REQUIRED_FIELDS if not str(raw.get(f) or "").strip()]
    if missing:
        raise StanceError(f"{where}: missing field '{missing[0]}'")
    if raw["label"] not in labels:
        raise StanceError(f"{where}: unknown label {raw['label']!r} (configured: {', '.join(labels)})")
    document = raw.get("document") or raw.get("article_id") or where
    return LabelledSentence(
        id=str(raw.get("id") or where),
        sentence=raw["sentence"].strip(),
        label=raw["label"],
        document=str(document),
        source=raw.get("source") or "authored",
        topic=raw.get("topic") or "unknown",
        speaker=raw.get("speaker") or None,
    )
