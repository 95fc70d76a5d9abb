"""The profile summary sorts py-spy's folded stacks into kinds of work and leaves waiting out."""

from __future__ import annotations

from bench.profile import WAITING, kind_of, summarise

MAIN = "thread (1): MainThread;<module> (vidverify:6);main (vidverify/cli.py:57)"
SIDE = "thread (2): vidverify-ocr_0;_bootstrap (threading.py:1002);_worker (concurrent/futures/thread.py:83)"
DECODER = "thread (3): vidverify-decode;produce (pipeline/video.py:190)"


def test_kinds_from_the_leaf_up() -> None:
    assert kind_of(f"{SIDE};read_band (pipeline/reading/work.py:70);_recognise (pipeline/ocr.py:177)") == (
        "OCR (Tesseract)"
    )
    assert kind_of(f"{DECODER};_decode (pipeline/video.py:154)") == "decode (FFmpeg)"
    assert kind_of(f"{MAIN};read (pipeline/reading/reader.py:52);matches (pipeline/textmatch.py:72)") == (
        "text matching"
    )
    assert kind_of(f"{MAIN};run (vidverify/check_command.py:102);_find_and_load (<frozen importlib>:1)") == (
        "start-up (imports)"
    )
    assert kind_of(f"{SIDE};_worker (concurrent/futures/thread.py:81)") == WAITING
    assert kind_of(f"{MAIN};read (reading/reader.py:48);result (concurrent/futures/_base.py:451)") == (
        WAITING
    )


def test_summary_shares_leave_waiting_out() -> None:
    folded = "\n".join(
        [
            f"{SIDE};_recognise (pipeline/ocr.py:177) 60",
            f"{DECODER};_decode (pipeline/video.py:154) 30",
            f"{MAIN};thumbnail_of_luma (pipeline/preprocess.py:85) 10",
            f"{SIDE};_worker (concurrent/futures/thread.py:81) 500",
        ]
    )
    text = summarise(folded)
    assert "60.0 %  OCR (Tesseract)" in text
    assert "30.0 %  decode (FFmpeg)" in text
    assert "10.0 %  image ops" in text
    assert "500 samples" in text
    assert "60.0 %  OCR side threads" in text and "30.0 %  decoder" in text
