"""Scale-out scoring on Apache Spark: the same extraction and predictor as ``score``, written as Parquet.

The driver reads the inputs with the single-machine reader (same skips, de-duplication and article ids) and
stages them, a batch at a time, as Parquet beside the output, so its memory stays flat. Executors run
``extract_sentences`` and the bundle's predictor in ``mapInPandas``; the model files travel with
``SparkContext.addFile`` and each Python worker loads the predictor once. Any master URL works, as long as the
output path (and so the staging folder beside it) is storage every executor can reach.
"""
from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

from pipeline.config import Config, ExtractionConfig
from pipeline.model import BUNDLE_META, read_meta, resolve_model
from pipeline.predict import ONNX_FILES, load_predictor
from pipeline.types import Article, StanceError

ARTICLE_COLUMNS = ("id", "source", "title", "text", "encoding")
STAGE_BATCH_ARTICLES = 4096  # articles the driver holds at once while staging the input for the executors
_SPARK_TYPES = {"string": "string", "int64": "bigint", "bool": "boolean", "double": "double"}


def score_with_spark(
    inputs: list[str], output: Path, model_ref: str | None, master: str, config: Config, say: Callable[[str], None]
) -> int:
    """Score every article under ``inputs`` on the Spark cluster at ``master`` into the Parquet folder ``output``."""
    try:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError:
        raise StanceError("pyspark is not installed: pip install -e '.[spark]' to use --engine spark") from None
    from pipeline.ingest import read_articles

    for item in inputs:
        if not Path(item).exists():
            raise StanceError(f"{item}: input path does not exist")
    output = Path(output)
    mode = _write_mode(output)
    folder = resolve_model(model_ref, config)
    backend = config.score.backend if config.score.backend != "auto" else read_meta(folder).default_backend
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers must use this environment
    spark = (
        SparkSession.builder.master(master)
        .appName("stance-score")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(config.score.chunk_articles))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    staging = output.parent / f".{output.name}.articles"
    shipped = tempfile.mkdtemp(prefix="stance-model-")
    try:
        articles = _stage_articles(spark, read_articles(inputs, lambda s: say(f"warning: skipped {s.path}: {s.reason}")), staging)
        if articles == 0:
            raise StanceError(f"{', '.join(inputs)}: no readable articles to score")
        _copy_model_files(folder, backend, Path(shipped))
        spark.sparkContext.addFile(shipped, recursive=True)
        threads = config.score.threads or int(spark.conf.get("spark.task.cpus", "1"))
        labels = read_meta(folder).labels
        score = functools.partial(
            _score_partition, Path(shipped).name, backend, config.score.batch_size, threads, config.extraction, labels
        )
        partitions = max(spark.sparkContext.defaultParallelism, -(-articles // config.score.chunk_articles))
        frame = spark.read.parquet(str(staging)).repartition(partitions)
        try:
            frame.mapInPandas(score, _output_ddl(labels)).write.mode(mode).parquet(str(output))
        except (PySparkException, Py4JJavaError) as err:  # executor and writer failures, as Spark reports them
            raise StanceError(f"{output}: Spark scoring failed ({str(err).splitlines()[0][:200]})") from None
        sentences = spark.read.parquet(str(output)).count()
    finally:
        shutil.rmtree(shipped, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
        spark.stop()
    say(f"wrote {sentences} sentences from {articles} articles to {output} (Parquet, Spark master {master})")
    return sentences


def _write_mode(output: Path) -> str:
    """Replace only an earlier Spark output (it has ``_SUCCESS``); never overwrite an unrelated folder."""
    if not output.exists():
        if not output.parent.is_dir():
            raise StanceError(f"{output}: output folder {output.parent} does not exist")
        return "errorifexists"
    if output.is_dir() and (output / "_SUCCESS").exists():
        return "overwrite"
    raise StanceError(f"{output}: exists and is not an earlier Spark output; choose a new --output folder")


def _stage_articles(spark, articles: Iterator[Article], staging: Path) -> int:
    """Append the articles to a Parquet folder a batch at a time; the count of articles staged."""
    shutil.rmtree(staging, ignore_errors=True)
    schema = ", ".join(f"{name} string" for name in ARTICLE_COLUMNS)
    count = 0
    while batch := list(islice(articles, STAGE_BATCH_ARTICLES)):
        rows = [tuple(getattr(a, name) for name in ARTICLE_COLUMNS) for a in batch]
        spark.createDataFrame(rows, schema).write.mode("append").parquet(str(staging))
        count += len(batch)
    return count


def _copy_model_files(folder: Path, backend: str, target: Path) -> None:
    """Only what the backend loads: the ONNX backends skip the PyTorch weights, torch skips the ONNX files."""
    if backend in ONNX_FILES:
        names = ["tokenizer.json", BUNDLE_META, ONNX_FILES[backend]]
    else:
        names = [p.name for p in folder.iterdir() if p.is_file() and p.suffix != ".onnx"]
    for name in names:
        shutil.copy2(folder / name, target / name)


@functools.cache
def _worker_predictor(folder: str, backend: str, batch_size: int, threads: int):
    """One predictor per Python worker process, reused by every partition it scores."""
    return load_predictor(folder, backend, batch_size, threads)


def _score_partition(shipped_name, backend, batch_size, threads, extraction: ExtractionConfig, labels, frames):
    """``mapInPandas`` body: article rows in, one row per scored quoted sentence out."""
    import pandas as pd
    from pyspark import SparkFiles

    from pipeline.score import extract_sentences, prediction_fields, sentence_rows

    predictor = _worker_predictor(SparkFiles.get(shipped_name), backend, batch_size, threads)
    columns = list(_output_columns(labels))
    for frame in frames:
        rows = []
        for record in frame.itertuples(index=False):
            article = Article(**{name: getattr(record, name) for name in ARTICLE_COLUMNS})
            rows.extend(sentence_rows(article, extract_sentences(article, extraction)))
        for row, prediction in zip(rows, predictor.predict([r["sentence"] for r in rows])):
            row.update(prediction_fields(prediction, labels))
        yield pd.DataFrame(rows, columns=columns)


def _output_columns(labels: list[str]) -> dict[str, str]:
    """The single-machine scorer's columns and types, so both engines write the same table."""
    from pipeline.score import SENTENCE_COLUMNS, prediction_schema

    return {name: str(kind) for name, kind in SENTENCE_COLUMNS + prediction_schema(labels)}


def _output_ddl(labels: list[str]) -> str:
    return ", ".join(f"`{name}` {_SPARK_TYPES[kind]}" for name, kind in _output_columns(labels).items())
