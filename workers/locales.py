"""The owner's language: a BCP 47 tag given with a submission, reduced to one we write in.

The languages are the e-mail text files in ``workers/data/emails/`` (``fr.json`` makes ``fr``
one). A tag is parsed and matched by ``langcodes`` (CLDR's language matching), so ``fr-FR``
is ``fr``, ``zh-Hant-TW``, ``zh-HK`` and ``zh-TW`` are ``zh-TW``, ``zh``, ``zh-Hans`` and
``zh-CN`` are ``zh-CN``. Only close matches count (same language, another region or a script
that implies it): a Catalan or Slovak reader gets English, not Spanish or Czech, because a
wrong language reads worse than English. A well-formed tag we do not write (``nl``, ``pt-BR``)
is English; a malformed one (``fr FR``, ``123``, ``english``) is a ``ValueError`` saying so.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import langcodes
from langcodes.tag_parser import LanguageTagError

DEFAULT = "en"
MAX_LENGTH = 64
TEXTS_DIR = Path(__file__).parent / "data" / "emails"

# CLDR distances: 0-9 is the same language (region, or a script the region implies);
# 10 and more is another language a reader may understand (ca -> es, sk -> cs).
_MAX_DISTANCE = 9
# RFC 5646 shape before langcodes' parse: a letter subtag first, 1-8 alphanumerics after.
_SHAPE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


@functools.cache
def supported() -> tuple[str, ...]:
    """The locales with an e-mail text file, English first."""
    names = sorted(p.stem for p in TEXTS_DIR.glob("*.json"))
    return (DEFAULT, *(n for n in names if n != DEFAULT))


def normalise_locale(tag: str) -> str:
    """The supported locale closest to ``tag`` (English when none is close); ``ValueError``
    with the reason when ``tag`` is not a language tag at all."""
    text = tag.strip().replace("_", "-")
    if not text:
        raise ValueError("the locale is empty: give a language tag such as en, fr or zh-TW, or leave it out")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"a locale has at most {MAX_LENGTH} characters")
    malformed = f"not a language tag (BCP 47, such as en, fr-FR or zh-Hant-TW): {tag!r}"
    if not _SHAPE.fullmatch(text):
        raise ValueError(malformed)
    try:
        langcodes.Language.get(text)
    except LanguageTagError as exc:
        raise ValueError(f"{malformed}: {exc}") from exc
    match = langcodes.closest_supported_match(text, list(supported()), max_distance=_MAX_DISTANCE)
    return match or DEFAULT
