"""Password hashing with the standard library's scrypt (memory-hard), self-describing strings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_LEN = 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` for ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; constant-time comparison."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A hash of nothing, checked against when the user does not exist, so a wrong name takes
# as long as a wrong password.
DUMMY_HASH = hash_password(secrets.token_hex(8))


MIN_LENGTH = 10
MIN_STRENGTH = 3  # zxcvbn's score, 0..4: 3 is "safely unguessable" for an online attack


def policy_problem(password: str, name: str = "") -> str | None:
    """Why this password may not be set, or None. Length first, then zxcvbn (a well-kept
    estimator with common-password, dictionary, keyboard and repeat lists): ``password`` and
    eight spaces were accepted before."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if not password.strip():
        return "the password may not be only spaces"
    result = zxcvbn(password[:100], user_inputs=[name, "vidverify", "dji"])
    if result["score"] < MIN_STRENGTH:
        warning = result["feedback"].get("warning") or "it is too easy to guess"
        return f"the password is too weak: {warning.rstrip('.')}"
    return None
