"""The formulas, one function per physical quantity: arrays in, arrays out, units through Pint.

``llm`` (EcoLogits' method for the inference of a language model), ``gpu`` (hours of GPU,
Green Algorithms' method) and ``impacts`` (electricity and manufacturing into GHG, water,
abiotic resources and primary energy). Each carries its references and worked examples as
doctests; the coefficients come from the factor base, never from this code.
"""
