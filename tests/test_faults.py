"""Interruptions and faults: nothing half-written, interrupted work resumable, runs reproducible and offline."""
import contextlib
import ipaddress
import json
import signal
import socket
import sqlite3
import time
from pathlib import Path

import mlflow
import pytest

from pipeline import jobs
from pipeline.config import ExtractionConfig
from pipeline.predict import load_predictor
from pipeline.score import score_inputs
from pipeline.types import StanceError
from tests.conftest import SEEDS, tiny_config
from tests.stance_process import run_stance, start_stance
from tests.test_ingest import QUOTED, StubPredictor


def write_articles(folder: Path, count: int) -> list[str]:
    folder.mkdir()
    for i in range(count):
        (folder / f"a{i:05d}.txt").write_text(f"Report {i}.\n\n\"We welcome talks number {i},\" Anna Berg said.\n", encoding="utf-8")
    return [f"a{i:05d}" for i in range(count)]


class InterruptAfter(StubPredictor):
    """Ctrl-C arriving while the ``calls``-th chunk is being scored."""

    def __init__(self, calls: int):
        self.calls = calls

    def predict(self, texts):
        self.calls -= 1
        if self.calls == 0:
            raise KeyboardInterrupt
        return super().predict(texts)


def score(folder, output, predictor, resume=False):
    return score_inputs([str(folder)], output, predictor, ExtractionConfig(), chunk_articles=2, resume=resume, progress=False)


def test_interrupted_score_leaves_no_output_and_resume_skips_finished_chunks(tmp_path):
    ids = write_articles(tmp_path / "in", 9)
    output = tmp_path / "out.jsonl"
    output.write_text("previous run\n")
    with pytest.raises(KeyboardInterrupt):
        score(tmp_path / "in", output, InterruptAfter(3))  # chunks 1 and 2 (four articles) finish
    assert output.read_text() == "previous run\n"
    assert len(list((tmp_path / ".out.jsonl.chunks").glob("chunk-*.jsonl"))) == 2
    summary = score(tmp_path / "in", output, StubPredictor(), resume=True)
    assert (summary.resumed_articles, summary.articles) == (4, 5)
    assert article_ids(output) == ids
    assert not (tmp_path / ".out.jsonl.chunks").exists()


def test_chunks_join_into_one_output_in_every_format(tmp_path):
    import csv

    import pyarrow.parquet as pq

    ids = write_articles(tmp_path / "in", 5)  # three chunks of two articles
    tables = {}
    for fmt in ("jsonl", "csv", "parquet"):
        score(tmp_path / "in", tmp_path / f"out.{fmt}", StubPredictor())
    tables["jsonl"] = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    with open(tmp_path / "out.csv", newline="") as stream:
        tables["csv"] = list(csv.DictReader(stream))  # one header: a second would be read as a row
    tables["parquet"] = pq.read_table(tmp_path / "out.parquet").to_pylist()
    for rows in tables.values():
        assert [(r["article_id"], r["sentence"], r["label"]) for r in rows] == [(i, f"We welcome talks number {int(i[1:])},", "neutral") for i in ids]


def interrupt_scoring(tmp_path: Path, articles: int, chunks_done: int) -> tuple[list[str], Path, Path]:
    """``articles`` scored two a chunk into out.jsonl, interrupted after ``chunks_done`` chunks: ids, output, chunk folder."""
    ids = write_articles(tmp_path / "in", articles)
    output = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        score(tmp_path / "in", output, InterruptAfter(chunks_done + 1))
    return ids, output, tmp_path / ".out.jsonl.chunks"


def article_ids(output: Path) -> list[str]:
    return [json.loads(line)["article_id"] for line in output.read_text().splitlines()]


def test_resume_rescores_chunks_saved_in_another_format(tmp_path):
    ids, output, chunks = interrupt_scoring(tmp_path, 4, chunks_done=1)
    (chunks / "chunk-000000.jsonl").rename(chunks / "chunk-000000.parquet")  # as an older version saved chunks
    manifest = chunks / "manifest.jsonl"
    manifest.write_text(manifest.read_text().replace(".jsonl", ".parquet"))
    summary = score(tmp_path / "in", output, StubPredictor(), resume=True)
    assert (summary.resumed_articles, summary.articles) == (0, 4)
    assert article_ids(output) == ids


def test_resume_ignores_a_chunk_whose_manifest_line_was_never_completed(tmp_path):
    ids, output, chunks = interrupt_scoring(tmp_path, 6, chunks_done=2)
    manifest = (chunks / "manifest.jsonl").read_text().splitlines()
    (chunks / "manifest.jsonl").write_text(manifest[0] + "\n" + manifest[1][:15])  # killed mid-line
    summary = score(tmp_path / "in", output, StubPredictor(), resume=True)
    assert (summary.resumed_articles, summary.articles) == (2, 4)
    assert article_ids(output) == ids  # each once


def test_without_resume_a_rerun_starts_afresh(tmp_path):
    write_articles(tmp_path / "in", 5)
    output = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        score(tmp_path / "in", output, InterruptAfter(2))
    assert score(tmp_path / "in", output, StubPredictor()).resumed_articles == 0


def test_interrupted_write_keeps_the_previous_output(tmp_path, monkeypatch):
    from pipeline import score as score_module

    (tmp_path / "a.txt").write_text(QUOTED, encoding="utf-8")
    output = tmp_path / "out.csv"
    output.write_text("previous run\n")

    def interrupted(files, path, schema, fmt):  # while the finished chunks are being joined into the output
        Path(path).write_text("label,confidence\nhalf")
        raise KeyboardInterrupt

    monkeypatch.setattr(score_module, "_concatenate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        score(tmp_path / "a.txt", output, StubPredictor())
    assert output.read_text() == "previous run\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.csv.") and p.suffix == ".tmp"] == []


def test_unreachable_tracking_store_fails_before_training(workdir, monkeypatch):
    uri = "http://127.0.0.1:9"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setattr("pipeline.train.fine_tune", lambda *a, **k: pytest.fail("training started"))
    with pytest.raises(StanceError, match=f"tracking store {uri} is unreachable"):
        jobs.train_job(tiny_config(workdir, ["tracking.uri=null"]), None, lambda message: None)
    assert not (workdir / "models").exists()


def previous_model(workdir: Path) -> Path:
    models = workdir / "models"
    (models / "previous").mkdir(parents=True)
    (models / "previous" / "stance.json").write_text("{}")
    (models / "latest").symlink_to("previous")
    return models


def training_started(db: Path) -> bool:
    """True once the run has logged a training step."""
    try:
        with sqlite3.connect(db) as connection:
            return connection.execute("SELECT count(*) FROM metrics WHERE key = 'train_loss'").fetchone()[0] > 0
    except sqlite3.Error:  # the store is still being created
        return False


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_train_kills_the_run_and_keeps_the_previous_model(tmp_path, signum):
    models = previous_model(tmp_path)
    process = start_stance(tmp_path, "--set", "train.epochs=30", "--set", "train.patience=100", "train")
    deadline = time.monotonic() + 240
    while not training_started(tmp_path / "mlflow.db"):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.1)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted; nothing half-written was left behind" in stderr
    with sqlite3.connect(tmp_path / "mlflow.db") as connection:
        assert connection.execute("SELECT status FROM runs").fetchall() == [("KILLED",)]
    assert sorted(p.name for p in models.iterdir()) == ["latest", "previous"]
    assert (models / "latest").resolve() == (models / "previous").resolve()


@pytest.mark.slow
def test_sigint_during_score_leaves_no_output_and_resume_reuses_finished_chunks(trained, tmp_path):
    ids = write_articles(tmp_path / "in", 1500)
    args = ("score", "in", "-o", "out.jsonl", "--model", str(trained["bundle"]), "--set", "score.chunk_articles=10")
    manifest = tmp_path / ".out.jsonl.chunks" / "manifest.jsonl"
    process = start_stance(tmp_path, *args)
    while not (manifest.exists() and manifest.read_text().count("\n") >= 2):
        assert process.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert not (tmp_path / "out.jsonl").exists()
    finished = sum(len(json.loads(line)["articles"]) for line in manifest.read_text().splitlines() if line.endswith("}"))
    assert 20 <= finished < len(ids)
    result = run_stance(tmp_path, *args, "--resume")
    assert result.returncode == 0, result.stderr
    assert f"resumed: {finished} articles reused from finished chunks" in result.stdout
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["article_id"] for r in rows] == ids


@contextlib.contextmanager
def network_blocked():
    """Every connection or name lookup beyond loopback raises OSError; the attempts are recorded."""
    attempts: list[str] = []

    def check(host) -> None:
        host = host.decode() if isinstance(host, bytes) else str(host)
        try:
            loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            attempts.append(host)
            raise OSError(f"network blocked by test: {host}")

    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self, address):
        if isinstance(address, tuple):  # AF_INET / AF_INET6; AF_UNIX paths stay local
            check(address[0])
        return real_connect(self, address)

    def connect_ex(self, address):
        if isinstance(address, tuple):
            check(address[0])
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host is not None:
            check(host)
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield attempts


def test_the_network_guard_refuses_outside_addresses_and_allows_loopback():
    """The guard must bite, or the offline test below proves nothing."""
    with socket.create_server(("127.0.0.1", 0)) as server, network_blocked() as attempts:
        socket.create_connection(server.getsockname(), timeout=1).close()
        with pytest.raises(OSError, match="network blocked by test: 192.0.2.1"):
            socket.create_connection(("192.0.2.1", 80), timeout=1)
        with pytest.raises(OSError, match="network blocked by test: huggingface.co"):
            socket.getaddrinfo("huggingface.co", 443)
    assert attempts == ["192.0.2.1", "huggingface.co"]


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    """A tiny training and a score of the seed articles, in-process, with the network blocked."""
    folder = tmp_path_factory.mktemp("offline")
    with pytest.MonkeyPatch.context() as patch, network_blocked() as attempts:
        patch.chdir(folder)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        config = tiny_config(folder)
        result = jobs.train_job(config, None, lambda message: None)
        output = folder / "scores.jsonl"
        summary = score_inputs([str(SEEDS)], output, load_predictor(result["model_dir"]), config.extraction, 2, progress=False)
    return {"result": result, "summary": summary, "output": output, "attempts": attempts, "config": config}


@pytest.mark.slow
def test_train_and_score_need_no_network(offline_run):
    assert offline_run["attempts"] == []
    assert Path(offline_run["result"]["model_dir"], "model.onnx").exists()
    assert offline_run["summary"].articles == 5 and offline_run["summary"].sentences > 0
    assert len(offline_run["output"].read_text().splitlines()) == offline_run["summary"].sentences


@pytest.mark.slow
def test_same_config_and_seed_give_identical_metrics(trained, offline_run):
    """The offline run repeats the session's tiny training with the same settings in another folder."""

    def run_metrics(config, run_id):
        client = mlflow.MlflowClient(tracking_uri=config.tracking.uri)
        metrics = client.get_run(run_id).data.metrics
        losses = [m.value for m in client.get_metric_history(run_id, "train_loss")]
        return {k: v for k, v in metrics.items() if k != "train_seconds"}, losses

    first = run_metrics(trained["config"], trained["result"]["run_id"])
    second = run_metrics(offline_run["config"], offline_run["result"]["run_id"])
    assert first[1] and first == second
