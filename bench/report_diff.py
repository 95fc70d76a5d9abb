"""Save every fixture's and shared sample's report, then compare a later run with the saved one.

A refactor of the reader must not change what a recording is judged to be: this runs
``analyse_file`` on every case of ``fixtures/videos/manifest.json`` and
``../shared/samples/manifest.json`` (the claim is the case's product record) and keeps each
report's JSON without its timings, which vary from run to run.

    python -m bench.report_diff save /tmp/baseline        # record
    python -m bench.report_diff compare /tmp/baseline     # exit 1 and print each difference
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pipeline.analyse import analyse_file
from pipeline.models import Claim

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = (
    ROOT / "fixtures" / "videos" / "manifest.json",
    ROOT.parent / "shared" / "samples" / "manifest.json",
)
COMPARED = ("verdict", "reasons", "findings", "uncertain", "steps", "serials", "app", "video")


def cases(only: list[str] | None = None) -> list[tuple[str, Path, Claim]]:
    found: list[tuple[str, Path, Claim]] = []
    for manifest in MANIFESTS:
        if not manifest.exists():
            print(f"missing {manifest}, skipped", file=sys.stderr)
            continue
        for case in json.loads(manifest.read_text())["cases"]:
            if only and case["id"] not in only:
                continue
            product = case.get("product") or {}
            claim = Claim(
                rc_sn=product.get("rc_sn") or "UNKNOWN",
                aircraft_sn=product.get("aircraft_sn"),
                model=product.get("model"),
            )
            found.append((case["id"], manifest.parent / case["file"], claim))
    return found


def report_json(path: Path, claim: Claim) -> dict[str, Any]:
    data = analyse_file(path, claim, source=path.name).model_dump(mode="json")
    data.pop("timings", None)
    return data


def differences(old: Any, new: Any, where: str = "") -> list[str]:
    """Each path where two JSON values differ, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += differences(old.get(key), new.get(key), f"{where}.{key}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        if len(old) != len(new):
            out.append(f"{where}: {len(old)} items -> {len(new)} items")
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            out += differences(a, b, f"{where}[{i}]")
        return out
    return [] if old == new else [f"{where}: {old!r} -> {new!r}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("save", "compare"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--only", nargs="*", help="case ids (default: all)")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    changed = 0
    for case_id, path, claim in cases(args.only):
        new = report_json(path, claim)
        saved = args.folder / f"{case_id}.json"
        if args.mode == "save":
            saved.write_text(json.dumps(new, indent=1, sort_keys=True))
            print(f"{case_id}: {new['verdict']} {new['reasons']}", flush=True)
            continue
        if not saved.exists():
            print(f"{case_id}: no saved report", flush=True)
            changed += 1
            continue
        old = json.loads(saved.read_text())
        diff = [d for key in COMPARED for d in differences(old.get(key), new.get(key), key)]
        print(f"{case_id}: {'same' if not diff else f'{len(diff)} difference(s)'}", flush=True)
        for line in diff:
            print(f"    {line}")
        changed += bool(diff)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
