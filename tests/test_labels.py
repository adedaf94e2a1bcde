import json
import re

import pytest

from pipeline.labels import data_digest, expand_files, load_labelled
from pipeline.types import StanceError

LABELS = ["welcoming", "conditional", "critical_of_us", "neutral"]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_loads_rows_with_document_and_defaults(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [
        {"id": "x1", "sentence": " We welcome the talks. ", "label": "welcoming", "document": "d1", "topic": "korea", "speaker": "A"},
        {"id": "x2", "sentence": "No comment.", "label": "neutral", "article_id": "art-7"},
    ])
    rows = load_labelled([path], LABELS)
    assert rows[0].sentence == "We welcome the talks."
    assert rows[0].document == "d1" and rows[0].topic == "korea"
    assert rows[1].document == "art-7" and rows[1].source == "authored" and rows[1].speaker is None


def test_unknown_label_names_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"id": "1", "sentence": "s", "label": "neutral"}, {"id": "2", "sentence": "s", "label": "happy"}])
    with pytest.raises(StanceError, match=r"a.jsonl:2: unknown label 'happy'"):
        load_labelled([path], LABELS)


def test_missing_sentence_and_duplicate_id_are_errors(tmp_path):
    missing = write_jsonl(tmp_path / "m.jsonl", [{"id": "1", "label": "neutral"}])
    with pytest.raises(StanceError, match="missing field 'sentence'"):
        load_labelled([missing], LABELS)
    dup = write_jsonl(tmp_path / "d.jsonl", [{"id": "1", "sentence": "a", "label": "neutral"}, {"id": "1", "sentence": "b", "label": "neutral"}])
    with pytest.raises(StanceError, match="duplicate id '1'"):
        load_labelled([dup], LABELS)


def test_csv_rows_and_digest_changes_with_content(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,sentence,label,document\n1,We hope so.,welcoming,d\n", encoding="utf-8")
    assert load_labelled([path], LABELS)[0].label == "welcoming"
    before = data_digest([path])
    path.write_text("id,sentence,label,document\n1,We hope so.,neutral,d\n", encoding="utf-8")
    assert data_digest([path]) != before


def test_glob_that_matches_nothing_is_an_error(tmp_path):
    with pytest.raises(StanceError, match="no labelled data file matches"):
        expand_files(["nothing/*.jsonl"], root=tmp_path)


def project_rows():
    from tests.conftest import REPO

    return load_labelled(expand_files(["data/authored/*.jsonl"], root=REPO), LABELS)


def test_project_data_is_valid_and_balanced():
    """The shipped corpus loads under the configured labels and no label falls under 20%."""
    from tests.conftest import REPO

    rows = project_rows()
    shares = {label: sum(r.label == label for r in rows) / len(rows) for label in LABELS}
    assert all(share >= 0.2 for share in shares.values()), shares
    seeds = load_labelled([REPO / "data" / "seeds.jsonl"], LABELS)
    assert {r.source for r in seeds} == {"seed"}


def test_the_natural_set_loads_and_shares_no_sentence_with_the_sets_never_trained_on():
    """data/natural is trained on; the wire sets' and the measuring corpus's sentences must not be in it."""
    from tests.conftest import CORPUS, REPO

    natural = load_labelled(expand_files(["data/natural/*.jsonl"], root=REPO), LABELS)
    assert len(natural) >= 1500 and {r.label for r in natural} == set(LABELS)
    assert len({r.id for r in natural}) == len(natural)
    held_out = [REPO / "data" / "wire" / "gold.jsonl", REPO / "data" / "wire2" / "gold.jsonl"]
    held_out += [CORPUS / "gold.jsonl"] if CORPUS.exists() else []
    lines = [line for path in held_out for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    never_trained = {json.loads(line)["sentence"].strip().casefold() for line in lines}
    assert not [r.sentence for r in natural if r.sentence.casefold() in never_trained]


# Surface features of a quoted sentence that say nothing about its stance. If the rows showing one of them lean
# to some labels, a model learns the feature instead of the stance (the data card's "cue balance" table).
STANCE_FREE_CUES = {
    "a country or institution as subject": re.compile(
        r"^(China|Beijing|Russia|Moscow|Iran|Tehran|Pyongyang|Japan|Tokyo|Seoul|The (Kremlin|Chinese|Russian|Iranian)\b)"
    ),
    "first person": re.compile(r"^(We|I|Our)\b"),
    "a piece starting in lower case": re.compile(r"^[a-z]"),
    "a piece ending with a comma": re.compile(r",\s*$"),
    "under 8 words": re.compile(r"^\W*(\S+\s+){0,6}\S+\s*$"),
}


@pytest.mark.parametrize("cue", STANCE_FREE_CUES)
def test_no_stance_free_cue_predicts_the_label(cue):
    """Every label is at least 10% of the training rows that show a stance-free surface feature."""
    showing = [r.label for r in project_rows() if STANCE_FREE_CUES[cue].search(r.sentence)]
    shares = {label: round(showing.count(label) / len(showing), 3) for label in LABELS}
    assert len(showing) >= 100 and min(shares.values()) >= 0.1, (len(showing), shares)
