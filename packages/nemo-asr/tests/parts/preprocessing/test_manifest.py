import json
import logging

import pytest

from nemo.collections.asr.parts.preprocessing.manifest import (
    BadSampleTracker,
    ManifestError,
    item_iter,
    manifest_paths,
    parse_line,
    read_transcripts,
)


def test_parse_line_resolves_relative_paths_and_reads_optional_keys(tmp_path):
    manifest = str(tmp_path / "sub" / "m.json")
    line = json.dumps({"audio_filename": "a.wav", "duration": 1.5, "offset": 0.5, "text": "hi", "label": 3})
    entry = parse_line(line, manifest, 7)
    assert entry.audio_file == str(tmp_path / "sub" / "a.wav")
    assert (entry.duration, entry.offset, entry.text, entry.label, entry.line) == (1.5, 0.5, "hi", "3", 7)
    assert entry.location == f"{manifest} line 7"
    absolute = parse_line(json.dumps({"audio_filepath": "/x/a.wav", "duration": 1}), manifest, 1)
    assert absolute.audio_file == "/x/a.wav" and absolute.text is None and absolute.offset == 0.0


def test_text_filepath_is_read(tmp_path):
    (tmp_path / "t.txt").write_text("hello\nthere\n")
    entry = parse_line(json.dumps({"audio_filepath": "a.wav", "duration": 1, "text_filepath": "t.txt"}),
                       str(tmp_path / "m.json"), 1)  # fmt: skip
    assert entry.text.strip() == "hello there"


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"duration": 1}', "missing required key 'audio_filepath'"),
        ('{"audio_filepath": "a.wav"}', "missing required key 'duration'"),
        ('{"audio_filepath": "a.wav", "duration": "long"}', "'duration' must be a number"),
        ('{"audio_filepath": "a.wav", "duration": -1}', "finite number >= 0"),
        ('{"audio_filepath": "a.wav", "duration": 1, "text": 5}', "'text' must be a string"),
    ],
)
def test_bad_lines_name_the_manifest_and_line(line, message):
    with pytest.raises(ManifestError, match=f"m.json line 4: .*{message}"):
        parse_line(line, "m.json", 4)


def test_item_iter_spans_comma_separated_manifests_and_skips_blank_lines(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text('{"audio_filepath": "1.wav", "duration": 1}\n\n{"audio_filepath": "2.wav", "duration": 2}\n')
    b.write_text('oops\n{"audio_filepath": "3.wav", "duration": 3}\n')
    items = list(item_iter(f"{a},{b}"))
    assert [getattr(i, "line", None) for i in items] == [1, 3, None, 2]
    assert isinstance(items[2], ManifestError) and f"{b} line 1" in str(items[2])
    assert manifest_paths([str(a), str(b)]) == [str(a), str(b)]
    with pytest.raises(FileNotFoundError, match="missing.json"):
        manifest_paths(f"{a},{tmp_path / 'missing.json'}")


def test_tracker_raises_or_counts_into_one_warning(caplog):
    with pytest.raises(ManifestError, match="boom"):
        BadSampleTracker(skip=False, what="x").reject(ManifestError("boom"))
    tracker = BadSampleTracker(skip=True, what="ds")
    for reason in ("empty transcript", "empty transcript", "missing audio file"):
        tracker.reject(ManifestError(f"m line 1: {reason}", reason))
    with caplog.at_level(logging.WARNING):
        tracker.warn()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and tracker.count == 3
    assert "skipped 3 bad sample(s)" in warnings[0].getMessage()
    assert "2 empty transcript, 1 missing audio file" in warnings[0].getMessage()


def test_read_transcripts_spans_manifests_and_names_a_line_without_text(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"audio_filepath": "x.wav", "duration": 1, "text": "one two"}) + "\n\n")
    b.write_text(json.dumps({"audio_filepath": "y.wav", "duration": 1, "text": "three"}) + "\n")
    assert read_transcripts(f"{a},{b}") == ["one two", "three"]
    b.write_text(b.read_text() + json.dumps({"audio_filepath": "z.wav", "duration": 1}) + "\n")
    with pytest.raises(ManifestError, match=r"b.json line 2: no 'text'"):
        read_transcripts([str(a), str(b)])
