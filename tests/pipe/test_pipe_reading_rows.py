"""Pieces of one text line joined again (``reading.rows``), and what the join lets match."""

from __future__ import annotations

from pipeline.reading.rows import joined_pieces
from pipeline.textmatch import matches
from tests.support.screens import line


def test_a_word_broken_in_two_is_joined_and_matches_its_phrase() -> None:
    # Tesseract lost "ib" of a bold "Calibration complete": two lines, a letter-wide gap.
    pieces = [line("ration complete", x=705, y=340, w=149, h=16), line("Cal", x=656, y=341, w=22, h=15)]
    (joined,) = joined_pieces(pieces)
    assert joined == "Cal ration complete"
    assert matches("Calibration complete", joined)
    assert not any(matches("Calibration complete", x.text) for x in pieces)


def test_a_label_and_its_value_stay_apart() -> None:
    # A status row: the value stands hundreds of pixels right of its label.
    assert (
        joined_pieces([line("Compass", x=100, y=200, w=110, h=20), line("Normal", x=700, y=200, h=20)]) == []
    )


def test_rows_above_and_below_and_other_sizes_are_not_joined() -> None:
    above = [line("Gimbal", x=100, y=100, w=90, h=20), line("Mode", x=200, y=140, w=60, h=20)]
    sizes = [line("Gimbal", x=100, y=100, w=90, h=12), line("Mode", x=200, y=95, w=60, h=40)]
    assert joined_pieces(above) == [] and joined_pieces(sizes) == []


def test_three_pieces_make_one_run() -> None:
    pieces = [
        line("a", x=0, y=0, w=20, h=20),
        line("b", x=40, y=0, w=20, h=20),
        line("c", x=80, y=2, w=20, h=20),
    ]
    assert joined_pieces(pieces) == ["a b c"]
