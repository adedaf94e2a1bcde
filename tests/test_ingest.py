"""Bad input, one case per test: each file is skipped with a reason or read correctly, and the batch goes on."""
import codecs
import json
import os
from pathlib import Path
from typing import ClassVar

import pytest

from pipeline.config import ExtractionConfig
from pipeline.ingest import Skipped, decode, read_articles
from pipeline.types import Prediction, StanceError

QUOTED = 'The minister spoke on Monday.\n\n"We welcome the talks," Foreign Minister Anna Berg said.\n'
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x02\x00\x00\x00\x90\x91h6"


class StubPredictor:
    """Labels every sentence 'neutral': scoring tests here are about input handling, not the model."""

    labels: ClassVar[list[str]] = ["welcoming", "neutral"]

    def predict(self, texts):
        return [Prediction("neutral", 1.0, {"welcoming": 0.0, "neutral": 1.0}) for _ in texts]


def read(paths):
    skipped: list[Skipped] = []
    articles = list(read_articles([str(p) for p in paths], skipped.append))
    return articles, skipped


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def score(inputs, output, **kwargs):
    from pipeline.score import score_inputs

    return score_inputs([str(p) for p in inputs], output, StubPredictor(), ExtractionConfig(), chunk_articles=2, progress=False, **kwargs)


def rows(output: Path) -> list[dict]:
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n   \n"], ids=["empty", "whitespace-only"])
def test_empty_or_blank_file_is_skipped_and_the_rest_is_read(tmp_path, content):
    bad = write(tmp_path / "a.txt", content)
    good = write(tmp_path / "b.txt", QUOTED)
    articles, skipped = read([bad, good])
    assert [a.id for a in articles] == ["b"]
    assert skipped == [Skipped(str(bad), "empty file")]


def test_png_renamed_txt_is_skipped_as_binary(tmp_path):
    bad = write(tmp_path / "photo.txt", PNG + bytes(range(256)) * 4)
    articles, skipped = read([bad])
    assert articles == []
    assert skipped == [Skipped(str(bad), "binary file, not text")]


def test_binary_without_known_magic_is_skipped(tmp_path):
    bad = write(tmp_path / "blob.txt", bytes(range(1, 32)) * 200)
    articles, skipped = read([bad])
    assert articles == [] and skipped[0].reason == "binary file, not text"


def test_latin1_text_is_decoded_and_its_encoding_recorded(tmp_path):
    text = "Le ministre a déclaré : « Nous saluons cette décision, c'est très important. »"
    (article,), skipped = read([write(tmp_path / "fr.txt", text.encode("latin-1"))])
    assert skipped == []
    assert article.text == text  # cp1250, the detector's first guess here, would turn "très" into "třs"
    assert article.encoding == "cp1252"


def test_windows_1252_curly_quotes_are_decoded_and_the_encoding_recorded(tmp_path):
    text = "The minister said: \u201cWe welcome this decision \u2014 it\u2019s a step forward.\u201d The talks resume."
    (article,), _ = read([write(tmp_path / "w.txt", text.encode("cp1252"))])
    assert article.text == text
    assert article.encoding == "cp1252"


def test_utf16_with_bom(tmp_path):
    (article,), _ = read([write(tmp_path / "u16.txt", codecs.BOM_UTF16_LE + QUOTED.encode("utf-16-le"))])
    assert article.text == QUOTED
    assert article.encoding == "utf-16"


def test_utf8_bom_is_not_part_of_the_text(tmp_path):
    (article,), _ = read([write(tmp_path / "bom.txt", codecs.BOM_UTF8 + QUOTED.encode("utf-8"))])
    assert article.text == QUOTED  # offsets index into text: a leading U+FEFF would shift them all
    assert article.encoding == "utf-8-sig"
    assert article.title == "The minister spoke on Monday."


def test_nul_bytes_are_dropped(tmp_path):
    (article,), skipped = read([write(tmp_path / "nul.txt", QUOTED.encode().replace(b"minister", b"mini\x00ster"))])
    assert skipped == []
    assert article.text == QUOTED


def test_decode_never_returns_nul_for_bom_input():
    text, _ = decode(codecs.BOM_UTF8 + b"a\x00b")
    assert text == "ab"


def test_twenty_megabyte_single_line_is_scored(tmp_path):
    filler = "The delegation met again and no statement followed. " * 400_000
    line = filler + '"We welcome the talks," Anna Berg said.'
    source = write(tmp_path / "huge.txt", line)
    assert source.stat().st_size > 20_000_000
    output = tmp_path / "out.jsonl"
    summary = score([source], output)
    (row,) = rows(output)
    assert summary.articles == 1 and summary.skipped == []
    assert line[row["start"] : row["end"]] == row["sentence"] == "We welcome the talks,"


def test_article_without_quotes_gives_zero_rows_not_an_error(tmp_path):
    source = write(tmp_path / "plain.txt", "The ministers met on Monday.\n\nNo statement was issued afterwards.\n")
    output = tmp_path / "out.jsonl"
    summary = score([source], output)
    assert (summary.articles, summary.sentences, summary.skipped) == (1, 0, [])
    assert output.exists() and output.read_text() == ""


def test_jsonl_malformed_line_is_reported_with_its_number_and_the_others_kept(tmp_path):
    lines = [json.dumps({"id": "a", "text": QUOTED}), '{"id": "b", "text": "unterminated', json.dumps({"id": "c", "text": QUOTED + "More."})]
    source = write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")
    articles, skipped = read([source])
    assert [a.id for a in articles] == ["a", "c"]
    assert [s.path for s in skipped] == [f"{source}:2"]
    assert skipped[0].reason.startswith("malformed JSON")


@pytest.mark.parametrize("row", [{"id": "x"}, {"id": "x", "text": None}, {"id": "x", "text": "   "}, ["not", "an", "object"]])
def test_jsonl_row_without_text_is_reported(tmp_path, row):
    source = write(tmp_path / "feed.jsonl", json.dumps(row) + "\n" + json.dumps({"id": "ok", "text": QUOTED}) + "\n")
    articles, skipped = read([source])
    assert [a.id for a in articles] == ["ok"]
    assert skipped == [Skipped(f"{source}:1", "row has no 'text' field")]


def test_folder_walk_finds_nested_files_and_notes_unsupported_ones(tmp_path):
    write(tmp_path / "in" / "a.txt", QUOTED)
    write(tmp_path / "in" / "deep" / "deeper" / "b.jsonl", json.dumps({"id": "b", "text": QUOTED + "B."}) + "\n")
    write(tmp_path / "in" / "report.pdf", b"%PDF-1.4")
    write(tmp_path / "in" / ".DS_Store", b"\x00\x01")
    articles, skipped = read([tmp_path / "in"])
    assert [a.id for a in articles] == ["a", "b"]
    assert len(skipped) == 1
    assert skipped[0].path == str(tmp_path / "in" / "report.pdf")
    assert "unsupported file type '.pdf'" in skipped[0].reason


def test_symlink_loop_is_cut_and_reported(tmp_path):
    write(tmp_path / "in" / "sub" / "a.txt", QUOTED)
    (tmp_path / "in" / "sub" / "back").symlink_to(tmp_path / "in", target_is_directory=True)
    articles, skipped = read([tmp_path / "in"])
    assert [a.id for a in articles] == ["a"]
    assert [s.reason for s in skipped] == ["symlink loop: folder already visited"]


def test_unreadable_file_is_skipped_with_the_reason(tmp_path, monkeypatch):
    locked = write(tmp_path / "locked.txt", QUOTED)
    good = write(tmp_path / "good.txt", QUOTED + "Other.")
    real_read = Path.read_bytes

    def read_bytes(self):  # tests run as root, where chmod 000 does not stop a read
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    articles, skipped = read([locked, good])
    assert [a.id for a in articles] == ["good"]
    assert skipped == [Skipped(str(locked), "cannot read file (Permission denied)")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode; the monkeypatched test covers it")
def test_chmod_000_file_is_skipped(tmp_path):
    locked = write(tmp_path / "locked.txt", QUOTED)
    locked.chmod(0)
    articles, skipped = read([locked])
    assert articles == [] and skipped == [Skipped(str(locked), "cannot read file (Permission denied)")]


def test_missing_input_path_stops_the_batch(tmp_path):
    with pytest.raises(StanceError, match="nowhere.txt: input path does not exist"):
        read([tmp_path / "nowhere.txt"])


def test_output_in_a_missing_folder_fails_before_any_work(tmp_path):
    source = write(tmp_path / "a.txt", QUOTED)
    output = tmp_path / "no" / "such" / "out.jsonl"
    with pytest.raises(StanceError, match="output folder .*no/such does not exist"):
        score([source], output)
    assert not (tmp_path / "no").exists()


def test_same_article_twice_is_scored_once_and_reported(tmp_path):
    first = write(tmp_path / "a.txt", QUOTED)
    copy = write(tmp_path / "mirror" / "a-copy.txt", QUOTED)
    output = tmp_path / "out.jsonl"
    summary = score([first, copy], output)
    assert summary.articles == 1
    assert {r["article_id"] for r in rows(output)} == {"a"}
    assert summary.skipped == [Skipped(str(copy), f"duplicate of {first}; scored once")]
