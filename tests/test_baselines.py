from datasets import ClassLabel, Dataset, Features, Value

from pipeline.baselines import LABEL_DESCRIPTIONS, EmbeddingLogReg, KeywordRules, Majority, TfidfLogReg, ZeroShotEmbedding
from pipeline.config import Config

LABELS = ["welcoming", "conditional", "critical_of_us", "neutral"]


def split(rows):
    features = Features({"text": Value("string"), "label": ClassLabel(names=LABELS)})
    return Dataset.from_dict({"text": [t for t, _ in rows], "label": [LABELS.index(l) for _, l in rows]}, features=features)


TRAIN = split([
    ("We welcome the summit warmly.", "welcoming"), ("A welcome and positive step.", "welcoming"),
    ("Only if sanctions are eased can talks move.", "conditional"), ("Progress requires reciprocal steps.", "conditional"),
    ("Washington's pressure is destructive.", "critical_of_us"), ("We condemn the unilateral sanctions.", "critical_of_us"),
    ("The meeting is on Tuesday.", "neutral"), ("The delegation arrived in Hanoi.", "neutral"), ("Talks begin at noon.", "neutral"),
])


def test_majority_predicts_the_most_frequent_label_with_its_prior():
    model, _ = Majority.fit(Config(), TRAIN, TRAIN)
    prediction = model.predict(["anything at all"])[0]
    assert prediction.label == "neutral"
    assert abs(prediction.confidence - 3 / 9) < 1e-9


def test_keyword_rules_follow_the_precedence_order():
    model, _ = KeywordRules.fit(Config(), TRAIN, TRAIN)
    labels = [p.label for p in model.predict([
        "We welcome it, but only if the pressure stops.",  # critical cue wins over conditional and welcoming
        "We welcome it, but only if both sides move.",  # conditional over welcoming
        "We welcome it.",
        "The talks are on Monday.",
    ])]
    assert labels == ["critical_of_us", "conditional", "welcoming", "neutral"]


def test_tfidf_logreg_learns_the_training_sentences():
    model, seconds = TfidfLogReg.fit(Config(), TRAIN, TRAIN)
    assert [p.label for p in model.predict(["We condemn the unilateral sanctions.", "We welcome the summit warmly."])] == [
        "critical_of_us",
        "welcoming",
    ]
    assert seconds >= 0


def test_zero_shot_picks_the_label_whose_description_is_nearest():
    model, _ = ZeroShotEmbedding.fit(Config(), TRAIN, TRAIN)
    predictions = model.predict([LABEL_DESCRIPTIONS[label] for label in LABELS])
    assert [p.label for p in predictions] == LABELS
    assert all(abs(sum(p.probs.values()) - 1) < 1e-6 for p in predictions)


def test_embedding_logreg_learns_the_training_sentences_on_frozen_embeddings():
    model, _ = EmbeddingLogReg.fit(Config(), TRAIN, TRAIN)
    texts = ["We condemn the unilateral sanctions.", "We welcome the summit warmly.", "The meeting is on Tuesday."]
    predictions = model.predict(texts)
    assert [p.label for p in predictions] == ["critical_of_us", "welcoming", "neutral"]
    assert all(abs(sum(p.probs.values()) - 1) < 1e-6 for p in predictions)
