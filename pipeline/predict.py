"""One predictor interface, ``predict(texts) -> list[Prediction]``, for the torch, onnx and onnx-int8 backends.

The ONNX backends need only ``tokenizers``, ``onnxruntime`` and ``numpy``: importing this module never
imports torch or mlflow, so scoring with them starts fast.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np
from tokenizers import Tokenizer

from pipeline.model import ONNX_FILE, ONNX_INT8_FILE, BundleMeta, read_meta
from pipeline.types import Prediction, StanceError

ONNX_FILES = {"onnx": ONNX_FILE, "onnx-int8": ONNX_INT8_FILE}


class Predictor(Protocol):
    labels: list[str]

    def predict(self, texts: list[str]) -> list[Prediction]: ...


class Reloadable(Predictor, Protocol):
    reload: Callable[[int], Predictor]  # picklable: the same model and backend, with a given thread count


def available_threads(threads: int) -> int:
    return threads or len(os.sched_getaffinity(0))


class _BatchedPredictor:
    """Shared by every backend: tokenize, sort by length, pad each batch to its own longest, calibrate."""

    def __init__(self, folder: Path, meta: BundleMeta, batch_size: int):
        self.labels = meta.labels
        self.temperature = meta.temperature
        self.batch_size = batch_size
        try:
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as err:  # tokenizers raises a bare Exception for missing and corrupt files alike
            raise StanceError(f"{folder / 'tokenizer.json'}: cannot load tokenizer ({str(err)[:120]})") from None
        self.tokenizer.enable_truncation(meta.max_length)
        self.tokenizer.no_padding()

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray, token_type_ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def predict(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        probs = np.empty((len(texts), len(self.labels)), dtype=np.float64)
        for positions, batch in self.batches(texts):
            probs[positions] = softmax(self.logits(*batch) / self.temperature)
        return [self._prediction(row) for row in probs]

    def batches(self, texts: list[str]) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, ...]]]:
        """``(positions in texts, (input_ids, attention_mask, token_type_ids))`` per length-sorted batch."""
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for first in range(0, len(order), self.batch_size):
            positions = order[first : first + self.batch_size]
            width = max(len(encodings[i].ids) for i in positions)
            arrays = np.zeros((3, len(positions), width), dtype=np.int64)
            for row, i in enumerate(positions):
                n = len(encodings[i].ids)
                arrays[0, row, :n] = encodings[i].ids
                arrays[1, row, :n] = 1
                arrays[2, row, :n] = encodings[i].type_ids
            yield positions, (arrays[0], arrays[1], arrays[2])

    def _prediction(self, row: np.ndarray) -> Prediction:
        best = int(row.argmax())
        return Prediction(
            label=self.labels[best],
            confidence=float(row[best]),
            probs={label: float(p) for label, p in zip(self.labels, row)},
        )


class TorchPredictor(_BatchedPredictor):
    def __init__(self, folder: Path, meta: BundleMeta, batch_size: int, threads: int):
        super().__init__(folder, meta, batch_size)
        import torch

        from pipeline.classifier import load_classifier

        torch.set_num_threads(available_threads(threads))
        self._torch = torch
        try:
            self.model = load_classifier(folder).eval()
        except Exception as err:  # transformers raises OSError, ValueError or safetensors' own errors
            raise StanceError(f"{folder}: cannot load torch model ({err.__class__.__name__}: {str(err).splitlines()[0][:120]})") from None

    def logits(self, input_ids, attention_mask, token_type_ids):
        with self._torch.inference_mode():
            out = self.model(
                input_ids=self._torch.from_numpy(input_ids),
                attention_mask=self._torch.from_numpy(attention_mask),
                token_type_ids=self._torch.from_numpy(token_type_ids),
            )
        return out.logits.float().numpy()


class OnnxPredictor(_BatchedPredictor):
    def __init__(self, folder: Path, meta: BundleMeta, backend: str, batch_size: int, threads: int):
        super().__init__(folder, meta, batch_size)
        import onnxruntime as ort

        path = folder / ONNX_FILES[backend]
        if not path.exists():
            raise StanceError(f"{path}: no {backend} model in this bundle; use --backend torch or retrain")
        options = ort.SessionOptions()
        options.intra_op_num_threads = available_threads(threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own untyped errors for corrupt files
            raise StanceError(f"{path}: cannot load ONNX model ({err.__class__.__name__})") from None
        self.input_names = {i.name for i in self.session.get_inputs()}

    def logits(self, input_ids, attention_mask, token_type_ids):
        feeds = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        return self.session.run(["logits"], {k: v for k, v in feeds.items() if k in self.input_names})[0]


def load_predictor(folder: str | Path, backend: str = "auto", batch_size: int = 16, threads: int = 0) -> Predictor:
    """The predictor for a trained bundle; ``auto`` takes the backend chosen when the model was exported."""
    folder = Path(folder)
    meta = read_meta(folder)
    if backend == "auto":
        backend = meta.default_backend
    if backend == "torch":
        predictor = TorchPredictor(folder, meta, batch_size, threads)
    elif backend in ONNX_FILES:
        predictor = OnnxPredictor(folder, meta, backend, batch_size, threads)
    else:
        raise StanceError(f"unknown backend {backend!r} (torch, onnx, onnx-int8 or auto)")
    predictor.reload = partial(load_predictor, folder, backend, batch_size)  # reload(threads) in worker processes
    return predictor


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
