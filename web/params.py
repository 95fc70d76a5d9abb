"""Path parameters as bounded integers: an id past the database's integer (``Integer`` is 32
bits on PostgreSQL) is a 422, not an OverflowError or a DataError answered with a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**31 - 1

SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID, description="a submission id")]
FrameIndex = Annotated[int, Path(ge=0, le=100_000, description="an evidence frame's position")]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="a submission id")]
