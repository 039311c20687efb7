"""The formulas' own examples (worked cases of Green Algorithms and EcoLogits, in their
docstrings) hold: every doctest of the formula modules runs and passes."""

import doctest

import pytest

from footprint.methods import gpu, impacts, llm


@pytest.mark.parametrize("module", [gpu, impacts, llm], ids=lambda m: m.__name__)
def test_the_worked_examples_of_the_formulas_hold(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result
