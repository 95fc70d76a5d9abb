"""Edit detection on timelines built by hand: the clock rules without a video."""

from __future__ import annotations

import numpy as np

from pipeline.integrity import check, clock_findings, minute_findings, repeat_findings
from pipeline.reading import Observation, ScreenKind
from pipeline.reading.facts import parse_clock
from pipeline.timeline import Sample, Timeline


def _timeline(clock: list[tuple[float, str]]) -> Timeline:
    tl = Timeline()
    for t, text in clock:
        tl.observations.append(Observation(time_s=t, screen=ScreenKind.CAMERA, clock=parse_clock(text)))
    return tl


def test_steady_clock_is_clean() -> None:
    times = [(t, "10:42" if t < 40 else "10:43") for t in range(0, 70, 5)]
    assert clock_findings(_timeline(times)) == []


def test_one_misread_digit_is_not_an_edit() -> None:
    times = [(0, "11:12"), (5, "11:12"), (10, "01:12"), (15, "11:12"), (20, "11:13"), (25, "11:13")]
    assert clock_findings(_timeline(times)) == []


def test_clock_running_backwards_is_an_edit() -> None:
    times = [(0, "10:42"), (5, "10:42"), (10, "10:42"), (15, "10:17"), (20, "10:17"), (25, "10:17")]
    findings = clock_findings(_timeline(times))
    assert len(findings) == 1
    assert findings[0].reason == "video_edited"
    assert "backwards" in findings[0].message and findings[0].time_s == 15


def test_clock_jumping_ahead_is_an_edit() -> None:
    times = [(0, "23:58"), (5, "23:58"), (10, "00:30"), (15, "00:30")]
    findings = clock_findings(_timeline(times))
    assert findings and "ahead" in findings[0].message


def test_minute_rollover_across_midnight_is_clean() -> None:
    times = [(0, "23:59"), (20, "23:59"), (40, "00:00"), (60, "00:00")]
    assert clock_findings(_timeline(times)) == []


def test_repeated_moving_segment_is_an_edit() -> None:
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 255, (90, 160), dtype=np.uint8) for _ in range(20)]
    sequence = frames[:12] + frames[2:8] + frames[12:]  # samples 2..7 shown again
    tl = Timeline(samples=[Sample(i * 0.25, 50.0, 0.0, f) for i, f in enumerate(sequence)])
    findings = repeat_findings(tl)
    assert findings and "shown again" in findings[0].message
    unique = Timeline(samples=[Sample(i * 0.25, 50.0, 0.0, f) for i, f in enumerate(frames)])
    assert repeat_findings(unique) == []


def test_clock_one_minute_back_is_an_edit() -> None:
    times = [(0, "10:42"), (5, "10:42"), (10, "10:41"), (15, "10:41")]
    findings = clock_findings(_timeline(times))
    assert findings and "backwards" in findings[0].message


def test_repeat_alone_asks_a_reviewer_and_a_clock_jump_rejects() -> None:
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 255, (90, 160), dtype=np.uint8) for _ in range(20)]
    sequence = frames[:12] + frames[2:8] + frames[12:]
    tl = Timeline(samples=[Sample(i * 0.25, 50.0, 0.0, f) for i, f in enumerate(sequence)])
    findings, doubts = check(tl)
    assert findings == [] and len(doubts) == 1 and "possible splice" in doubts[0]
    jumped = _timeline([(0, "10:42"), (5, "10:42"), (10, "10:17"), (15, "10:17")])
    jumped.samples = tl.samples
    findings, doubts = check(jumped)
    assert [f.reason for f in findings] == ["video_edited"] and doubts == []


def _clocked(*pairs: tuple[float, str]) -> Timeline:
    tl = Timeline()
    tl.observations = [
        Observation(time_s=t, screen=ScreenKind.CAMERA, clock=parse_clock(c)) for t, c in pairs
    ]
    return tl


def test_a_minute_shorter_than_a_minute_is_an_edit() -> None:
    """A 40 s calibration fast-forwarded 4x: minute 18:06 is shown for about 30 s."""
    tl = _clocked((0, "18:05"), (2, "18:05"), (3, "18:06"), (31.5, "18:06"), (33.8, "18:07"), (35.8, "18:07"))
    (finding,) = minute_findings(tl)
    assert "18:06 lasted at most 32s" in finding.message


def test_whole_minutes_of_an_honest_take_pass() -> None:
    tl = _clocked((0, "13:27"), (2, "13:27"), (3, "13:28"), (62, "13:28"), (63.5, "13:29"), (65, "13:29"))
    assert minute_findings(tl) == []
    lone = _clocked((0, "18:05"), (3, "18:06"), (31.5, "18:06"), (33.8, "18:07"))  # one reading each side
    assert minute_findings(lone) == []
