"""Evidence images: the frames a reviewer needs, with the OCR boxes that were read drawn on."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pipeline.models import Evidence, Report
from pipeline.timeline import Timeline


def _all_evidence(report: Report) -> list[Evidence]:
    items = [e for s in report.steps for e in s.evidence]
    items += [e for f in report.findings for e in f.evidence]
    return items + report.doubt_evidence


def write(report: Report, tl: Timeline, directory: Path) -> None:
    """Write one JPEG per evidence entry and set its ``image`` path."""
    directory.mkdir(parents=True, exist_ok=True)
    width = tl.frame_size[0] or 1
    for n, ev in enumerate(_all_evidence(report)):
        data = tl.images.get(ev.frame_ref) if ev.frame_ref is not None else None
        if not data:
            continue
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        scale = image.shape[1] / width
        for b in ev.boxes:
            p1 = (int(b.x * scale) - 3, int(b.y * scale) - 3)
            p2 = (int((b.x + b.w) * scale) + 3, int((b.y + b.h) * scale) + 3)
            cv2.rectangle(image, p1, p2, (0, 215, 255), 2)
        label = f"{ev.time_s:.1f}s {ev.note}"
        cv2.rectangle(
            image,
            (0, image.shape[0] - 34),
            (min(image.shape[1], 16 + 11 * len(label)), image.shape[0]),
            (0, 0, 0),
            -1,
        )
        cv2.putText(
            image,
            label,
            (8, image.shape[0] - 10),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (255, 255, 255),
            1,
            cv2.LINE_AA,
        )
        path = directory / f"{n:03d}_{ev.time_s:07.2f}s.jpg"
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        ev.image = str(path)
