"""Serial normalisation: identity on valid serials, look-alike OCR confusions map back, and a
real one-character difference never matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import serials
from pipeline.serials import Match

CTA = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
cta_serial = st.text(alphabet=CTA, min_size=15, max_size=15).map(lambda s: "1581F" + s)
legacy_serial = st.text(alphabet=CTA, min_size=14, max_size=14)
any_serial = st.one_of(cta_serial, legacy_serial)


@given(any_serial)
def test_normalising_a_valid_serial_is_identity(s: str) -> None:
    assert serials.normalise(s) == s
    assert serials.is_valid(s)
    assert serials.compare(s, s) is Match.EXACT


@given(any_serial, st.data())
def test_o_and_i_confusions_map_back(s: str, data: st.DataObject) -> None:
    positions = [i for i, c in enumerate(s) if c in "01"]
    if not positions:
        return
    i = data.draw(st.sampled_from(positions))
    misread = s[:i] + {"0": "O", "1": "I"}[s[i]] + s[i + 1 :]
    assert serials.normalise(misread) == s
    assert serials.compare(misread, s) is Match.EXACT


@given(any_serial, st.data())
def test_a_real_difference_never_matches(s: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(s) - 1))
    other = data.draw(st.sampled_from([c for c in CTA if c != s[i]]))
    changed = s[:i] + other + s[i + 1 :]
    assert serials.compare(changed, s) is not Match.EXACT
    value, match = serials.best_read([changed], s)
    assert match is not Match.EXACT


@settings(max_examples=50)
@given(any_serial)
def test_one_exact_read_among_noisy_ones_settles_it(s: str) -> None:
    noisy = s[:-1] + ("X" if s[-1] != "X" else "Y")
    value, match = serials.best_read([noisy, s.replace("0", "O"), noisy], s)
    assert match is Match.EXACT and value == s


def test_formats() -> None:
    assert serials.is_cta("1581F8PHF4RJZTR82L1T")
    assert not serials.is_cta("1581F8PHF4RJZTR82L1")  # length code F says 15 characters
    assert serials.is_legacy("0H5BF9D0084BGD")
    assert not serials.is_valid("HELLO")
    assert serials.compare("0HSBF9D0084BGD", "0H5BF9D0084BGD") is Match.AMBIGUOUS
    assert serials.compare("6M4JD1J0073U30", "6M4JD1J0073U20") is Match.MISMATCH
