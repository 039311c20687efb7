"""Shared fixtures: the real factor base, loaded once per test session into DuckDB."""

import pytest

from footprint.factors import FactorBase


@pytest.fixture(scope="session")
def factors() -> FactorBase:
    return FactorBase.load()
