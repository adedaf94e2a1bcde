from pipeline.evaluate import evaluate_predictions, format_table, plot_confusion, plot_per_class
from pipeline.types import Prediction

LABELS = ["welcoming", "conditional", "critical_of_us", "neutral"]


def pred(label, confidence=0.9):
    return Prediction(label, confidence, {l: (confidence if l == label else (1 - confidence) / 3) for l in LABELS})


def test_metrics_names_and_values(tmp_path):
    gold = ["welcoming", "neutral", "critical_of_us", "conditional"]
    predictions = [pred("welcoming"), pred("neutral"), pred("neutral"), pred("conditional")]
    report = evaluate_predictions(["a", "b", "c", "d"], gold, predictions, LABELS, "test")
    assert report.metrics["test_accuracy"] == 0.75
    assert report.metrics["test_f1_critical_of_us"] == 0.0
    assert report.metrics["test_f1_welcoming"] == 1.0
    assert abs(report.metrics["test_macro_f1"] - (1 + 1 + 0 + 2 / 3) / 4) < 1e-9
    assert report.misclassified == [{"sentence": "c", "true": "critical_of_us", "predicted": "neutral", "confidence": 0.9}]
    assert report.confusion[LABELS.index("critical_of_us"), LABELS.index("neutral")] == 1
    assert "macro-F1=0.667" in format_table(report)
    assert plot_confusion(report, tmp_path / "c.png").stat().st_size > 1000
    assert plot_per_class(report, tmp_path / "p.png").stat().st_size > 1000
