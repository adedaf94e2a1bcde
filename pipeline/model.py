"""The base model (loaded offline from an installed package) and the trained bundle under ``models/<run>/``."""
from __future__ import annotations

import importlib.util
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.types import StanceError

BUNDLE_META = "stance.json"
ONNX_FILE = "model.onnx"
ONNX_INT8_FILE = "model.int8.onnx"


@dataclass
class BundleMeta:
    """What a predictor needs besides the weights: label order, calibration and the chosen backend."""

    labels: list[str]
    max_length: int
    temperature: float = 1.0
    base_model: str = ""
    run_id: str | None = None
    run_name: str | None = None
    default_backend: str = "torch"
    agreement: dict[str, float] = field(default_factory=dict)


def base_model_dir(base: str) -> Path:
    """A directory as given, or the ``model/`` folder shipped inside an installed package."""
    path = Path(base)
    if path.is_dir():
        return path
    spec = importlib.util.find_spec(base)
    if spec is None or not spec.submodule_search_locations:
        raise StanceError(f"base model {base!r}: neither a directory nor an installed package")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").exists():
        raise StanceError(f"base model {base!r}: package has no model/config.json")
    return folder


def load_base(base: str, labels: list[str], pooling: str = "mean"):
    """Tokenizer and a fresh classification head on the base encoder, label maps in its config."""
    from transformers import AutoTokenizer

    from pipeline.classifier import load_classifier

    folder = base_model_dir(base)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = load_classifier(
        folder,
        pooling,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    return tokenizer, model


def save_bundle(folder: Path, model, tokenizer, meta: BundleMeta) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    write_meta(folder, meta)


def write_meta(folder: Path, meta: BundleMeta) -> None:
    (folder / BUNDLE_META).write_text(json.dumps(asdict(meta), indent=2) + "\n", encoding="utf-8")


def read_meta(folder: Path) -> BundleMeta:
    path = Path(folder) / BUNDLE_META
    try:
        return BundleMeta(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise StanceError(f"{folder}: not a trained model (no {BUNDLE_META}); run 'make train' first") from None
    except (json.JSONDecodeError, TypeError) as err:
        raise StanceError(f"{path}: corrupt model metadata ({err})") from None


def resolve_model(ref: str | None, config) -> Path:
    """``latest`` (default), a bundle folder, or a registry URI such as ``models:/stance-classifier@champion``."""
    ref = ref or "latest"
    if "://" in ref or ref.startswith("models:/") or ref.startswith("runs:/"):
        from pipeline.tracking import download_bundle

        return download_bundle(ref, config)
    folder = Path(config.models_dir) / "latest" if ref == "latest" else Path(ref)
    if not folder.exists():
        hint = "; run 'make train' first" if ref == "latest" else ""
        raise StanceError(f"model {ref}: {folder} does not exist{hint}")
    return folder.resolve()
