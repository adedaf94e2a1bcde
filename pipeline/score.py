"""Batch scoring: articles -> quotes -> sentences -> predictions -> rows, streamed in chunks, written atomically.

Chunk semantics: articles are taken ``score.chunk_articles`` at a time; each finished chunk is saved (atomically)
under a hidden folder beside the output, ``.<output name>.chunks/``. The output file itself appears only when
every chunk is done, by an atomic rename. An interrupted run leaves the previous output untouched and the
finished chunks in the hidden folder; ``--resume`` reuses those chunks and skips their articles.
"""
from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.config import ExtractionConfig
from pipeline.ingest import Skipped, read_articles
from pipeline.predict import Predictor, Reloadable, available_threads
from pipeline.quotes import extract_quotes
from pipeline.sentences import quote_sentences
from pipeline.types import Article, Prediction, Sentence, StanceError

FORMATS = (".jsonl", ".csv", ".parquet")
SENTENCE_COLUMNS = [
    ("article_id", pa.string()),
    ("source", pa.string()),
    ("speaker", pa.string()),
    ("quote_index", pa.int64()),
    ("sentence_index", pa.int64()),
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("sentence", pa.string()),
    ("fragment", pa.bool_()),
    ("kind", pa.string()),
]


@dataclass
class ScoreSummary:
    articles: int = 0
    sentences: int = 0
    resumed_articles: int = 0
    counts: Counter = field(default_factory=Counter)  # (article_id, speaker, label) -> sentences
    skipped: list[Skipped] = field(default_factory=list)


def output_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise StanceError(f"{path}: unsupported output format '{suffix}' (use .jsonl, .csv or .parquet)")
    return suffix


def check_output_path(path: Path) -> None:
    """Fail before any work if the output cannot be written."""
    output_format(path)
    if not path.parent.is_dir():
        raise StanceError(f"{path}: output folder {path.parent} does not exist")
    if path.is_dir():
        raise StanceError(f"{path}: output path is a folder; name a file such as {path / 'scores.jsonl'}")
    try:  # os.access says yes to root even on read-only mounts; creating a file is the real test
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as err:
        raise StanceError(f"{path}: output folder {path.parent} is not writable ({err.strerror})") from None


def prediction_schema(labels: list[str]) -> list[tuple[str, pa.DataType]]:
    return [("label", pa.string()), ("confidence", pa.float64())] + [(f"p_{l}", pa.float64()) for l in labels]


def extract_sentences(article: Article, extraction: ExtractionConfig) -> list[Sentence]:
    """The one extraction used by ``score``, Spark and ``evaluate-extraction``."""
    quotes = extract_quotes(article, indirect=extraction.indirect, fragment_min_words=extraction.fragment_min_words)
    return quote_sentences(article, quotes)


def prediction_fields(prediction: Prediction, labels: list[str]) -> dict:
    return {"label": prediction.label, "confidence": prediction.confidence} | {
        f"p_{l}": prediction.probs[l] for l in labels
    }


def sentence_rows(article: Article, sentences: list[Sentence]) -> list[dict]:
    return [
        {
            "article_id": article.id,
            "source": article.source,
            "speaker": s.speaker,
            "quote_index": s.quote_index,
            "sentence_index": s.index,
            "start": s.start,
            "end": s.end,
            "sentence": s.text,
            "fragment": s.fragment,
            "kind": s.kind,
        }
        for s in sentences
    ]


def score_inputs(
    inputs: list[str],
    output: Path,
    predictor: Predictor,
    extraction: ExtractionConfig,
    chunk_articles: int,
    resume: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
    progress: bool = True,
    workers: int = 1,
    worker_threads: int = 1,
) -> ScoreSummary:
    """Score every article under ``inputs`` into ``output`` (format by extension), chunk by chunk.

    With ``workers`` > 1 and more than one chunk to score, chunks are extracted and scored in that many processes
    (``worker_threads`` each, the predictor reloaded there) while this one reads and writes, in input order.
    """
    from tqdm import tqdm

    check_output_path(output)
    summary = ScoreSummary()

    def skip(item: Skipped) -> None:
        summary.skipped.append(item)
        if on_skip:
            on_skip(item)

    store = _ChunkStore(output, resume)
    done = store.finished_articles()
    schema = pa.schema(SENTENCE_COLUMNS + prediction_schema(predictor.labels))
    chunks = _batched(_not_yet_scored(read_articles(inputs, skip), done, summary), chunk_articles)
    with tqdm(desc="articles", unit="art", disable=not progress or None) as bar:
        scored = _scored_chunks(chunks, predictor, extraction, schema, workers, worker_threads)
        for article_ids, table in scored:
            columns = (table.column(name).to_pylist() for name in ("article_id", "speaker", "label"))
            summary.counts.update(zip(*columns))
            store.save(table, article_ids)
            summary.articles += len(article_ids)
            summary.sentences += table.num_rows
            bar.update(len(article_ids))
    store.merge_into(output, schema)
    return summary


def score_chunk(chunk: list[Article], predictor: Predictor, extraction: ExtractionConfig, schema: pa.Schema) -> pa.Table:
    """One chunk's sentence rows with their predictions: the unit of work, in this process or a worker."""
    rows = [row for article in chunk for row in sentence_rows(article, extract_sentences(article, extraction))]
    for row, prediction in zip(rows, predictor.predict([r["sentence"] for r in rows])):
        row.update(prediction_fields(prediction, predictor.labels))
    return pa.Table.from_pylist(rows, schema=schema)


def worker_plan(workers: int, threads: int) -> tuple[int, int]:
    """``(processes, threads each)`` from the ``score.workers`` and ``score.threads`` settings (0 = every core)."""
    cores = available_threads(threads)
    processes = workers or cores
    return processes, max(1, cores // processes)


def _scored_chunks(
    chunks: Iterator[list[Article]], predictor: Reloadable, extraction: ExtractionConfig, schema: pa.Schema, workers: int, threads: int,
) -> Iterator[tuple[list[str], pa.Table]]:
    """``(article ids, scored table)`` per chunk, in input order; at most ``workers`` + 1 chunks in flight."""
    head = list(islice(chunks, 2))
    chunks = chain(head, chunks)
    if workers <= 1 or len(head) < 2:  # one chunk: nothing to run side by side, and starting processes takes ~1 s
        for chunk in chunks:
            yield [a.id for a in chunk], score_chunk(chunk, predictor, extraction, schema)
        return
    context = multiprocessing.get_context("spawn")  # forking a process that holds ONNX Runtime threads is unsafe
    with context.Pool(workers, initializer=_start_worker, initargs=(predictor.reload, threads, extraction, schema)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(([a.id for a in chunk], pool.apply_async(_score_in_worker, (chunk,))))
            if len(pending) > workers:
                article_ids, result = pending.popleft()
                yield article_ids, result.get()
        while pending:
            article_ids, result = pending.popleft()
            yield article_ids, result.get()


_worker: dict = {}  # each worker process's predictor and settings, set once by _start_worker


def _start_worker(reload: Callable[[int], Predictor], threads: int, extraction: ExtractionConfig, schema: pa.Schema) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which stops the pool
    try:
        _worker.update(predictor=reload(threads), extraction=extraction, schema=schema)
    except StanceError as err:  # raised from an initializer, it would make the pool restart workers forever
        _worker["error"] = err


def _score_in_worker(chunk: list[Article]) -> pa.Table:
    if "error" in _worker:
        raise _worker["error"]
    return score_chunk(chunk, _worker["predictor"], _worker["extraction"], _worker["schema"])


def write_table_atomically(tables: Iterable[pa.Table], output: Path, schema: pa.Schema) -> None:
    """Write ``tables`` one after another to a temp file beside ``output``, then rename it into place."""
    _write_atomically(output, lambda temp: _write_tables(tables, temp, schema, output_format(output)))


def _write_atomically(output: Path, write: Callable[[str], None]) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(handle)
    try:
        write(temp)
        os.replace(temp, output)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_tables(tables: Iterable[pa.Table], path: str | Path, schema: pa.Schema, fmt: str, header: bool = True) -> None:
    """``tables`` into ``path`` as ``fmt`` (an output extension); ``header=False`` leaves out the CSV header."""
    if fmt == ".parquet":
        with pq.ParquetWriter(path, schema) as writer:
            for table in tables:
                writer.write_table(table)
    else:
        with open(path, "w", encoding="utf-8", newline="") as stream:
            _write_text(stream, tables, schema, fmt, header)


def _write_text(stream, tables: Iterable[pa.Table], schema: pa.Schema, fmt: str, header: bool = True) -> None:
    import csv

    writer = None
    if fmt == ".csv":
        writer = csv.DictWriter(stream, fieldnames=schema.names)
        if header:
            writer.writeheader()
    for table in tables:
        for row in table.to_pylist():
            if writer:
                writer.writerow(row)
            else:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")


class _ChunkStore:
    """Finished chunks of one output, kept in a hidden folder beside it until the output is complete.

    Each chunk is saved already in the output's format, so completing the output is a concatenation (a byte copy
    for ``.jsonl`` and ``.csv``), not a second pass that re-encodes every row after the scoring is over.

    A chunk counts as finished only once its manifest line is complete: a chunk file written just before an
    interruption, without its line, is deleted on resume and its articles are scored again.
    """

    def __init__(self, output: Path, resume: bool):
        self.format = output_format(output)
        self.folder = output.parent / f".{output.name}.chunks"
        if self.folder.exists() and not resume:
            shutil.rmtree(self.folder)
        self.folder.mkdir(exist_ok=True)
        self.manifest = self.folder / "manifest.jsonl"
        self.entries = self._finished_entries()
        listed = {entry["chunk"] for entry in self.entries}
        for orphan in self.folder.glob("*chunk-*"):
            if orphan.name not in listed:
                orphan.unlink()
        temp = self.folder / ".manifest.tmp"
        temp.write_text("".join(json.dumps(entry) + "\n" for entry in self.entries), encoding="utf-8")
        os.replace(temp, self.manifest)

    def _finished_entries(self) -> list[dict]:
        if not self.manifest.exists():
            return []
        entries = []
        for line in self.manifest.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:  # the line being written when the run was interrupted
                break
            if entry["chunk"].endswith(self.format) and (self.folder / entry["chunk"]).exists():
                entries.append(entry)
        return entries

    def finished_articles(self) -> set[str]:
        return {article for entry in self.entries for article in entry["articles"]}

    def save(self, table: pa.Table, article_ids: list[str]) -> None:
        name = f"chunk-{len(self.entries):06d}{self.format}"
        temp = self.folder / f".{name}.tmp"
        _write_tables([table], temp, table.schema, self.format, header=False)
        os.replace(temp, self.folder / name)
        entry = {"chunk": name, "articles": article_ids}
        with open(self.manifest, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        self.entries.append(entry)

    def merge_into(self, output: Path, schema: pa.Schema) -> None:
        files = [self.folder / entry["chunk"] for entry in self.entries]
        if self.format == ".parquet":
            write_table_atomically((pq.read_table(f, schema=schema) for f in files), output, schema)
        else:
            _write_atomically(output, lambda temp: _concatenate(files, temp, schema, self.format))
        shutil.rmtree(self.folder)


def _concatenate(files: list[Path], path: str, schema: pa.Schema, fmt: str) -> None:
    """Text chunks one after another into ``path``, under the CSV header that chunks are saved without."""
    header = io.StringIO()
    _write_text(header, [], schema, fmt)
    with open(path, "wb") as stream:
        stream.write(header.getvalue().encode("utf-8"))
        for file in files:
            with open(file, "rb") as chunk:
                shutil.copyfileobj(chunk, stream)


def _not_yet_scored(articles: Iterable[Article], done: set[str], summary: ScoreSummary) -> Iterator[Article]:
    for article in articles:
        if article.id in done:
            summary.resumed_articles += 1
            continue
        yield article


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def classify_file(path: Path, output: Path, predictor: Predictor) -> int:
    """Label bare sentences (``.txt`` one per line, or ``.jsonl`` with ``sentence``), input order kept."""
    check_output_path(output)
    rows = _read_sentences(path)
    predictions = predictor.predict([r["sentence"] for r in rows])
    for row, prediction in zip(rows, predictions):
        row.update(prediction_fields(prediction, predictor.labels))
    table = pa.Table.from_pylist(rows) if rows else pa.table({"sentence": pa.array([], pa.string())})
    write_table_atomically([table], output, table.schema)
    return len(rows)


def _read_sentences(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StanceError(f"{path}: input file does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise StanceError(f"{path}: cannot read sentences ({err.__class__.__name__})") from None
    if path.suffix.lower() != ".jsonl":
        return [{"sentence": line.strip()} for line in text.splitlines() if line.strip()]
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise StanceError(f"{path}:{number}: malformed JSON ({err.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("sentence"), str):
            raise StanceError(f"{path}:{number}: row has no 'sentence' field")
        rows.append(row)
    return rows
