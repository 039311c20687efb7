"""Numbers and quantities the French way."""

from footprint.io.formatting import format_number, format_quantity, format_range


def test_numbers_use_a_thin_space_for_thousands_and_a_decimal_comma():
    assert format_number(1234567) == "1\u202f234\u202f567"
    assert format_number(1234.5, significant=5) == "1\u202f234,5"
    assert format_number(0.001234) == "0,00123"
    assert format_number(0) == "0"


def test_quantities_pick_a_readable_unit_and_never_milliwatt_hours():
    assert format_quantity(0.00192, "kWh") == "1,92 Wh"
    assert format_quantity(0.0000814, "kWh") == "0,0814 Wh"
    assert format_quantity(2500, "kWh") == "2,50 MWh"
    assert format_quantity(0.5, "kgCO2e") == "500 gCO2e"
    assert format_quantity(1500, "L") == "1,50 m³"


def test_range_is_shown_in_the_central_value_unit():
    assert format_range(0.0014, 0.0019, 0.0024, "kWh") == "1,90 Wh (de 1,40 à 2,40 Wh)"
    assert format_range(2.0, 2.0, 2.0, "kWh") == "2 kWh"
