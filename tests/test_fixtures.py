"""The committed fixture recordings decode, match their manifest and can be regenerated."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.fixture_videos import ensure_twin

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = ROOT / "fixtures" / "videos"
MANIFEST = json.loads((VIDEOS / "manifest.json").read_text())
CASES = MANIFEST["cases"]
READABLE = [c for c in CASES if c.get("readable", True)]
UNREADABLE = [c for c in CASES if not c.get("readable", True)]
DETERMINISM_CASE = "rej_flight_status_not_found"


def _count_frames(path: Path) -> tuple[int, cv2.VideoCapture]:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.grab():
        n += 1
    return n, cap


@pytest.mark.parametrize("case", READABLE, ids=[c["id"] for c in READABLE])
def test_readable_fixture_matches_manifest(case):
    path = VIDEOS / case["file"]
    assert path.exists()
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == case["width"]
    assert int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == case["height"]
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    frames, cap = _count_frames(path)
    cap.release()
    assert frames == case["frames"]
    if case.get("vfr"):
        # frames missing from the nominal grid: fewer frames than duration x nominal rate
        assert 0.80 < frames / (case["duration"] * case["fps"]) < 0.97
    else:
        assert fps == pytest.approx(case["fps"], abs=0.01)
        assert frames / fps == pytest.approx(case["duration"], abs=0.1)
    # the timeline covers the whole video
    tl = case["timeline"]
    assert tl[0]["start_s"] == 0
    assert tl[-1]["end_s"] == pytest.approx(case["duration"], abs=0.1)


@pytest.mark.parametrize("case", UNREADABLE, ids=[c["id"] for c in UNREADABLE])
def test_unreadable_fixture_does_not_decode(case):
    path = VIDEOS / case["file"]
    assert path.exists() and path.stat().st_size > 0
    assert case["duration"] == 0
    cap = cv2.VideoCapture(str(path))
    frames = 0
    if cap.isOpened():
        while cap.grab():
            frames += 1
    cap.release()
    assert frames == 0
    res = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", str(path)], capture_output=True, text=True
    )
    assert res.returncode != 0


def test_manifest_covers_apps_and_reasons():
    vocab = MANIFEST["reason_vocabulary"]
    assert len(vocab) == 12
    assert {c["app"] for c in CASES} == {"dji_fly", "dji_go4"}
    covered = {r for c in CASES for r in c["expected_reasons"]}
    assert covered == set(vocab)
    for c in CASES:
        assert set(c["expected_reasons"]) <= set(vocab)
        if c["expected_verdict"] == "rejected":
            assert c["expected_reasons"]
        else:  # approved, or needs_review where the evidence allows no sure reason
            assert c["expected_verdict"] in ("approved", "needs_review") and c["expected_reasons"] == []
        assert {"model", "aircraft_sn", "rc_sn"} <= set(c["product"])
    assert any(c["id"] == "ok_fly_1080p30" and c["expected_verdict"] == "approved" for c in CASES)


@pytest.mark.slow
def test_generator_is_deterministic(tmp_path):
    """Regenerating a fixture gives the committed recording: the same frames, each equal within
    rounding, and the same manifest entry. Not the same bytes: a newer NumPy or Pillow may round
    a blended frame one way or the other (seen: 21 frames of a fade, up to 11 grey levels on a
    few pixels), and the encoder codes that difference."""
    cmd = [sys.executable, "-m", "fixtures.generate", "--only", DETERMINISM_CASE]
    subprocess.run([*cmd, "--out", str(tmp_path), "--jobs", "1"], cwd=ROOT, check=True)
    new = cv2.VideoCapture(str(tmp_path / f"{DETERMINISM_CASE}.mp4"))
    old = cv2.VideoCapture(str(VIDEOS / f"{DETERMINISM_CASE}.mp4"))
    frames = 0
    while True:
        ok_new, a = new.read()
        ok_old, b = old.read()
        assert ok_new == ok_old, f"frame counts differ at frame {frames}"
        if not ok_new:
            break
        diff = cv2.absdiff(a, b)
        assert int(diff.max()) <= 24 and float(diff.mean()) < 0.05, f"frame {frames} differs"
        frames += 1
    assert frames == next(c for c in CASES if c["id"] == DETERMINISM_CASE)["frames"]
    entry = json.loads((tmp_path / "manifest.json").read_text())["cases"][0]
    committed = next(c for c in CASES if c["id"] == DETERMINISM_CASE)
    assert entry == committed


# -- the generator's features, checked without rendering whole videos -------------------------

SCENARIOS = {c["id"]: c for c in json.loads((ROOT / "fixtures" / "scenarios.json").read_text())["cases"]}
YOUTUBE = VIDEOS / "youtube"


def _renderer(case_id: str, **changes):
    from fixtures.render.timeline import CaseRenderer

    case = copy.deepcopy(SCENARIOS[case_id])
    case.update(changes)
    return CaseRenderer(case)


def _mini(case_id: str, **changes) -> dict:
    """A case shrunk to a 320x180 camera view of `dur` seconds: the same code path, cheap."""
    case = copy.deepcopy(SCENARIOS[case_id])
    case.update(width=320, height=180, segments=[{"screen": "camera", "dur": 1.0}])
    case.pop("canvas", None)
    case.update(changes)
    return case


def _ffprobe(path: Path, *entries: str) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", ":".join(entries), "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def test_rotation_flag_is_in_the_container_and_turns_the_stored_picture_upright(tmp_path):
    from fixtures.generate import render_video

    case = _mini("ok_fly_rotated_container")
    r = render_video(case, tmp_path / "rot.mp4")
    info = _ffprobe(tmp_path / "rot.mp4", "stream=width,height:stream_side_data")
    st = info["streams"][0]
    assert (st["width"], st["height"]) == (180, 320)  # stored portrait
    assert [sd.get("rotation") for sd in st["side_data_list"]] in ([90], [-90])
    # ffmpeg (autorotate) shows the landscape frame the renderer drew
    png = tmp_path / "f0.png"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "rot.mp4"), "-frames:v", "1", str(png)])
    shown = cv2.imread(str(png))
    drawn = np.asarray(r.frame(0))[:, :, ::-1]
    assert shown.shape == drawn.shape == (180, 320, 3)
    assert float(cv2.absdiff(shown, drawn).mean()) < 8
    rotated = next(c for c in CASES if c["id"] == "ok_fly_rotated_container")
    assert rotated["rotation"] == 90 and rotated["stored_resolution"] == "720x1280"


@pytest.mark.parametrize("case_id", ["ok_fly_portrait_letterbox", "ok_go4_4x3_letterbox"])
def test_letterboxed_frame_has_black_bars_around_the_app(case_id):
    r = _renderer(case_id)
    c = SCENARIOS[case_id]["canvas"]
    frame = np.asarray(r.frame(round(4.0 * r.fps)))
    assert frame.shape == (c["height"], c["width"], 3)
    x, y, h = c["x"], c["y"], SCENARIOS[case_id]["height"]
    assert frame[:y].max() == 0 and frame[y + h :].max() == 0
    assert frame[y : y + h].mean() > 10
    entry = next(e for e in CASES if e["id"] == case_id)
    assert entry["app_rect"] == [x, y, SCENARIOS[case_id]["width"], h]


def test_vfr_plan_drops_frames_and_stamps_them_off_the_grid():
    from fixtures.render.vfr import TIME_BASE, plan

    case = SCENARIOS["ok_vfr_frame_timing"]
    p = plan(1080, 30, case["vfr"], case["seed"])
    assert p == plan(1080, 30, case["vfr"], case["seed"])  # seeded
    assert 0.05 <= 1 - len(p.kept) / 1080 <= 0.15
    steps = np.diff(p.kept)
    assert (steps == 3).any()  # a gap of two frames
    dt = np.diff(np.array(p.pts) * float(TIME_BASE))
    assert (dt > 0).all()
    on_grid = dt[steps == 1]
    assert on_grid.std() > 0.001 and abs(on_grid.mean() - 1 / 30) < 0.002


def test_committed_vfr_fixture_has_irregular_timestamps():
    path = VIDEOS / "ok_vfr_frame_timing.mp4"
    info = _ffprobe(path, "packet=pts_time")
    pts = np.sort([float(p["pts_time"]) for p in info["packets"]])
    dt = np.diff(pts)
    assert dt.max() > 2.5 / 30  # a 2-frame gap
    assert len(np.unique(np.round(dt * 1000))) > 10  # not a fixed step


def test_time_warps_and_takes_of_the_edit_cases():
    speed = _renderer("rej_edit_speedup")
    # the clock runs 4x through the calibration: two minute changes 30 s of video apart
    assert speed.clock_at(3.1) - speed.clock_at(2.9) == pytest.approx(0.2)
    assert speed.clock_at(19.0) - speed.clock_at(9.0) == pytest.approx(40.0)
    rev = _renderer("rej_edit_reversed")
    seg = next(s for s in rev.segments if s.params.get("reverse"))
    inside = [rev.clock_at(seg.start + k * 0.5) for k in range(1, 15)]
    assert all(b < a for a, b in zip(inside, inside[1:], strict=False))
    assert rev.clock_at(seg.end + 0.1) > inside[0]
    battery = _renderer("rej_edit_battery_jump")
    assert battery.take_ui("B")[0].case["aircraft_battery"] - battery.ui.case["aircraft_battery"] == 15
    scene = _renderer("rej_edit_scene_swap")
    assert not np.array_equal(scene.take_ui("B")[1].array[:100], scene.scene.array[:100])
    name = _renderer("rej_edit_device_name")
    assert name.take_ui("B")[0].case["device_name"] != name.ui.case["product"]["model"]
    assert _renderer("rej_edit_no_status_bar").sb_h == 0


def test_edit_cases_have_honest_twins_that_match_them():
    pairs = {
        "rej_edit_battery_jump": "ok_battery_drop_one",
        "rej_edit_scene_swap": "ok_scene_exposure",
        "rej_edit_device_name": "ok_about_twice",
        "rej_edit_no_status_bar": "ok_no_status_bar",
        "rej_edit_speedup": "ok_long_calibration",
        "rej_edit_reversed": "ok_movement_forward",
    }
    for edit, honest in pairs.items():
        a, b = SCENARIOS[edit], SCENARIOS[honest]
        for key in ("app", "width", "height", "seed", "clock", "product", "shown", "camera"):
            assert a[key] == b[key], (edit, key)
        # Proof rejects; an edit shown by one reading only is a reviewer's question.
        assert (a["expected_verdict"], a["expected_reasons"]) in (
            ("rejected", ["video_edited"]),
            ("needs_review", []),
        )
        assert (b["expected_verdict"], b["expected_reasons"]) == ("approved", [])


def test_notification_covers_the_clock():
    r = _renderer("ok_about_twice")
    note = SCENARIOS["ok_about_twice"]["notification"]
    during = np.asarray(r.frame(round((note["at"] + 1.5) * r.fps)))
    before = np.asarray(r.frame(round((note["at"] - 0.5) * r.fps)))
    clock = (slice(0, r.sb_h), slice(0, round(r.W * 0.06)))
    assert before[clock].mean() < 60 < during[clock].mean()


def test_weak_gps_banner_and_red_count_are_drawn():
    r = _renderer("rej_gps_weak_banner_fly")
    frame = np.asarray(r.frame(round((r.duration - 1.0) * r.fps))).astype(int)
    orange = (frame[..., 0] > 200) & (frame[..., 1] > 120) & (frame[..., 1] < 180) & (frame[..., 2] < 60)
    rows = orange.mean(axis=1)
    assert (rows > 0.6).sum() > 20  # a full-width band
    top = frame[r.sb_h : r.sb_h + round(60 * r.u), r.W // 2 :]
    red = (top[..., 0] > 200) & (top[..., 1] < 110) & (top[..., 2] < 100)
    assert red.sum() > 20  # the satellite count in red


def test_twin_settings_follow_youtube_sizes_and_bitrates():
    from fixtures.render.youtube import nominal_fps, twin_settings

    s = twin_settings(1920, 1080, 30)
    assert (s.width, s.height) == (1920, 1080) and 1_700_000 <= s.bitrate <= 1_900_000
    assert 900_000 <= twin_settings(1280, 720, 30).bitrate <= 1_100_000
    assert twin_settings(1920, 1080, 60).bitrate > 1.4 * s.bitrate
    big = twin_settings(2560, 1440, 30)
    assert (big.width, big.height) == (1920, 1080)
    assert (twin_settings(2400, 1080, 60).width, twin_settings(1080, 1920, 30).height) == (2400, 1920)
    assert nominal_fps(27.4) == 30 and nominal_fps(59.2) == 60


def test_make_twin_is_h264_high_with_b_frames_and_aac_and_deterministic(tmp_path):
    from fixtures.generate import render_video
    from fixtures.render.youtube import make_twin

    render_video(_mini("ok_fly_rotated_container"), tmp_path / "src.mp4")
    a, b = tmp_path / "a" / "src.mp4", tmp_path / "b" / "src.mp4"
    make_twin(tmp_path / "src.mp4", a)
    make_twin(tmp_path / "src.mp4", b)
    assert a.read_bytes() == b.read_bytes()
    _assert_youtube_like(a, (320, 180))


def _assert_youtube_like(path: Path, size: tuple[int, int] | None = None) -> None:
    info = _ffprobe(
        path, "stream=codec_type,codec_name,profile,has_b_frames,pix_fmt,width,height:stream_side_data"
    )
    video = [s for s in info["streams"] if s["codec_type"] == "video"]
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert len(video) == 1 and len(audio) == 1
    v = video[0]
    assert (v["codec_name"], v["profile"], v["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert v["has_b_frames"] >= 1
    assert not any("rotation" in sd for sd in v.get("side_data_list", []))
    assert min(v["width"], v["height"]) <= 1080
    if size:
        assert (v["width"], v["height"]) == size
    assert audio[0]["codec_name"] == "aac"


YT_MANIFEST = YOUTUBE / "manifest.json"
YT_CASES = json.loads(YT_MANIFEST.read_text())["cases"] if YT_MANIFEST.exists() else []


def test_every_readable_fixture_has_a_youtube_twin_with_the_same_expectations():
    assert YT_MANIFEST.exists()
    twins = {c["id"]: c for c in YT_CASES}
    assert set(twins) == {c["id"] for c in READABLE}
    for c in READABLE:
        t = twins[c["id"]]
        for key in ("expected_verdict", "expected_reasons", "product", "shown", "app", "timeline"):
            assert t[key] == c[key], (c["id"], key)
        assert t["duration"] == pytest.approx(c["duration"], abs=0.1)


@pytest.mark.parametrize("case", YT_CASES, ids=[c["id"] for c in YT_CASES])
def test_youtube_twin_is_youtube_like(case):
    _assert_youtube_like(ensure_twin(case), (case["width"], case["height"]))
