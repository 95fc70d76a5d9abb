"""The serial vote: one misread never accuses, agreeing frames do, and a lone unsure read
never approves."""

from __future__ import annotations

from pipeline.serial_vote import Outcome, Reading, fuse

RECORD = "1581F6JXE0HGVGZYUJW6"


def _reads(text: str, frames: range | list[int], conf: float = 90.0) -> list[Reading]:
    return [Reading(text, f, conf) for f in frames]


def test_all_frames_read_the_record() -> None:
    d = fuse(_reads(RECORD, range(3)), RECORD)
    assert d.outcome is Outcome.MATCH and d.value == RECORD


def test_one_odd_digit_is_noise() -> None:
    odd = RECORD[:9] + "8" + RECORD[10:]  # 0 read as 8 on one frame
    d = fuse(_reads(RECORD, range(3)) + _reads(odd, [3]), RECORD)
    assert d.outcome is Outcome.MATCH


def test_the_same_difference_on_two_frames_is_a_mismatch() -> None:
    shown = RECORD[:6] + "K" + RECORD[7:]
    d = fuse(_reads(shown, [4, 7]), RECORD)
    assert d.outcome is Outcome.MISMATCH
    assert d.differing == (6,) and d.proof_frames == (4, 7)


def test_a_difference_read_on_one_frame_only_is_a_doubt() -> None:
    shown = RECORD[:6] + "K" + RECORD[7:]
    # Four re-reads of one frame are one frame: not independent.
    d = fuse([Reading(shown, 1, 95.0) for _ in range(4)], RECORD)
    assert d.outcome is Outcome.UNSURE and 6 in d.doubtful


def test_low_confidence_reads_never_accuse() -> None:
    shown = RECORD[:6] + "K" + RECORD[7:]
    d = fuse(_reads(shown, range(5), conf=40.0), RECORD)
    assert d.outcome is Outcome.UNSURE


def test_a_character_read_both_ways_with_confidence_is_noise() -> None:
    shown = RECORD[:6] + "K" + RECORD[7:]
    d = fuse(_reads(shown, [1, 2, 3]) + _reads(RECORD, [4, 5]), RECORD)
    assert d.outcome is Outcome.MATCH and not d.differing


def test_dropped_character_reads_leave_the_vote() -> None:
    dropped = RECORD[:8] + RECORD[9:]  # 19 characters: invalid for its length code
    d = fuse(_reads(dropped, range(4)) + _reads(RECORD, [9, 10]), RECORD)
    assert d.outcome is Outcome.MATCH


def test_nothing_valid_is_unread() -> None:
    assert fuse(_reads("1581FO0ASC", range(3)), RECORD).outcome is Outcome.UNREAD


def test_one_unsure_read_is_not_positive_evidence() -> None:
    d = fuse([Reading(RECORD, 0, 47.0)], RECORD)
    assert d.outcome is Outcome.UNSURE


def test_per_symbol_confidence_weighs_the_vote() -> None:
    wrong = RECORD[:9] + "8" + RECORD[10:]
    low = tuple(20.0 if i == 9 else 95.0 for i in range(len(RECORD)))
    reads = [Reading(wrong, f, 95.0, low) for f in range(3)] + _reads(RECORD, [5, 6], conf=80.0)
    d = fuse(reads, RECORD)
    assert d.value == RECORD and d.outcome is Outcome.MATCH


def test_legacy_serial_against_a_cta_record_is_a_mismatch_on_two_frames() -> None:
    d = fuse(_reads("3N8WT6Q003429S", [1, 2]), RECORD)
    assert d.outcome is Outcome.MISMATCH


def test_without_a_record_the_value_is_fused() -> None:
    odd = RECORD[:3] + "9" + RECORD[4:]
    d = fuse(_reads(RECORD, range(3)) + _reads(odd, [5]))
    assert d.value == RECORD


def test_a_lookalike_difference_the_recording_cannot_resolve_does_not_accuse() -> None:
    shown = RECORD[:9] + "D" + RECORD[10:]  # 0 and D: the record's only 0 there, read D every time
    d = fuse(_reads(shown, range(5)), RECORD)
    assert d.outcome is Outcome.MATCH and not d.differing


def test_a_lookalike_difference_never_accuses_even_where_the_character_reads_true_elsewhere() -> None:
    record = "1581FM5YPVS5EMYAH8T4"
    shown = "1581FM5YPVSSEMYAH8T4"  # "VS5E" read "VSSE" on every frame; the 5 of "1581" reads true
    d = fuse(_reads(shown, range(4)), record)
    assert d.outcome is not Outcome.MISMATCH


def test_more_than_two_confusable_positions_is_a_doubt() -> None:
    shown = RECORD.replace("0", "D").replace("6", "G").replace("8", "B")
    assert fuse(_reads(shown, range(4)), RECORD).outcome is Outcome.UNSURE


def test_the_records_character_read_once_confidently_contests_the_difference() -> None:
    shown = RECORD[:6] + "K" + RECORD[7:]
    reads = _reads(shown, range(1, 7)) + [Reading(RECORD, 1, 95.0)]  # frame 1 also read it right
    assert fuse(reads, RECORD).outcome is not Outcome.MISMATCH


def test_a_lookalike_read_both_ways_supports_the_record() -> None:
    misread = RECORD[:9] + "D" + RECORD[10:]
    d = fuse(_reads(misread, range(4)) + _reads(RECORD, [7, 8]), RECORD)
    assert d.outcome is Outcome.MATCH


def test_another_rows_serial_makes_no_chimera() -> None:
    other = "1581FB71CL0FKKSRDVPS"  # the RC's value, paired with the aircraft label on some frames
    d = fuse(_reads(other, range(4)) + _reads(RECORD, [7, 8]), RECORD, exclude=(other,))
    assert d.outcome is Outcome.MATCH and d.value == RECORD


def test_two_serials_vote_apart() -> None:
    other = "1581FB71CL0FKKSRDVPS"
    d = fuse(_reads(other, range(4)) + _reads(RECORD, [7, 8]))
    assert d.value == other  # the serial read on most frames, never a mix of both


def test_a_difference_where_the_record_was_also_read_unsurely_is_a_doubt() -> None:
    """An 800-px About page: "9" read "0" confidently on two frames and, on a third, read as
    the record's "9" at low confidence. A font at its limit, not another serial."""
    record = "1581FL9S4NLTH52SWKKF"
    misread = record[:6] + "0" + record[7:]
    reads = _reads(misread, [1, 2]) + [Reading(record, 3, 40.0), Reading(misread, 3, 80.0)]
    d = fuse(reads, record)
    assert d.outcome is Outcome.UNSURE and 6 in d.doubtful and not d.differing
    # Never read as the record there: the same two frames prove the difference.
    assert fuse(_reads(misread, [1, 2]), record).outcome is Outcome.MISMATCH
