"""Spark scale-out on ``local[2]``: the same rows as the single-machine scorer, written as Parquet."""
import json
import shutil
import sys

import pyarrow.parquet as pq
import pytest

from pipeline.predict import load_predictor
from pipeline.score import score_inputs
from pipeline.types import StanceError
from tests.conftest import SEEDS, tiny_config


def _key(row):
    return row["article_id"], row["quote_index"], row["sentence_index"]


def _inputs(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.mark.slow
def test_spark_rows_equal_the_single_machine_scorer(trained, workdir):
    """fp32 ONNX, so the check can be tight: dynamic int8 scales activations per batch, and Spark batches differently."""
    pytest.importorskip("pyspark")
    config = tiny_config(workdir, ["score.backend=onnx", "score.chunk_articles=2"])
    inputs = _inputs(workdir)
    local = workdir / "local.jsonl"
    predictor = load_predictor(trained["bundle"], "onnx", threads=2)
    score_inputs([str(inputs)], local, predictor, config.extraction, chunk_articles=2, progress=False)
    expected = sorted((json.loads(line) for line in local.read_text(encoding="utf-8").splitlines()), key=_key)

    from pipeline.spark import score_with_spark

    messages = []
    written = score_with_spark([str(inputs)], workdir / "spark", str(trained["bundle"]), "local[2]", config, messages.append)
    actual = sorted(pq.read_table(workdir / "spark").to_pylist(), key=_key)

    assert written == len(actual) == len(expected) > 0
    probabilities = [c for c in expected[0] if c.startswith("p_")] + ["confidence"]
    for got, want in zip(actual, expected):
        assert list(got) == list(want)
        assert {k: v for k, v in got.items() if k not in probabilities} == {
            k: v for k, v in want.items() if k not in probabilities
        }
        assert max(abs(got[c] - want[c]) for c in probabilities) < 1e-4  # fp32: only padding and thread count differ
    assert not list(workdir.glob(".spark.*")), "the staging folder is removed"
    assert any("wrote" in m for m in messages)


@pytest.mark.slow
def test_spark_refuses_to_overwrite_a_folder_it_did_not_write(trained, workdir):
    pytest.importorskip("pyspark")
    config = tiny_config(workdir)
    precious = workdir / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me", encoding="utf-8")

    from pipeline.spark import score_with_spark

    with pytest.raises(StanceError, match="not an earlier Spark output"):
        score_with_spark([str(SEEDS)], precious, str(trained["bundle"]), "local[2]", config, lambda m: None)
    assert (precious / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_without_pyspark_the_spark_engine_says_how_to_install_it(workdir, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # makes ``import pyspark.sql`` raise ImportError
    from pipeline.spark import score_with_spark

    with pytest.raises(StanceError, match=r"pip install -e '\.\[spark\]'"):
        score_with_spark([str(SEEDS)], workdir / "out", None, "local[2]", tiny_config(workdir), lambda m: None)
