"""Owner e-mail addresses, parsed by ``email-validator`` (the parser behind pydantic's
``EmailStr``), not by a pattern: ``zoom@owner.test,root`` matched the old pattern and was
delivered to two mailboxes.

One address, no display name, no comma lists, no quoted local parts, no domain literals; the
domain is normalised (IDNA). The reserved ``.test`` domains are accepted (staging and tests
send to them); no DNS is asked.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 320


def normalise_email(address: str) -> str:
    """The address in normal form; ``ValueError`` saying why when it is not one address."""
    address = address.strip()
    if len(address) > MAX_LENGTH:
        raise ValueError(f"an e-mail address has at most {MAX_LENGTH} characters")
    try:
        parsed = validate_email(
            address,
            check_deliverability=False,
            test_environment=True,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except EmailNotValidError as exc:
        raise ValueError(f"not an e-mail address: {exc}") from exc
    return parsed.normalized
