"""The job layer's data choices: which sentences are evaluated and which fit the temperature."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.data import build_splits, to_dataset
from pipeline.jobs import evaluation_sets, training_data, wire_rows
from pipeline.types import StanceError
from tests.conftest import REPO, tiny_config

TEXT = 'Headline\n\n"We welcome the talks," Anna Berg said. "The meeting is on Monday," she added. Critics saw "a stunt."\n'


def write_wire(folder: Path, labels: list[str | None]) -> Path:
    """A gold-format folder: one article, three quoted pieces labelled ``labels`` (the last one a fragment)."""
    pieces = [("We welcome the talks,", False), ("The meeting is on Monday,", False), ("a stunt.", True)]
    (folder / "articles").mkdir(parents=True)
    (folder / "articles" / "a.txt").write_text(TEXT, encoding="utf-8")
    rows = [
        {"file": "a.txt", "quote_id": i, "start": TEXT.index(p), "end": TEXT.index(p) + len(p), "sentence": p,
         "speaker": "Anna Berg", "fragment": fragment, "label": label}
        for i, ((p, fragment), label) in enumerate(zip(pieces, labels))
    ]
    (folder / "gold.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def test_wire_rows_are_the_labelled_clauses(workdir):
    config = tiny_config(workdir, [f"data.wire={write_wire(workdir / 'wire', ['welcoming', None, 'neutral'])}"])
    rows = wire_rows(config)
    assert [(r.sentence, r.label, r.source) for r in rows] == [("We welcome the talks,", "welcoming", "wire")]
    assert evaluation_sets(config, None, rows)["wire"] == (["We welcome the talks,"], ["welcoming"])


def test_no_wire_set_when_unset_or_absent(workdir):
    assert wire_rows(tiny_config(workdir, ["data.wire=null"])) == []
    assert wire_rows(tiny_config(workdir, [f"data.wire={workdir / 'missing'}"])) == []
    unset = tiny_config(workdir, ["data.wire=null"])
    assert "wire" not in evaluation_sets(unset, None, wire_rows(unset))


def test_an_unknown_wire_label_names_the_file(workdir):
    folder = write_wire(workdir / "wire", ["welcoming", "sarcastic", "neutral"])
    with pytest.raises(StanceError, match=r"wire/gold.jsonl: labels \['sarcastic'\]"):
        wire_rows(tiny_config(workdir, [f"data.wire={folder}"]))


def test_the_shipped_wire_set_is_never_trained_on(workdir):
    config = tiny_config(workdir, [f"data.wire={REPO}/data/wire", "data.max_examples=null"])
    wire = {r.sentence for r in wire_rows(config)}
    assert len(wire) >= 1000
    assert not wire & {r.sentence for r in training_data(config).rows}


@pytest.mark.slow
@pytest.mark.parametrize("with_calibration_set", [True, False])
def test_the_temperature_is_fitted_on_the_calibration_set(workdir, monkeypatch, with_calibration_set):
    import pipeline.train as train

    fitted_on: list[int] = []
    monkeypatch.setattr(train, "fit_temperature", lambda logits, gold: fitted_on.append(len(gold)) or 1.0)
    config = tiny_config(workdir)
    splits = build_splits(training_data(config).rows, config.labels, config.data.val_fraction, config.data.test_fraction, config.seed)
    calibration = to_dataset(training_data(config).rows[:7], config.labels) if with_calibration_set else None
    train.fine_tune(config, splits["train"], splits["validation"], calibration=calibration)
    assert fitted_on == [7 if with_calibration_set else len(splits["validation"])]


@pytest.mark.slow
def test_cv_logs_a_parent_run_with_one_child_per_fold(workdir):
    import mlflow

    from pipeline.jobs import cv_job

    config = tiny_config(workdir, ["cv.folds=2", "evaluate.bootstrap=0"])
    said = []
    summary = cv_job(config, said.append)
    assert len(summary["folds"]) == 2
    runs = mlflow.search_runs(experiment_names=[config.tracking.experiment], output_format="list")
    parent = next(r for r in runs if r.info.run_id == summary["run_id"])
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == summary["run_id"]]
    assert sorted(r.data.tags["fold"] for r in children) == ["0", "1"]
    assert sorted(r.data.metrics["test_macro_f1"] for r in children) == sorted(summary["folds"])
    assert all(r.data.metrics["temperature"] > 0 for r in children)
    assert abs(parent.data.metrics["cv_macro_f1_mean"] - sum(summary["folds"]) / 2) < 1e-9
    assert said[-1].startswith("cross-validation macro-F1: ")
