"""Integer rupiah: the fee, display and parsing typed amounts."""
import pytest

from quickcart.money import format_rupiah, parse_rupiah, qris_fee


def test_fee_is_point_seven_percent_rounded_down_plus_310():
    assert qris_fee(50_000, 70, 310) == 350 + 310
    assert qris_fee(29_999, 70, 310) == 209 + 310  # 209.993 rounds down
    assert qris_fee(100, 0, 0) == 0


def test_rupiah_uses_dots_for_thousands():
    assert format_rupiah(50_000) == "Rp50.000"
    assert format_rupiah(1_234_567) == "Rp1.234.567"
    assert format_rupiah(0) == "Rp0"
    assert format_rupiah(-5_000) == "-Rp5.000"


@pytest.mark.parametrize("typed, amount", [
    ("50000", 50_000), ("50.000", 50_000), ("Rp 50.000", 50_000), ("rp50000", 50_000),
    ("50rb", 50_000), ("50 ribu", 50_000), ("50k", 50_000), ("1jt", 1_000_000), (" 75000 ", 75_000),
])
def test_typed_amounts_people_write_are_understood(typed, amount):
    assert parse_rupiah(typed) == amount


@pytest.mark.parametrize("typed", ["", "abc", "-5000", "50,5", "50000.5", "5.00", "50.0000", "1e6",
                                   "５００００", "50000 rupiah banyak", "9" * 30])
def test_anything_else_is_refused(typed):
    with pytest.raises(ValueError):
        parse_rupiah(typed)
