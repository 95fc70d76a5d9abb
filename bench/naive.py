"""The naive reference: the script a person would write first. One full frame per second, OCR'd
whole with pytesseract, and a search of the text for each step's keywords. No change detection,
no regions, no templates."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

import cv2
import pytesseract

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ERRORS = ("error", "warning", "abnormal", "required", "weak", "atti", "no gps")


def _clean(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def check(path: str, rc_sn: str, aircraft_sn: str | None = None) -> dict:
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    if not cap.isOpened():
        return {"verdict": "rejected", "reasons": ["video_unreadable"]}
    texts: list[str] = []
    index = 0
    while True:
        ok = cap.grab()
        if not ok:
            break
        if index % round(fps) == 0:
            ok, frame = cap.retrieve()
            if not ok:
                break
            texts.append(pytesseract.image_to_string(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)))
        index += 1
    cap.release()
    if len(texts) < 2:
        return {"verdict": "rejected", "reasons": ["video_unreadable"]}
    joined = [t.lower() for t in texts]
    reasons: list[str] = []
    serial_texts = [_clean(t) for t in texts if "serial" in t.lower() or " sn" in t.lower()]
    if not serial_texts:
        reasons.append("rc_serial_not_found")
    elif not any(_clean(rc_sn) in t for t in serial_texts):
        reasons.append("rc_serial_mismatch")
    aircraft_missing = aircraft_sn and not any(_clean(aircraft_sn) in t for t in serial_texts)
    if serial_texts and aircraft_missing and "rc_serial_mismatch" not in reasons:
        reasons.append("aircraft_serial_mismatch")
    if not any("calibrat" in t and ("complete" in t or "succe" in t or "100%" in t) for t in joined):
        reasons.append("gimbal_calibration_not_found")
    if not any("°" in t for t in joined):
        reasons.append("gimbal_movement_not_found")
    if not any("aircraft status" in t for t in joined):
        reasons.append("flight_status_not_found")
    if any(any(e in t for e in ERRORS) for t in joined if "aircraft status" in t or "ready to go" in t):
        reasons.append("flight_status_error")
    if sum("ready to go" in t or "gps" in t for t in joined) < 3:
        reasons.append("camera_view_too_short")
    return {"verdict": "rejected" if reasons else "approved", "reasons": reasons}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video")
    ap.add_argument("--rc-sn", required=True)
    ap.add_argument("--aircraft-sn")
    args = ap.parse_args()
    result = check(args.video, args.rc_sn, args.aircraft_sn)
    print(json.dumps(result))
    return 0 if result["verdict"] == "approved" else 1


if __name__ == "__main__":
    sys.exit(main())
