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


def _cjk_reference(p: str, s: str) -> float:
    """``_cjk_score`` without its bounds: every window compared in full."""
    from difflib import SequenceMatcher

    from pipeline.textmatch import _cjk_allowed

    p, s = p.replace(" ", ""), s.replace(" ", "")
    if p in s:
        return 1.0
    n, slack = len(p), _cjk_allowed(len(p))
    best = 0.0
    for width in range(max(1, n - slack), n + slack + 1):
        for i in range(0, max(1, len(s) - width + 1)):
            blocks = SequenceMatcher(None, p, s[i : i + width], autojunk=False).get_matching_blocks()
            best = max(best, sum(b.size for b in blocks) / n)
    return best


def test_cjk_bounds_never_change_a_match() -> None:
    """The character-count bounds skip windows, never a decision: against the full comparison,
    on the templates' own CJK phrases in noisy lines (misread characters, other phrases around)."""
    import random

    from pipeline.templates import load_templates
    from pipeline.textmatch import _cjk_score, _cjk_threshold, is_cjk, norm

    phrases = sorted({norm(p) for t in load_templates() for p in t.phrases() if is_cjk(p)})
    assert len(phrases) > 100
    chars = "".join(phrases)
    rng = random.Random(7)
    for _ in range(3000):
        p = rng.choice(phrases)
        line = list(p if rng.random() < 0.5 else rng.choice(phrases) + rng.choice(phrases))
        for _ in range(rng.randint(0, 2)):
            line[rng.randrange(len(line))] = rng.choice(chars)
        s = "".join(line)
        threshold = _cjk_threshold(len(p.replace(" ", "")))
        want = _cjk_reference(p, s)
        assert (_cjk_score(p, s, threshold) >= threshold) == (want >= threshold), (p, s)
        assert _cjk_score(p, s, 0.0) == want
