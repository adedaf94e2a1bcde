"""The training loop: linear probing keeps the encoder frozen, then fine-tuning moves everything."""
from __future__ import annotations

import torch

import pipeline.train as training
from pipeline.data import build_splits, subsample
from pipeline.labels import expand_files, load_labelled
from pipeline.model import load_base
from pipeline.train import _phases, fine_tune, set_seed
from tests.conftest import tiny_config


def test_probing_phase_optimises_only_the_head(workdir):
    config = tiny_config(workdir, ["train.probe_epochs=2", "train.epochs=3"])
    _, model = load_base(config.model.base, config.labels, config.model.pooling)
    head = [p for n, p in model.named_parameters() if n.startswith("classifier.")]
    encoder = [p for n, p in model.named_parameters() if not n.startswith("classifier.")]
    probe, fine = _phases(config.train, encoder, head, steps_per_epoch=5)
    assert (probe.epochs, probe.train_encoder, fine.epochs, fine.train_encoder) == (2, False, 3, True)
    assert {id(p) for group in probe.optimizer.param_groups for p in group["params"]} == {id(p) for p in head}
    assert len(_phases(tiny_config(workdir).train, encoder, head, steps_per_epoch=5)) == 1  # probe_epochs 0: no probing


def test_a_probe_epoch_leaves_the_encoder_as_it_was(workdir, monkeypatch):
    config = tiny_config(workdir, ["train.probe_epochs=1", "train.epochs=1", "train.patience=5"])
    rows = subsample(load_labelled(expand_files(config.data.files), config.labels), 24, config.seed)
    splits = build_splits(rows, config.labels, 0.25, 0.25, config.seed)
    snapshots = []
    real_predict = training.predict_logits

    def snapshot_then_predict(model, loader):  # called once after each epoch
        snapshots.append({n: p.detach().clone() for n, p in model.named_parameters()})
        return real_predict(model, loader)

    monkeypatch.setattr("pipeline.train.predict_logits", snapshot_then_predict)
    set_seed(config.seed)  # as fine_tune does, so the fresh head starts from the same weights
    _, initial = load_base(config.model.base, config.labels, config.model.pooling)
    start = dict(initial.named_parameters())
    result = fine_tune(config, splits["train"], splits["validation"])
    assert len(result.history) == 2
    after_probe, after_fine_tune = snapshots[0], snapshots[1]
    encoder_weight = "bert.encoder.layer.0.attention.self.query.weight"
    assert torch.equal(after_probe[encoder_weight], start[encoder_weight])
    assert not torch.equal(after_probe["classifier.weight"], start["classifier.weight"])
    assert not torch.equal(after_fine_tune[encoder_weight], start[encoder_weight])
