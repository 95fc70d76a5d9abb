"""Exceptions raised by the eligibility core.

A *refusal* by the rules is not an exception: it is a decision, returned and audited. These
exceptions are for input the core cannot act on at all (unknown serial, malformed value),
which callers such as the CLI report as bad usage without changing anything.
"""

from __future__ import annotations


class EligibilityError(Exception):
    """Base class of every error the eligibility core raises on purpose."""


class InvalidInput(EligibilityError, ValueError):
    """A value the core cannot accept: malformed serial, unknown model/region, future time..."""


class UnknownProduct(InvalidInput, LookupError):
    """No product record has this aircraft or RC serial."""


class SchemaError(EligibilityError):
    """The database holds a schema newer than this code understands."""
