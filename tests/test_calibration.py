import numpy as np

from pipeline.calibration import expected_calibration_error, fit_temperature


def test_ece_is_zero_when_confidence_matches_accuracy_and_large_when_overconfident():
    confidences = np.array([0.8] * 10)
    assert expected_calibration_error(confidences, np.array([1] * 8 + [0] * 2)) < 1e-9
    assert abs(expected_calibration_error(np.array([0.99] * 10), np.array([1] * 5 + [0] * 5)) - 0.49) < 1e-9


def test_temperature_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 400)
    logits = rng.normal(size=(400, 3))
    logits[np.arange(400), labels] += 1.0
    overconfident = logits * 8  # right 60-70% of the time but nearly certain
    assert fit_temperature(overconfident, labels) > 3
    assert fit_temperature(np.zeros((0, 3)), np.zeros(0, dtype=int)) == 1.0
