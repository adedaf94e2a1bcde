"""The classification network: the MiniLM encoder with a head on its mean-pooled tokens.

all-MiniLM-L6-v2 was trained as a sentence encoder through mean pooling; its [CLS] token and pooler carry no
trained sentence meaning. A head on the mean-pooled tokens starts from the representation the encoder was
built for, which holds up better on real quotes than a head on [CLS] (``model.pooling: cls``).
"""
from __future__ import annotations

import json
from pathlib import Path

from torch import nn
from transformers import AutoModelForSequenceClassification, BertModel, BertPreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from pipeline.types import StanceError


class MeanPoolingClassifier(BertPreTrainedModel):
    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, **kwargs):
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return SequenceClassifierOutput(logits=self.classifier(self.dropout(pooled)))


POOLING = {"mean": MeanPoolingClassifier, "cls": AutoModelForSequenceClassification}


def load_classifier(folder: str | Path, pooling: str | None = None, **kwargs) -> nn.Module:
    """A trained bundle (its saved architecture decides the class) or the base model with a fresh head."""
    if pooling is None:
        architectures = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8")).get("architectures") or []
        pooling = "mean" if MeanPoolingClassifier.__name__ in architectures else "cls"
    if pooling not in POOLING:
        raise StanceError(f"model.pooling must be one of {', '.join(POOLING)}, got {pooling!r}")
    return POOLING[pooling].from_pretrained(folder, local_files_only=True, **kwargs)

