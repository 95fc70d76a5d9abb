"""Fuzzy phrase matching: the pruned search answers every threshold test exactly as the full
search does, and OCR noise within the thresholds still matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.textmatch import _threshold, matches, norm, phrase_score

PHRASES = ["Remote Controller SN", "Aircraft SN", "Normal", "Compass Error", "Calibration Complete", "IMU"]
LETTERS = "abcdefghilmnoprstuCEINRS0158 %:"


@settings(max_examples=300, deadline=None)
@given(
    phrase=st.sampled_from(PHRASES),
    prefix=st.text(LETTERS, max_size=12),
    noise=st.lists(st.tuples(st.integers(0, 30), st.sampled_from(LETTERS)), max_size=3),
    suffix=st.text(LETTERS, max_size=12),
)
def test_pruned_score_decides_like_the_full_one(phrase: str, prefix: str, noise: list, suffix: str) -> None:
    chars = list(phrase)
    for pos, ch in noise:
        chars[pos % len(chars)] = ch
    line = f"{prefix} {''.join(chars)} {suffix}"
    threshold = _threshold(norm(phrase))
    full = phrase_score(phrase, line, 0.0)
    pruned = phrase_score(phrase, line, threshold)
    assert (pruned >= threshold) == (full >= threshold)
    if full >= threshold:
        assert pruned == full


def test_noise_and_context() -> None:
    assert matches("Remote Controller SN", "Remote Contro1ler SN 1581F6JXEOHGVGZYUJW6")
    assert matches("Calibration Complete", "Gimbal Calibration Complete.")
    assert not matches("IMU", "IMO Normal")
    assert not matches("calibration", "calibrating 40%")


@settings(max_examples=300, deadline=None)
@given(a=st.text(LETTERS, min_size=1, max_size=30), b=st.text(LETTERS, min_size=1, max_size=30))
def test_cheap_bounds_are_difflibs_own(a: str, b: str) -> None:
    """The bounds computed without a matcher are the very floats difflib's would be: the
    pruning decides as it did when it built a SequenceMatcher for every window."""
    from difflib import SequenceMatcher

    from pipeline.textmatch import _char_counts, _common_chars, _ratio

    m = SequenceMatcher(None, a, b)
    assert _ratio(min(len(a), len(b)), len(a) + len(b)) == m.real_quick_ratio()
    assert _ratio(_common_chars(_char_counts(a), b), len(a) + len(b)) == m.quick_ratio()
