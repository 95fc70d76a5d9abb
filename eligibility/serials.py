"""Serial number formats accepted for aircraft and remote controllers.

Two formats exist (see DESIGN.md): the ANSI/CTA-2063-A form used by newer DJI products,
``1581F`` followed by 15 characters from digits and upper-case letters without O and I, and
the older 14-character upper-case alphanumeric form. Validating at the boundary keeps
malformed serials (OCR noise, typos) out of the store.
"""

from __future__ import annotations

import re

_CTA_2063 = re.compile(r"1581F[0-9A-HJ-NP-Z]{15}")
_LEGACY = re.compile(r"[A-Z0-9]{14}")


def is_valid_serial(serial: str) -> bool:
    """True when ``serial`` is a 14-character legacy serial or a DJI CTA-2063-A serial."""
    return bool(_LEGACY.fullmatch(serial) or _CTA_2063.fullmatch(serial))


def check_serial(serial: str, what: str = "serial") -> str:
    """Return ``serial`` stripped of surrounding blanks, or raise ``ValueError`` saying why."""
    cleaned = serial.strip()
    if not is_valid_serial(cleaned):
        raise ValueError(
            f"malformed {what} {serial!r}: expected 14 upper-case letters/digits "
            "or 1581F followed by 15 characters of 0-9 and A-Z without I and O"
        )
    return cleaned
