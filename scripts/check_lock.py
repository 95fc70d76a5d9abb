"""Check that the running environment holds exactly the versions pinned in a lock file.

``.ci/run`` calls it after ``make setup`` so that a clean clone shows, in CI's log, that it
installed the locked versions and nothing else was resolved on the way (exit 1 otherwise).
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name


def pins(lock: Path) -> dict[str, str]:
    """``name -> version`` of the lock's requirement lines whose markers hold here."""
    found = {}
    for line in lock.read_text().splitlines():
        if not line or line[0] in " #-":
            continue
        spec, _, marker = line.rstrip(" \\").partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = spec.strip().partition("==")
        found[canonicalize_name(name)] = version
    return found


def main(argv: list[str]) -> int:
    lock = Path(argv[0] if argv else "requirements-dev.txt")
    wanted = pins(lock)
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = [
        f"{name}: locked {version}, installed {installed.get(name, 'nothing')}"
        for name, version in sorted(wanted.items())
        if installed.get(name) != version
    ]
    for line in wrong:
        print(f"lock: {line}", file=sys.stderr)
    if wrong:
        return 1
    print(f"lock: all {len(wanted)} packages of {lock.name} installed at their locked versions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
