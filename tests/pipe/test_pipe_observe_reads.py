"""How the About reader spends its reads: a serial value seen again (the About page scrolled) is not
read alone again, a new value is, and work shared with the side thread comes back in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.continuity.names import canonical
from pipeline.ocr import OcrLine, TesserocrEngine
from pipeline.reading.about import REUSE_S, STORE_LOOKS, RereadStore, SerialReader, ValueRead
from pipeline.reading.work import gather, split_work
from pipeline.templates import load_templates

FLY = next(t for t in load_templates() if t.app == "dji_fly")


class CountingEngine:
    """The real engine, counting single-line reads (the serial re-reads)."""

    name = "counting"

    def __init__(self) -> None:
        self._engine = TesserocrEngine()
        self.single_line_reads = 0
        self._lock = threading.Lock()

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False, chars: str = ""
    ) -> list[OcrLine]:
        if single_line:
            with self._lock:
                self.single_line_reads += 1
        return self._engine.read_lines(
            gray, single_line=single_line, dark_on_light=dark_on_light, chars=chars
        )


class SevenAsSlash(CountingEngine):
    """The real engine, but every "7" of an unrestricted read comes back as "/": what Tesseract
    reads for a thin 7 at YouTube's bitrate. Reads restricted to a serial's characters are
    Tesseract's own, and counted."""

    def __init__(self) -> None:
        super().__init__()
        self.restricted_reads = 0

    def read_lines(
        self, gray: np.ndarray, *, single_line: bool = False, dark_on_light: bool = False, chars: str = ""
    ) -> list[OcrLine]:
        lines = super().read_lines(gray, single_line=single_line, dark_on_light=dark_on_light, chars=chars)
        if chars:
            with self._lock:
                self.restricted_reads += 1
            return lines
        return [
            OcrLine(
                x.text.replace("7", "/"),
                x.confidence,
                x.x,
                x.y,
                x.w,
                x.h,
                tuple((c.replace("7", "/"), v) for c, v in x.symbols),
            )
            for x in lines
        ]


def _about(serial: str, top: int) -> np.ndarray:
    """A dark settings page with the aircraft serial row ``top`` pixels down."""
    frame = np.full((720, 1280, 3), 30, np.uint8)
    cv2.putText(frame, "Aircraft SN", (80, top), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (235, 235, 235), 2)
    cv2.putText(frame, serial, (760, top), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (235, 235, 235), 2)
    return frame


def _serials(frame: np.ndarray, engine: CountingEngine, reader: SerialReader) -> set[str]:
    grey = 255 - cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    lines = engine.read_lines(grey)
    return {s.text for s in reader.read_serials(frame, lines, FLY) if s.role == "aircraft"}


def test_a_value_seen_again_is_not_read_alone_again() -> None:
    engine = CountingEngine()
    with ThreadPoolExecutor(2) as pool:
        reader = SerialReader(engine, pool, full_res_above=680)  # type: ignore[arg-type]
        first = _serials(_about("1581FMG9PPM1EK73SNK5", 300), engine, reader)
        assert "1581FMG9PPM1EK73SNK5" in first
        reads = engine.single_line_reads
        assert reads >= 2  # read alone at several scales
        scrolled = _serials(_about("1581FMG9PPM1EK73SNK5", 237), engine, reader)
        assert scrolled == first and engine.single_line_reads == reads
        other = _serials(_about("1581FB71CL0FKKSRDVPS", 237), engine, reader)
        assert other and other.isdisjoint(first) and engine.single_line_reads > reads


def test_the_reread_store_is_bounded() -> None:
    """Old row texts are forgotten first, and each text keeps only its latest looks."""
    store = RereadStore(texts=2, looks=STORE_LOOKS)
    look = np.zeros((24, 256), np.uint8)
    a1 = [ValueRead("A1", 90.0)]
    origin_a = store.put("A", look, a1)
    store.put("B", look, [ValueRead("B1", 90.0)])
    assert store.get("A", look) == (origin_a, a1)  # A is now the latest used
    store.put("C", look, [ValueRead("C1", 90.0)])
    assert store.get("B", look) is None and store.get("A", look) == (origin_a, a1)
    assert store.get("A", 255 - look) is None  # same text, other pixels: not the same value
    for n in range(STORE_LOOKS + 3):
        store.put("A", np.full((24, 256), n * 10, np.uint8), [ValueRead(f"A{n}", 90.0)])
    assert len(store) <= 2 * STORE_LOOKS


def test_a_look_read_long_ago_is_read_again() -> None:
    """The serial vote wants readings from several frames: a look older than REUSE_S is not
    reused, and its new reading gets a new origin."""
    store = RereadStore()
    look = np.zeros((24, 256), np.uint8)
    first = store.put("A", look, [ValueRead("A1", 90.0)], time_s=10.0)
    assert store.get("A", look, 10.0 + REUSE_S / 2) is not None
    assert store.get("A", look, 10.0 + REUSE_S * 2) is None
    assert store.put("A", look, [ValueRead("A1", 90.0)], time_s=12.5) != first


def test_split_work_keeps_the_order() -> None:
    threads: list[str] = []

    def call(i: int) -> int:
        threads.append(threading.current_thread().name)
        return i * i

    with ThreadPoolExecutor(2) as pool:
        assert split_work(pool, [lambda i=i: call(i) for i in range(7)]) == [i * i for i in range(7)]
        assert len(set(threads)) == 2  # this thread and a side one
        assert split_work(pool, []) == []


def test_gather_takes_back_what_a_busy_side_thread_has_not_started() -> None:
    # The one side thread is held busy (as by the bar and clock of the same read): every call
    # gather queued runs on this thread instead of waiting behind it, results in order.
    release = threading.Event()
    ran: dict[int, str] = {}

    def call(i: int) -> int:
        ran[i] = threading.current_thread().name
        return i * 10

    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(release.wait, 5)
        assert gather(pool, [lambda i=i: call(i) for i in range(4)]) == [0, 10, 20, 30]
        assert set(ran.values()) == {threading.current_thread().name}
        release.set()
        busy.result()
        # Called from the side thread itself, with no other to help: it must not wait on work
        # queued for itself.
        assert pool.submit(lambda: gather(pool, [lambda i=i: call(i) for i in range(3)])).result(5) == [
            0,
            10,
            20,
        ]
        assert gather(pool, []) == []


def _named(name: str) -> np.ndarray:
    """A dark page with a device-name row, in a sans-serif face as the apps use."""
    image = Image.new("RGB", (1280, 720), (30, 30, 30))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 26)
    draw.text((80, 280), "Device Name", font=font, fill=(235, 235, 235))
    draw.text((760, 280), name, font=font, fill=(235, 235, 235))
    return np.asarray(image)[:, :, ::-1].copy()


def test_a_device_name_read_unsurely_is_read_again_alone_and_kept_only_if_sure() -> None:
    """The page's read of the name row stands in as a box at confidence 2 (as page-scale reads
    of "DJI Air 3" come out on the fixtures): the row is read again from the frame, and a row
    with nothing legible in it gives no name at all, not the unsure text."""
    engine = CountingEngine()
    label = OcrLine("Device Name", 90.0, 80, 283, 160, 28)
    unsure = OcrLine("DJIA 3", 2.0, 760, 283, 105, 28)
    with ThreadPoolExecutor(2) as pool:
        reader = SerialReader(engine, pool, full_res_above=680)  # type: ignore[arg-type]
        again = reader.device_name(_named("DJI Air 3"), [label, unsure], FLY)
        assert again is not None and canonical(again) == canonical("DJI Air 3")
        assert engine.single_line_reads == 1
        blank = np.full((720, 1280, 3), 30, np.uint8)
        assert reader.device_name(blank, [label, unsure], FLY) is None
        sure = OcrLine("DJI Air 3", 91.0, 760, 283, 105, 28)
        assert reader.device_name(blank, [label, sure], FLY) == "DJI Air 3"  # no read again
        assert engine.single_line_reads == 2


def test_a_value_whose_every_read_lost_a_character_is_read_with_serial_characters_only() -> None:
    engine = SevenAsSlash()
    with ThreadPoolExecutor(2) as pool:
        reader = SerialReader(engine, pool, full_res_above=680)  # type: ignore[arg-type]
        # The page read, and every re-read, drops the 7: no read has a serial's form...
        assert "1581FMG9PPM1EK73SNK5" in _serials(_about("1581FMG9PPM1EK73SNK5", 300), engine, reader)
        assert engine.restricted_reads > 0  # ...so it was read again, restricted, and right
        # A value read in its form the first time needs no such read.
        engine.restricted_reads = 0
        assert "1581FMG9PPM1EKA3SNK5" in _serials(_about("1581FMG9PPM1EKA3SNK5", 420), engine, reader)
        assert engine.restricted_reads == 0
