"""Both OCR engines read the same rendered text line through one interface."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.ocr import PytesseractEngine, TesserocrEngine


def _line(text: str) -> np.ndarray:
    img = np.full((80, 900), 255, np.uint8)
    cv2.putText(img, text, (10, 55), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3, cv2.LINE_AA)
    return img


@pytest.mark.parametrize("engine_cls", [TesserocrEngine, PytesseractEngine])
def test_engine_reads_a_line(engine_cls: type) -> None:
    engine = engine_cls()
    lines = engine.read_lines(_line("Remote Controller SN 3N8WT60"))
    text = " ".join(x.text for x in lines)
    assert "Remote" in text and "Controller" in text
    assert all(x.w > 0 and x.h > 0 for x in lines)
    single = engine.read_lines(_line("1581F6JXD2W6037"), single_line=True)
    assert "".join(x.text for x in single).replace(" ", "") == "1581F6JXD2W6037"


@pytest.mark.parametrize("engine_cls", [TesserocrEngine, PytesseractEngine])
def test_dark_on_light_reads_switch_back(engine_cls: type) -> None:
    """Reads told the text is already dark on light skip Tesseract's inverted retry; the next
    ordinary read of light text on dark must still get it (the setting is per read)."""
    engine = engine_cls()
    plain = engine.read_lines(_line("Aircraft Status Normal"), dark_on_light=True)
    assert "Normal" in " ".join(x.text for x in plain)
    inverted = 255 - _line("Compass Error")
    again = engine.read_lines(inverted)
    assert "Compass" in " ".join(x.text for x in again)


def test_page_and_single_line_reads_share_one_engine() -> None:
    """One API per thread serves both page and single-line reads (each API is a model load):
    switching the mode back and forth reads the same as a fresh engine."""
    shared = TesserocrEngine()
    page = _line("Remote Controller SN 3N8WT60")
    first = [x.text for x in shared.read_lines(page)]
    serial = shared.read_lines(_line("1581F6JXD2W6037"), single_line=True)
    again = [x.text for x in shared.read_lines(page)]
    assert first == again == [x.text for x in TesserocrEngine().read_lines(page)]
    assert "".join(x.text for x in serial).replace(" ", "") == "1581F6JXD2W6037"


def test_warm_up_loads_the_apis_reads_then_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """APIs loaded ahead are the ones reads use: a read started while they load waits for one
    instead of loading yet another model, and reads from three threads at once share three."""
    import threading

    from pipeline import ocr

    loaded: list[int] = []
    real = ocr._Api

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, path: str, lang: str) -> None:
            loaded.append(1)
            super().__init__(path, lang)

    monkeypatch.setattr(ocr, "_Api", Counted)
    engine = TesserocrEngine()
    engine.warm_up(3)
    assert "Remote" in " ".join(x.text for x in engine.read_lines(_line("Remote Controller SN")))
    results: list[str] = []

    def read() -> None:
        results.append(" ".join(x.text for x in engine.read_lines(_line("Aircraft Status Normal"))))

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and all("Normal" in r for r in results)
    assert len(loaded) == 3
    engine.warm_up(3)  # all loaded already: nothing more
    assert len(loaded) == 3


def test_models_loaded_before_a_fork_are_read_with_in_the_child() -> None:
    """A queue worker loads the models once (``load_now``) and forks a work horse per job: the
    horse must read with the inherited models, without loading any of its own."""
    import os

    engine = TesserocrEngine()
    engine.load_now(3)
    engine.load_now(3)  # already there: nothing more
    assert len(engine._idle) == 3
    inherited = {id(api) for api in engine._idle}
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the horse
        ok = False
        try:
            lines = engine.read_lines(_line("Remote Controller SN 3N8WT60"))
            ok = "Controller" in " ".join(x.text for x in lines)
            ok = ok and {id(api) for api in engine._idle} == inherited
        finally:
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
