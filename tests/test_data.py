from pipeline.data import build_splits, grouped_folds, subsample
from pipeline.labels import LabelledSentence

LABELS = ["welcoming", "conditional", "critical_of_us", "neutral"]


def make_rows(documents=40, per_document=4):
    return [
        LabelledSentence(f"{d}-{i}", f"sentence {d} {i}", LABELS[(d + i) % 4], f"doc{d}", "authored", "korea", None)
        for d in range(documents)
        for i in range(per_document)
    ]


def documents_of(split):
    return set(split["document"])


def test_splits_leak_no_document_and_cover_every_row():
    splits = build_splits(make_rows(), LABELS, 0.15, 0.15, seed=1)
    train, val, test = (documents_of(splits[s]) for s in ("train", "validation", "test"))
    assert not (train & val) and not (train & test) and not (val & test)
    assert sum(len(splits[s]) for s in splits) == 160
    assert len(splits["test"]) > 0 and len(splits["validation"]) > 0


def test_splits_are_deterministic_under_the_seed_and_change_with_it():
    first = build_splits(make_rows(), LABELS, 0.15, 0.15, seed=7)
    again = build_splits(make_rows(), LABELS, 0.15, 0.15, seed=7)
    other = build_splits(make_rows(), LABELS, 0.15, 0.15, seed=8)
    assert first["test"]["id"] == again["test"]["id"]
    assert first["test"]["id"] != other["test"]["id"]


def test_test_split_keeps_every_label():
    test = build_splits(make_rows(), LABELS, 0.15, 0.15, seed=3)["test"]
    assert set(test["label"]) == {0, 1, 2, 3}


def test_grouped_folds_partition_documents():
    rows = make_rows()
    folds = grouped_folds(rows, LABELS, 5, seed=0)
    seen = []
    for train_idx, test_idx in folds:
        assert not {rows[i].document for i in train_idx} & {rows[i].document for i in test_idx}
        seen.extend(test_idx)
    assert sorted(seen) == list(range(len(rows)))


def test_subsample_keeps_whole_documents():
    kept = subsample(make_rows(), 10, seed=0)
    assert 10 <= len(kept) < 16
    assert all(len([r for r in kept if r.document == d]) == 4 for d in {r.document for r in kept})
