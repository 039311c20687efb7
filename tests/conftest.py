"""Shared fixtures: the real factor base, loaded once per test session into DuckDB."""

import pytest

from footprint.factor_base import FactorBase


@pytest.fixture(scope="session")
def factors() -> FactorBase:
    return FactorBase.load()
