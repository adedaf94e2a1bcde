"""stance: quotes from news articles -> sentences -> stance toward US diplomacy, tracked in MLflow."""
import os

# Offline by construction: no stage may reach a model hub, whatever the caller's environment says.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
