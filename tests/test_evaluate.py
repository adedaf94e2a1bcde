from pipeline.evaluate import evaluate_predictions, format_table, macro_f1_gain, plot_confusion, plot_per_class
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


def _mostly_right(n, every):
    """``n`` sentences cycling through the labels; every ``every``-th one predicted wrong."""
    gold = [LABELS[i % 4] for i in range(n)]
    return gold, [pred(LABELS[(i + 1) % 4] if i % every == 0 else g) for i, g in enumerate(gold)]


def test_bootstrap_interval_brackets_macro_f1_and_narrows_with_more_sentences():
    widths = []
    for n in (40, 400):
        gold, predictions = _mostly_right(n, every=5)
        report = evaluate_predictions(["s"] * n, gold, predictions, LABELS, "set", bootstrap=500, seed=3)
        m = report.metrics
        assert m["set_macro_f1_low"] < m["set_macro_f1"] < m["set_macro_f1_high"]
        assert f"[{m['set_macro_f1_low']:.3f}, {m['set_macro_f1_high']:.3f}]" in format_table(report)
        widths.append(m["set_macro_f1_high"] - m["set_macro_f1_low"])
    assert widths[1] < widths[0] / 2


def test_bootstrap_is_reproducible_under_the_seed_and_off_at_zero():
    gold, predictions = _mostly_right(60, every=4)
    runs = [evaluate_predictions(["s"] * 60, gold, predictions, LABELS, "t", bootstrap=200, seed=s).metrics for s in (1, 1, 2)]
    assert runs[0]["t_macro_f1_low"] == runs[1]["t_macro_f1_low"]
    assert runs[0]["t_macro_f1_low"] != runs[2]["t_macro_f1_low"]
    assert "t_macro_f1_low" not in evaluate_predictions(["s"] * 60, gold, predictions, LABELS, "t").metrics


def _labels_of(predictions):
    return [p.label for p in predictions]


def test_gain_over_a_reference_is_zero_for_the_same_predictions_and_clear_for_a_much_better_model():
    gold, better = _mostly_right(300, every=10)
    _, worse = _mostly_right(300, every=2)
    same = macro_f1_gain(gold, _labels_of(better), _labels_of(better), LABELS, 300, 0.95, seed=0)
    assert same == (0.0, 0.0, 0.0)
    gain, low, high = macro_f1_gain(gold, _labels_of(better), _labels_of(worse), LABELS, 300, 0.95, seed=0)
    single = [evaluate_predictions(["s"] * 300, gold, p, LABELS, "x").metrics["x_macro_f1"] for p in (better, worse)]
    assert abs(gain - (single[0] - single[1])) < 1e-12
    assert 0 < low < gain < high


def test_gain_interval_is_paired_so_a_small_consistent_gain_is_told_apart():
    """Two models that differ on 4 of 400 sentences: each one's own interval is wide, the paired gain's is not."""
    gold, reference = _mostly_right(400, every=5)
    candidate = [pred(g) if i in (0, 100, 200, 300) else p for i, (g, p) in enumerate(zip(gold, reference))]
    gain, low, high = macro_f1_gain(gold, _labels_of(candidate), _labels_of(reference), LABELS, 500, 0.95, seed=1)
    alone = evaluate_predictions(["s"] * 400, gold, reference, LABELS, "r", bootstrap=500, seed=1).metrics
    assert 0 < gain < 0.02
    assert low >= 0
    assert high - low < (alone["r_macro_f1_high"] - alone["r_macro_f1_low"]) / 3
