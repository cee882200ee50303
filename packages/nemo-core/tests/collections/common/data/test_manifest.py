"""The one manifest reader: keys and legacy keys, relative paths, comma-separated lists, errors, skipping, emptiness."""

import json
import logging

import numpy as np
import pytest

from nemo.collections.common.data.manifest import (
    BadSampleTracker,
    ManifestError,
    item_iter,
    iter_manifest,
    manifest_paths,
    parse_line,
    read_manifest,
    read_transcripts,
)


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))
    return str(path)


def _wav(path, seconds=0.25, rate=16000):
    import soundfile

    soundfile.write(str(path), np.zeros(int(seconds * rate), np.float32), rate)
    return path


def test_parse_line_resolves_relative_paths_and_reads_every_key(tmp_path):
    manifest = str(tmp_path / "sub" / "m.json")
    line = json.dumps(
        {"audio_filepath": "a.wav", "duration": 1.5, "offset": 0.5, "text": "hi", "label": 3, "speaker": "anna",
         "orig_sample_rate": 8000, "pred_text": "high", "rate": 170}
    )  # fmt: skip
    entry = parse_line(line, manifest, 7)
    assert entry.audio_file == str(tmp_path / "sub" / "a.wav")
    assert (entry.duration, entry.offset, entry.text, entry.label, entry.speaker) == (1.5, 0.5, "hi", "3", "anna")
    assert (entry.orig_sr, entry.pred_text, entry.line, entry.location) == (8000, "high", 7, f"{manifest}:7")
    assert entry.fields["rate"] == 170  # other keys are kept
    assert entry.as_record() == {**json.loads(line), "audio_filepath": str(tmp_path / "sub" / "a.wav")}
    absolute = parse_line(json.dumps({"audio_filepath": "/x/a.wav", "duration": "2"}), manifest, 1)
    assert absolute.audio_file == "/x/a.wav" and absolute.duration == 2.0 and absolute.text is None
    assert absolute.offset == 0.0 and absolute.pred_text is None and absolute.label is None
    lean = parse_line(line, manifest, 7, keep_fields=False)  # what a large dataset holds per line
    assert dict(lean.fields) == {} and lean == entry  # fields are not part of equality


@pytest.mark.parametrize("key", ["audio_filename", "audio_file"])
def test_legacy_audio_keys(tmp_path, key):
    entry = parse_line(json.dumps({key: "a.wav", "duration": 1}), str(tmp_path / "m.json"), 1)
    assert entry.audio_file == str(tmp_path / "a.wav")


def test_transcript_sources_in_nemo_v1_order(tmp_path):
    (tmp_path / "t.txt").write_text("hello\nthere\n")
    manifest = str(tmp_path / "m.json")
    from_file = parse_line(json.dumps({"audio_filepath": "a.wav", "duration": 1, "text_filepath": "t.txt",
                                       "normalized_text": "no"}), manifest, 1)  # fmt: skip
    assert from_file.text.strip() == "hello there"
    normalized = parse_line(json.dumps({"audio_filepath": "a.wav", "duration": 1, "normalized_text": "yes"}), manifest, 1)
    assert normalized.text == "yes"
    text_first = parse_line(json.dumps({"audio_filepath": "a.wav", "duration": 1, "text": "t", "text_filepath": "x"}),
                            manifest, 1)  # fmt: skip
    assert text_first.text == "t"


def test_duration_modes():
    line = json.dumps({"audio_filepath": "/a.wav"})
    assert parse_line(line, "m.json", 1, duration="optional").duration is None
    with pytest.raises(ManifestError, match=r"m.json:1: missing key 'duration': expected a number of seconds >= 0"):
        parse_line(line, "m.json", 1)
    with pytest.raises(ValueError, match="duration must be one of"):
        parse_line(line, "m.json", 1, duration="sometimes")


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", r"not valid JSON \(.*\): expected one JSON object per line, got '\{not json'"),
        ("[1, 2]", r"expected a JSON object, got list '\[1, 2\]'"),
        ('{"duration": 1}', r"missing key 'audio_filepath': expected a non-empty string path, got a line with keys"),
        ('{"audio_filepath": 5, "duration": 1}', "'audio_filepath' must be a non-empty string path, got 5"),
        ('{"audio_filepath": "a.wav"}', "missing key 'duration': expected a number of seconds >= 0"),
        ('{"audio_filepath": "a.wav", "duration": "long"}', "'duration' must be a finite number of seconds >= 0, got 'long'"),
        ('{"audio_filepath": "a.wav", "duration": -1}', "'duration' must be a finite number of seconds >= 0, got -1"),
        ('{"audio_filepath": "a.wav", "duration": true}', "'duration' must be a finite number of seconds >= 0, got True"),
        ('{"audio_filepath": "a.wav", "duration": 1, "offset": "x"}', "'offset' must be a finite number"),
        ('{"audio_filepath": "a.wav", "duration": 1, "text": 5}', "'text' must be a string, got 5"),
        ('{"audio_filepath": "a.wav", "duration": 1, "pred_text": [1]}', r"'pred_text' must be a string, got \[1\]"),
        ('{"audio_filepath": "a.wav", "duration": 1, "orig_sample_rate": 0}', "'orig_sample_rate' must be a positive"),
        ('{"audio_filepath": "a.wav", "duration": 1, "text_filepath": "gone.txt"}', "cannot read 'text_filepath'"),
    ],
)  # fmt: skip
def test_bad_lines_name_the_manifest_and_line_with_expected_and_got(line, message):
    with pytest.raises(ManifestError, match=f"^m.json:4: {message}") as caught:
        parse_line(line, "m.json", 4)
    assert caught.value.reason == "malformed line"


def test_iter_manifest_spans_comma_separated_manifests_and_skips_blank_lines(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text('{"audio_filepath": "1.wav", "duration": 1}\n\n{"audio_filepath": "2.wav", "duration": 2}\n')
    b.write_text('oops\n{"audio_filepath": "3.wav", "duration": 3}\n')
    items = list(iter_manifest(f"{a}, {b}"))
    assert [getattr(i, "line", None) for i in items] == [1, 3, None, 2]
    assert isinstance(items[2], ManifestError) and str(items[2]).startswith(f"{b}:1: ")
    assert item_iter is iter_manifest
    assert manifest_paths([str(a), b]) == [str(a), str(b)]


def test_manifest_paths_errors_name_the_key_and_value(tmp_path):
    a = _write(tmp_path / "a.json", [{"audio_filepath": "1.wav", "duration": 1}])
    with pytest.raises(FileNotFoundError, match=r"manifest file '.*missing.json' does not exist \(from train_ds"):
        manifest_paths(f"{a},{tmp_path / 'missing.json'}", key="train_ds.manifest_filepath")
    with pytest.raises(FileNotFoundError, match="is a directory"):
        manifest_paths(str(tmp_path))
    with pytest.raises(ManifestError, match=r"train_ds.manifest_filepath is '\?\?\?' \(a mandatory value that was never"):
        manifest_paths("???", key="train_ds.manifest_filepath")
    with pytest.raises(ManifestError, match="manifest_filepath is None: expected a manifest path"):
        manifest_paths(None)
    with pytest.raises(ManifestError, match="names no manifest file"):
        manifest_paths(" , ")


def test_read_manifest_filters_checks_converts_and_limits(tmp_path, caplog):
    _wav(tmp_path / "a.wav", 0.25)
    _wav(tmp_path / "b.wav", 0.5)
    rows = [{"audio_filepath": "a.wav", "text": "a"}, {"audio_filepath": "b.wav", "duration": 0.5, "text": "b"},
            {"audio_filepath": "a.wav", "duration": 3.0, "text": "long"}]  # fmt: skip
    path = _write(tmp_path / "m.json", rows)
    entries = read_manifest(path, duration="from_audio", check_audio=True)
    assert [e.duration for e in entries] == [0.25, 0.5, 3.0]  # from the header when absent, else as written
    with caplog.at_level(logging.INFO):
        kept = read_manifest(path, duration="from_audio", max_duration=1.0, convert=lambda e: e.text, what="ds")
    assert kept == ["a", "b"]
    assert any("ds: 1 entry (3.0 s) outside the duration limits" in r.getMessage() for r in caplog.records)
    assert len(read_manifest(path, duration="optional", max_number=2)) == 2

    def refuse_b(entry):
        if entry.text == "b":
            raise entry.error("b is not allowed", "forbidden")
        return entry

    with pytest.raises(ManifestError, match=r"m.json:2: b is not allowed"):
        read_manifest(path, duration="optional", convert=refuse_b)


def test_check_audio_names_missing_and_unreadable_files_with_the_reason(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"definitely not audio")
    path = _write(tmp_path / "m.json", [{"audio_filepath": "gone.wav", "duration": 1}])
    with pytest.raises(ManifestError, match=r"m.json:1: missing audio file '.*gone.wav': it does not exist") as caught:
        read_manifest(path, check_audio=True)
    assert caught.value.reason == "missing audio file"
    path = _write(tmp_path / "m.json", [{"audio_filepath": "bad.wav", "duration": 1}])
    with pytest.raises(ManifestError, match=r"m.json:1: unreadable audio file '.*bad.wav': not a readable audio file \("):
        read_manifest(path, check_audio=True)


def test_skip_bad_lines_counts_by_reason_in_one_warning(tmp_path, caplog):
    _wav(tmp_path / "ok.wav")
    good = {"audio_filepath": "ok.wav", "duration": 0.25, "text": "a"}
    path = _write(tmp_path / "m.json", [good, "{oops", {**good, "audio_filepath": "gone.wav"}, {**good, "text": None},
                                        good])  # fmt: skip
    with caplog.at_level(logging.WARNING):
        entries = read_manifest(path, check_audio=True, need_text=True, skip_bad_lines=True)
    assert [e.line for e in entries] == [1, 5]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "skipped 3 bad sample(s)" in warnings[0]
    assert "1 malformed line, 1 missing audio file, 1 missing transcript" in warnings[0]


def test_an_empty_selection_is_refused_saying_why(tmp_path):
    empty = _write(tmp_path / "empty.json", [])
    with pytest.raises(ManifestError, match=r"ASR manifest .*empty.json: no lines \(the manifest is empty\); expected at"):
        read_manifest(empty, what="ASR manifest")
    (tmp_path / "blank.json").write_text("\n\n")
    with pytest.raises(ManifestError, match="no lines"):
        read_manifest(str(tmp_path / "blank.json"))
    path = _write(tmp_path / "m.json", [{"audio_filepath": "a.wav", "duration": 9.0}, "{bad"])
    with pytest.raises(ManifestError, match=r"no usable entry \(2 line\(s\) read; 1 outside the duration limits "
                                            r"\[None, 5.0\] s; 1 bad line\(s\) skipped: 1 malformed line\)") as caught:
        read_manifest(path, max_duration=5.0, skip_bad_lines=True)
    assert caught.value.reason == "empty"
    assert read_manifest(empty, allow_empty=True) == []


def test_tracker_raises_or_counts_into_one_warning(caplog):
    with pytest.raises(ManifestError, match="boom"):
        BadSampleTracker(skip=False, what="x").reject(ManifestError("boom"))
    tracker = BadSampleTracker(skip=True, what="ds")
    for reason in ("empty transcript", "empty transcript", "missing audio file"):
        tracker.reject(ManifestError(f"m:1: {reason}", reason))
    with caplog.at_level(logging.WARNING):
        tracker.warn()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and tracker.count == 3
    assert "2 empty transcript, 1 missing audio file" in warnings[0].getMessage()


def test_read_transcripts_spans_manifests_and_names_a_line_without_text(tmp_path):
    a = _write(tmp_path / "a.json", [{"audio_filepath": "x.wav", "duration": 1, "text": "one two"}, ""])
    b = _write(tmp_path / "b.json", [{"audio_filepath": "y.wav", "text": "three"}])  # no duration needed
    assert read_transcripts(f"{a},{b}") == ["one two", "three"]
    _write(tmp_path / "b.json", [{"audio_filepath": "y.wav", "text": "three"}, {"audio_filepath": "z.wav"}])
    with pytest.raises(ManifestError, match=r"b.json:2: missing transcript: expected one of 'text', 'text_filepath'"):
        read_transcripts([a, b])
