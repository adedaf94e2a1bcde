"""Fine-tune the base encoder with a classification head: a plain torch loop, early stopping on val macro-F1."""
from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from datasets import Dataset
from sklearn.metrics import f1_score
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import DataLoader
from transformers import DataCollatorWithPadding, get_linear_schedule_with_warmup

from pipeline.calibration import fit_temperature
from pipeline.config import Config
from pipeline.model import load_base
from pipeline.predict import available_threads

StepCallback = Callable[[int, float], None]
EpochCallback = Callable[[int, dict[str, float]], None]


@dataclass
class TrainResult:
    model: torch.nn.Module
    tokenizer: object
    temperature: float
    best_epoch: int
    train_seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def set_seed(seed: int) -> None:
    """One seed for every source of randomness: python, numpy, torch (and its CPU kernels)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def fine_tune(
    config: Config,
    train: Dataset,
    validation: Dataset,
    on_step: StepCallback | None = None,
    on_epoch: EpochCallback | None = None,
    calibration: Dataset | None = None,
) -> TrainResult:
    """Train, keep the weights of the best validation epoch, then fit a temperature on ``calibration``
    (the validation split if None)."""
    settings = config.train
    set_seed(config.seed)
    torch.set_num_threads(available_threads(settings.threads))
    started = time.perf_counter()
    tokenizer, model = load_base(config.model.base, config.labels, config.model.pooling)
    train_loader = _loader(train, tokenizer, config, shuffle=True)
    val_loader = _loader(validation, tokenizer, config, shuffle=False)

    loss_fn = torch.nn.CrossEntropyLoss(weight=_class_weights(train, len(config.labels)) if settings.class_weighting else None)
    head = [p for n, p in model.named_parameters() if n.startswith("classifier.")]
    encoder = [p for n, p in model.named_parameters() if not n.startswith("classifier.")]
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": settings.learning_rate}, {"params": head, "lr": settings.head_learning_rate}],
        weight_decay=settings.weight_decay,
    )
    total_steps = settings.epochs * len(train_loader)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(settings.warmup_ratio * total_steps), total_steps)

    best_f1, best_epoch, best_state, history, step = -1.0, 0, None, [], 0
    for epoch in range(1, settings.epochs + 1):
        model.train()
        losses = []
        for batch in train_loader:
            labels = batch.pop("labels")
            loss = loss_fn(model(**batch).logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            losses.append(loss.item())
            if on_step:
                on_step(step, loss.item())
        logits, gold = predict_logits(model, val_loader)
        metrics = {"train_loss_epoch": float(np.mean(losses)), "val_macro_f1": _macro_f1(gold, logits, config.labels)}
        history.append(metrics)
        if on_epoch:
            on_epoch(epoch, metrics)
        if metrics["val_macro_f1"] > best_f1:
            best_f1, best_epoch, best_state = metrics["val_macro_f1"], epoch, copy.deepcopy(model.state_dict())
        elif epoch - best_epoch > settings.patience:
            break

    model.load_state_dict(best_state)
    model.eval()
    temperature = 1.0
    calibration = validation if calibration is None else calibration
    if settings.calibrate and len(calibration):
        logits, gold = predict_logits(model, _loader(calibration, tokenizer, config, shuffle=False))
        temperature = fit_temperature(logits, gold)
    return TrainResult(model, tokenizer, temperature, best_epoch, time.perf_counter() - started, history)


def predict_logits(model: torch.nn.Module, loader: DataLoader) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    logits, gold = [], []
    with torch.inference_mode():
        for batch in loader:
            gold.append(batch.pop("labels").numpy())
            logits.append(model(**batch).logits.float().numpy())
    if not logits:
        return np.zeros((0, model.config.num_labels)), np.zeros(0, dtype=int)
    return np.concatenate(logits), np.concatenate(gold)


def _loader(dataset: Dataset, tokenizer, config: Config, shuffle: bool) -> DataLoader:
    encoded = dataset.map(
        lambda rows: tokenizer(rows["text"], truncation=True, max_length=config.model.max_length),
        batched=True,
        remove_columns=[c for c in dataset.column_names if c != "label"],
    ).rename_column("label", "labels")
    generator = torch.Generator().manual_seed(config.seed)
    return DataLoader(
        encoded,
        batch_size=config.train.batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=DataCollatorWithPadding(tokenizer),
    )


def _class_weights(train: Dataset, n_labels: int) -> torch.Tensor:
    """Balanced weights (n / (k * count)); labels absent from a tiny split get weight 1."""
    y = np.array(train["label"])
    present = np.unique(y)
    weights = np.ones(n_labels, dtype=np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=y)
    return torch.tensor(weights)


def _macro_f1(gold: np.ndarray, logits: np.ndarray, labels: list[str]) -> float:
    if len(gold) == 0:
        return 0.0
    return float(f1_score(gold, logits.argmax(axis=1), labels=list(range(len(labels))), average="macro", zero_division=0))
