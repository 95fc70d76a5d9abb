"""What the case page shows, from a stored report: evidence first, frames once, boxes scaled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from web.evidence import build


def _jpeg(path: Path, size: tuple[int, int] = (960, 540)) -> str:
    Image.new("RGB", size, (30, 30, 30)).save(path, "JPEG")
    return str(path)


def _report(tmp_path: Path) -> dict[str, Any]:
    about = _jpeg(tmp_path / "about.jpg")
    before = _jpeg(tmp_path / "before.jpg")
    after = _jpeg(tmp_path / "after.jpg")
    box = {"text": "1581FB71CL0FKKSRDVPS", "confidence": 58.0, "x": 96, "y": 54, "w": 480, "h": 27}
    return {
        "verdict": "rejected",
        "reasons": ["video_edited", "rc_serial_mismatch"],
        "video": {"duration_s": 40.0},
        "steps": [
            {
                "name": "rc_serial",
                "found": True,
                "start_s": 2.0,
                "end_s": 6.0,
                "confidence": 0.9,
                "evidence": [
                    {
                        "time_s": 3.0,
                        "image": about,
                        "boxes": [box, {**box, "confidence": 40.0}, {**box, "confidence": 0}],
                    }
                ],
            },
            {"name": "camera_view", "found": False, "start_s": 30.0, "end_s": 40.0, "confidence": 0.3},
        ],
        "findings": [
            {
                "reason": "video_edited",
                "message": "the phone clock jumped ahead from 10:41 to 10:58",
                "time_s": 26.5,
                "evidence": [
                    {"time_s": 26.0, "image": before, "note": "clock 10:41"},
                    {"time_s": 26.5, "image": after, "note": "clock 10:58"},
                ],
            }
        ],
    }


def test_each_reason_comes_first_with_its_frames(tmp_path: Path) -> None:
    model = build(_report(tmp_path))
    kinds = [(c.kind, c.code) for c in model.checks]
    assert kinds == [("reason", "video_edited"), ("reason", "rc_serial_mismatch"), ("step", "camera_view")]
    edited = model.checks[0]
    assert edited.label == "Video edited (cut or time jump)"
    assert (edited.frame.note, [f.note for f in edited.more]) == ("clock 10:41", ["clock 10:58"])
    # a reason without a finding of its own shows the frame of the step it is about
    assert model.checks[1].frame.title == "RC serial (About page)"
    # every frame once, the checks' frames first
    assert [f.note for f in model.frames][:2] == ["clock 10:41", "clock 10:58"]
    assert len({f.index for f in model.frames}) == len(model.frames) == 3
    # the timeline marks the findings where they happened
    assert [(m["label"], round(m["left"], 2)) for m in model.marks][0] == (
        "Video edited (cut or time jump)",
        66.25,
    )


def test_ocr_boxes_are_scaled_and_reads_kept_once(tmp_path: Path) -> None:
    about = build(_report(tmp_path)).checks[1].frame
    assert about.reads == [{"text": "1581FB71CL0FKKSRDVPS", "confidence": 58.0}]  # best of three reads
    first = about.boxes[0]
    assert (first["left"], first["top"], first["width"], first["height"]) == (10.0, 10.0, 50.0, 5.0)
    assert about.boxes[2]["confidence"] is None  # a 0 % read says nothing, so shows none
    assert (about.width, about.height) == (960, 540)


def test_an_empty_report_shows_nothing(tmp_path: Path) -> None:
    model = build(None)
    assert (model.checks, model.frames, model.steps, model.marks) == ([], [], [], [])
