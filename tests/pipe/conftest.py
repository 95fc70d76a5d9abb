"""Fixtures for the pipeline tests (the manifests' helpers are in ``tests.support.fixture_videos``)."""

from __future__ import annotations

import pytest

from tests.support.fixture_videos import FIXTURES, load_cases


@pytest.fixture(scope="session")
def fixture_cases() -> list[dict]:
    return load_cases(FIXTURES)
