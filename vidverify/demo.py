"""``make demo``: run ``vidverify check`` on the bundled passing fixture, with its product record
taken from the fixture manifest."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from vidverify.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEMO = "ok_fly_1080p30.mp4"


def run() -> int:
    manifest = json.loads((ROOT / "fixtures" / "videos" / "manifest.json").read_text())
    case = next(c for c in manifest["cases"] if c["file"] == DEMO)
    argv = [
        "check",
        str(ROOT / "fixtures" / "videos" / DEMO),
        "--rc-sn",
        case["product"]["rc_sn"],
        "--aircraft-sn",
        case["product"]["aircraft_sn"],
        "--evidence-dir",
        str(ROOT / ".demo-evidence"),
    ]
    print("$ vidverify " + " ".join(argv), flush=True)
    status = main(argv)
    print(f"(exit status {status}; evidence frames in .demo-evidence/)")
    return status


if __name__ == "__main__":
    sys.exit(run())
