"""/setfields: labels and patterns checked when saved; patterns that could backtrack for long refused."""
from __future__ import annotations

import time

import pytest

from quickcart.buyer_fields import MAX_VALUE, Field, all_accepted, dump, load, parse_spec
from quickcart.catalogue import ProductError


def test_fields_with_and_without_patterns_and_a_pattern_that_uses_a_bar():
    fields = parse_spec(r"ID Game:^\d{5,12}$ | Server:^\d{1,5}$ | Catatan | Region:ID|SG")
    assert fields == [Field("ID Game", r"^\d{5,12}$"), Field("Server", r"^\d{1,5}$"), Field("Catatan"),
                      Field("Region", "ID|SG")]
    assert load(dump(fields)) == fields and load(None) == []


@pytest.mark.parametrize("value, accepted", [
    ("123456", True), ("123456789012", True), ("1234", False), ("12345a", False), ("123456\n7", False),
    ("1234567890123", False), ("", False),
])
def test_a_value_must_match_the_whole_pattern(value, accepted):
    assert Field("ID", r"\d{5,12}").accepts(value) is accepted


def test_a_field_without_a_pattern_takes_one_line_up_to_the_limit():
    assert Field("Catatan").accepts("apa saja, boleh <b>")
    assert not Field("Catatan").accepts("x" * (MAX_VALUE + 1))
    assert not all_accepted([Field("A"), Field("B")], ["satu"])


@pytest.mark.parametrize("text, reason", [
    ("", "admin.reason.fields_empty"),
    ("A | | B", "admin.reason.field_label"),
    ("A | B | C | D | E | F", "admin.reason.fields_too_many"),
    ("ID:", "admin.reason.pattern_empty"),
    (":^a$", "admin.reason.field_label"),
    ("ID | id", "admin.reason.field_twice_named"),
    ("ID:[0-9", "admin.reason.pattern_invalid"),
    ("ID:" + "a" * 101, "admin.reason.pattern_too_long"),
    ("ID:(a+)+$", "admin.reason.pattern_risky"),
    ("ID:(a|aa)*b", "admin.reason.pattern_risky"),
    (r"ID:(\w+\s?)*$", "admin.reason.pattern_risky"),
    (r"ID:(a)\1", "admin.reason.pattern_risky"),
    (r"ID:a*b*c*d*e", "admin.reason.pattern_risky"),
])
def test_bad_or_risky_specs_are_refused_with_their_reason(text, reason):
    with pytest.raises(ProductError) as refused:
        parse_spec(text)
    assert refused.value.key == reason


@pytest.mark.parametrize("pattern", [r"^\d{5,12}$", r"[A-Z]+-\d+-\w+", r".*@.*\..*", r"^(ID|SG|MY)\d+$"])
def test_an_accepted_pattern_answers_the_worst_input_at_once(pattern):
    (field,) = parse_spec(f"X:{pattern}")
    for worst in ("a" * MAX_VALUE, "1" * MAX_VALUE + "!", "@." * (MAX_VALUE // 2)):
        started = time.perf_counter()
        field.accepts(worst)
        assert time.perf_counter() - started < 0.05
