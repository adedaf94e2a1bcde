"""The MLflow pyfunc wrapper: sentences in, label, confidence and per-label probabilities out."""
from __future__ import annotations

import mlflow.pyfunc
import pandas as pd


class StanceModel(mlflow.pyfunc.PythonModel):
    """Holds no weights itself: they are loaded from the logged bundle in ``load_context``."""

    def load_context(self, context):
        from pipeline.predict import load_predictor

        self.predictor = load_predictor(context.artifacts["bundle"], "auto")

    def predict(self, context, model_input, params=None):
        if isinstance(model_input, pd.DataFrame):
            column = "sentence" if "sentence" in model_input.columns else model_input.columns[0]
            texts = model_input[column].astype(str).tolist()
        else:
            texts = [str(t) for t in model_input]
        predictions = self.predictor.predict(texts)
        return pd.DataFrame(
            [
                {"label": p.label, "confidence": p.confidence} | {f"p_{l}": p.probs[l] for l in self.predictor.labels}
                for p in predictions
            ]
        )
