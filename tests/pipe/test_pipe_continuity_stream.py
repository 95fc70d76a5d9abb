"""Container tags naming an editor, and holes in the frame times (real ffmpeg for the tags)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.continuity.stream import container_tags, editors_named, frame_gaps


def _tagged(tmp_path: Path, **tags: str) -> Path:
    out = tmp_path / "tagged.mp4"
    cmd = [
        "ffmpeg",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x90:rate=10:duration=1",
    ]
    for k, v in tags.items():
        cmd += ["-metadata", f"{k}={v}"]
    subprocess.run([*cmd, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def test_editor_in_the_tags_is_named(tmp_path: Path) -> None:
    tags = container_tags(_tagged(tmp_path, comment="Made with CapCut"))
    assert editors_named(tags) == ["format:comment: CapCut"]


def test_plain_encoder_tags_name_no_editor(tmp_path: Path) -> None:
    tags = container_tags(_tagged(tmp_path, title="my drone check"))
    assert tags and editors_named(tags) == []


def test_editor_names_match_whole_words_only() -> None:
    assert editors_named({"format:title": "Vsplicer test"}) == []
    assert editors_named({"format:encoder": "iMovie 10.3"}) == ["format:encoder: iMovie"]


def test_unreadable_file_has_no_tags(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video")
    assert container_tags(bad) == {}


def test_frame_gaps() -> None:
    times = [0.0, 0.25, 0.5, 0.75, 2.5, 2.75]
    gaps = frame_gaps(times)
    assert [(g.start_s, g.end_s) for g in gaps] == [(0.75, 2.5)]
    assert frame_gaps([0.0, 0.5, 1.0]) == []
