"""The bar's left read as bright text: the status pill over a bright sky and a banner, which the
whole-band read can lose (Tesseract's layout gives up on the band), still reads."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.ocr import TesserocrEngine
from pipeline.reading.facts import APP_BAR
from pipeline.reading.regions import TopBarReader

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _camera_view() -> np.ndarray:
    """1600x720: a pale sky, a green status pill in the bar, an orange banner just below."""
    sky = np.linspace(150, 215, 720, dtype=np.uint8)[:, None, None]
    image = Image.fromarray(np.broadcast_to(sky, (720, 1600, 3)).copy())
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 15)
    draw.rectangle((0, 0, 1600, 26), fill=(0, 0, 0))
    draw.rounded_rectangle((34, 38, 190, 66), radius=4, fill=(40, 160, 80))
    draw.text((44, 43), "Ready to Go (GPS)", font=font, fill=(255, 255, 255))
    draw.rectangle((0, 86, 1600, 122), fill=(235, 145, 25))
    draw.text((650, 95), "Weak GPS Signal. Fly with caution.", font=font, fill=(255, 255, 255))
    return np.asarray(image)[:, :, ::-1].copy()


def test_the_status_pill_reads_from_the_bars_left_as_bright_text() -> None:
    frame = _camera_view()
    lines = TopBarReader(TesserocrEngine()).left_lines(frame)
    pill = [x for x in lines if "Ready to Go" in x.text]
    assert pill, [x.text for x in lines]
    h, w = frame.shape[:2]
    # In frame pixels, inside the bar's band and its left part.
    assert h * APP_BAR[0] <= pill[0].y <= h * APP_BAR[1] and pill[0].x < w * 0.35
