"""The worked examples written in the library's docstrings hold: every doctest of every module
of core, emission_factors, footprint and scenarios runs and passes (the formulas' own cases are
also checked one by one in tests/footprint/test_formulas.py)."""

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("core", "emission_factors", "footprint", "scenarios")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        root = importlib.import_module(package)
        names += [info.name for info in pkgutil.walk_packages(root.__path__, package + ".")
                  if not info.name.endswith("__main__") and "generate_ecologits" not in info.name]
    return names


MODULES = [name for name in _modules()
           if doctest.DocTestFinder().find(importlib.import_module(name)) and any(
               test.examples for test in doctest.DocTestFinder().find(importlib.import_module(name)))]


def test_the_library_carries_worked_examples():
    assert {"footprint.vocabulary", "core.units", "footprint.methods.llm"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_a_module_hold(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, result
