"""The admin commands' syntax: what parses, and what is refused with which command's usage."""

import pytest

from quickcart import admin_views
from quickcart.admin_syntax import (
    BalanceChange,
    ProductText,
    RefundRequest,
    StorefrontEdit,
    UsageError,
    command_name,
    parse_add_balance,
    parse_add_product,
    parse_add_stock_head,
    parse_ban,
    parse_edit_pairs,
    parse_edit_product,
    parse_invoice,
    parse_line_ids,
    parse_orders_count,
    parse_product_id,
    parse_product_text,
    parse_refund,
    parse_set_role,
    parse_set_text,
    parse_switch,
    split_command,
)
from quickcart.handlers import admin
from quickcart.i18n import speaker
from tests.admin_words import SAY, refusal, syntax_of, usage_of


def refused(parse, *args) -> UsageError:
    """The refusal, which must be one the admin can read: its reason's key and values render."""
    with pytest.raises(UsageError) as caught:
        parse(*args)
    admin_views.usage(SAY, caught.value.command, caught.value.reason, caught.value.values)
    return caught.value


def test_a_command_is_split_into_name_first_line_and_body():
    command = split_command("/addstock@quickcart_bot 5\r\nline 1\r\nline 2\r\n")
    assert (command.name, command.args, command.body) == ("addstock", "5", "line 1\r\nline 2")
    assert split_command("/STATS").name == "stats"
    assert split_command("halo /stats") is None
    assert command_name(None) is None and command_name("/backup") == "backup"


def test_addproduct_takes_four_or_five_fields_and_a_description_with_pipes():
    product = parse_add_product("Netflix 1 Bulan | Streaming | 50.000 | 45rb | Akun | sharing\nbaris 2")
    assert (product.name, product.category, product.customer_price, product.reseller_price) == (
        "Netflix 1 Bulan", "Streaming", 50_000, 45_000)
    assert product.description == "Akun | sharing\nbaris 2"
    assert parse_add_product("Spotify | Musik | 20000 | 18000").description == ""


@pytest.mark.parametrize("argument", [
    "", "Netflix", "Netflix | Streaming | 50000", " | Streaming | 50000 | 45000",
    "Netflix |  | 50000 | 45000", "Netflix | Streaming | -5 | 45000", "Netflix | Streaming | 50000 | -1",
    "Netflix | Streaming | 50,5 | 45000", "Netflix | Streaming | lima puluh | 45000",
])
def test_malformed_addproduct_is_refused_with_its_usage(argument):
    assert refused(parse_add_product, argument).command == "addproduct"


def test_edit_values_may_contain_spaces_and_run_to_the_next_known_field():
    assert parse_edit_pairs("name=Netflix 1 Bulan price=55.000 reseller_price=50000") == {
        "name": "Netflix 1 Bulan", "customer_price": 55_000, "reseller_price": 50_000}
    assert parse_edit_pairs("description=Login via email=password; garansi 30 hari") == {
        "description": "Login via email=password; garansi 30 hari"}
    assert parse_edit_pairs("NAMA=Spotify  Kategori=Musik") == {"name": "Spotify", "category": "Musik"}


def test_quoted_values_keep_text_that_looks_like_a_field():
    assert parse_edit_pairs('description="beli 2 price=murah ""hemat""" name=X') == {
        "description": 'beli 2 price=murah "hemat"', "name": "X"}
    assert parse_edit_pairs('description=""') == {"description": ""}


@pytest.mark.parametrize("text", [
    "", "Netflix", "warna=merah", "name=A name=B", "price=-1", "price=abc", 'name="tidak ditutup',
    'name="a"b', "garansi=tujuh", "max_quantity=-2",
])
def test_malformed_edits_are_refused(text):
    assert refused(parse_edit_pairs, text).command == "editproduct"


def test_a_price_of_zero_is_a_free_item_for_the_catalogue_to_allow_or_refuse():
    assert parse_edit_pairs("price=0 reseller=0 kind=Unlimited garansi=7 maks=3") == {
        "customer_price": 0, "reseller_price": 0, "kind": "unlimited", "warranty_days": 7, "max_quantity": 3}
    assert parse_add_product("Ebook | Buku | 0 | 0").customer_price == 0


def test_editproduct_needs_a_numeric_id_first():
    assert parse_edit_product("#7 price=1000") == (7, {"customer_price": 1000})
    assert parse_edit_product("7\nname=Baru sekali") == (7, {"name": "Baru sekali"})
    assert refused(parse_edit_product, "tujuh price=1000").command == "editproduct"
    assert refused(parse_edit_product, "7").command == "editproduct"


@pytest.mark.parametrize("args", ["", "abc", "0", "-3", "3 4", "3.5"])
def test_a_product_id_is_one_positive_number(args):
    assert refused(parse_product_id, "enable", args).command == "enable"


def test_addbalance_takes_a_signed_amount_an_optional_silent_flag_and_an_optional_note():
    assert parse_add_balance("123 -5.000 koreksi salah input") == BalanceChange("123", -5000, "koreksi salah input",
                                                                                 silent=False)
    assert parse_add_balance("@budi +10rb") == BalanceChange("@budi", 10_000, "", silent=False)
    assert parse_add_balance("123 5000 silent bonus") == BalanceChange("123", 5000, "bonus", silent=True)
    assert parse_add_balance("123 5000 SILENT") == BalanceChange("123", 5000, "", silent=True)
    # Only right after the amount is it the flag; elsewhere it is part of the note.
    assert parse_add_balance("123 5000 bonus silent") == BalanceChange("123", 5000, "bonus silent", silent=False)
    for argument in ("123", "123 0", "123 abc", "123 -", ""):
        assert refused(parse_add_balance, argument).command == "addbalance"


def test_ban_setrole_orders_maintenance_and_invoice_forms():
    assert parse_ban("123 spam berulang") == ("123", "spam berulang")
    assert parse_ban("@budi") == ("@budi", "")
    assert parse_set_role("123 Reseller") == ("123", "reseller")
    assert refused(parse_set_role, "123 admin").command == "setrole"
    assert (parse_orders_count(""), parse_orders_count("20"), parse_orders_count("500")) == (10, 20, 50)
    assert refused(parse_orders_count, "0").command == "orders"
    assert (parse_switch("maintenance", "ON"), parse_switch("maintenance", "off")) == (True, False)
    assert refused(parse_switch, "maintenance", "nyala").command == "maintenance"
    assert parse_invoice("order", "trx20241228abc123") == "TRX20241228ABC123"
    assert refused(parse_invoice, "order", "TRX-1; DROP").command == "order"


def test_a_refusal_names_what_is_wrong_by_key_and_what_was_typed():
    wrong_price = refused(parse_add_product, "Netflix | Streaming | lima puluh | 45000")
    assert (wrong_price.reason, wrong_price.values["typed"]) == ("admin.reason.not_whole_rupiah", "lima puluh")
    answer = refusal("addproduct", wrong_price.reason, **wrong_price.values)
    assert SAY.plain("admin.what.customer_price") in answer and "lima puluh" in answer  # the word is said
    assert refused(parse_edit_pairs, "warna=merah").values == {"field": "warna"}
    assert refused(parse_add_balance, "123").reason == ""  # only the wrong format: the syntax says the rest


def test_every_admin_command_has_a_syntax_an_example_and_a_description():
    say = speaker()
    for command in admin.COMMANDS:
        for part in admin_views.COMMAND_PARTS:
            assert say.texts.has(say.language, f"admin.command.{command}.{part}"), (command, part)
        text = admin_views.usage(say, command, "admin.reason.no_such_user", {"query": "<x> & y"})
        assert "&lt;x&gt; &amp; y" in text
        assert refusal(command, "admin.reason.no_such_user", query="<x> & y").endswith(usage_of(command))
        assert usage_of(command).startswith(syntax_of(command))


def test_long_lists_are_split_between_lines_under_the_telegram_limit():
    lines = [f"<b>#{i}</b> " + "x" * 90 for i in range(200)]
    messages = admin_views.split_for_telegram(SAY, lines)
    assert len(messages) > 1 and all(len(message) <= 4096 for message in messages)
    assert "\n".join(messages).split("\n") == lines


def test_line_ids_are_read_by_spaces_or_commas_each_once():
    assert parse_line_ids("delline", "12, #13 12\n14") == [12, 13, 14]
    with pytest.raises(UsageError) as refused:
        parse_line_ids("delline", " ".join(["1"] * 101))
    assert refused.value.reason == "admin.reason.too_many_lines"


def test_sort_and_terms_are_editable_fields():
    assert parse_edit_pairs("sort=3 snk=Jangan <b>ganti</b> password=baru") == {
        "sort_order": 3, "terms": "Jangan <b>ganti</b> password=baru"}
    with pytest.raises(UsageError):
        parse_edit_pairs("urutan=-1")


def test_a_product_text_comes_below_the_command_or_off_removes_it():
    assert parse_product_text("setterms", split_command("/setterms 3\nbaris 1\nbaris 2")) == ProductText(
        3, "baris 1\nbaris 2")
    assert parse_product_text("setterms", split_command("/setterms 3 OFF")) == ProductText(3, None)
    with pytest.raises(UsageError):
        parse_product_text("setterms", split_command("/setterms 3"))


def test_settext_names_a_storefront_text_and_reset_is_a_word_of_its_own():
    names = ("welcome", "help")
    assert parse_set_text(split_command("/settext"), names) == StorefrontEdit(None, None)
    assert parse_set_text(split_command("/settext Welcome\nHalo\n{name}"), names) == StorefrontEdit(
        "welcome", "Halo\n{name}")
    assert parse_set_text(split_command("/settext help reset"), names) == StorefrontEdit("help", None, reset=True)
    assert parse_set_text(split_command("/settext help"), names) == StorefrontEdit("help", None)
    with pytest.raises(UsageError):
        parse_set_text(split_command("/settext footer x"), names)
def test_refund_takes_an_invoice_then_an_optional_amount_then_an_optional_reason():
    assert parse_refund("trx20241228abc123") == RefundRequest("TRX20241228ABC123", None, "")
    assert parse_refund("TRX1 15.000 akun mati") == RefundRequest("TRX1", 15_000, "akun mati")
    assert parse_refund("TRX1 Rp15rb") == RefundRequest("TRX1", 15_000, "")
    assert parse_refund("TRX1 akun mati 2 kali") == RefundRequest("TRX1", None, "akun mati 2 kali")
    assert refused(parse_refund, "").command == "refund"
    assert refused(parse_refund, "TRX1 15,5 rusak").reason == "admin.reason.not_whole_rupiah"
    assert refused(parse_refund, "TRX1 0").reason == "admin.reason.not_positive"
    assert refused(parse_refund, "TRX-1 5000").reason == "admin.reason.invoice"


def test_addstock_takes_an_item_on_the_same_line_after_the_id():
    assert parse_add_stock_head("7 akun@mail.com:pw rahasia") == (7, "akun@mail.com:pw rahasia")
    assert parse_add_stock_head("#7") == (7, "")
    wrong = refused(parse_add_stock_head, "akun:pw")
    assert (wrong.reason, wrong.values["typed"]) == ("admin.reason.not_a_number", "akun:pw")
    assert refused(parse_add_stock_head, "").reason == ""


def test_a_period_is_a_word_a_month_or_days_and_never_runs_past_today():
    from datetime import date

    from quickcart.admin_syntax import parse_period
    from quickcart.timeutil import DayRange

    today = date(2026, 11, 20)
    assert parse_period("stats", "", today) is None
    assert parse_period("stats", "today", today) == DayRange(today, today)
    assert parse_period("stats", "7d", today) == DayRange(date(2026, 11, 14), today)
    assert parse_period("stats", "30D", today).days == 30
    assert parse_period("stats", "month", today) == DayRange(date(2026, 11, 1), today)
    assert parse_period("stats", "2026-10", today) == DayRange(date(2026, 10, 1), date(2026, 10, 31))
    assert parse_period("stats", "2024-02", today) == DayRange(date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period("stats", "2026-11", today) == DayRange(date(2026, 11, 1), today)
    assert parse_period("export", "2026-11-01 2026-11-05", today) == DayRange(date(2026, 11, 1), date(2026, 11, 5))
    assert parse_period("export", "2026-11-01", today) == DayRange(date(2026, 11, 1), today)
    assert refused(parse_period, "stats", "kemarin", today).values["typed"] == "kemarin"
    assert refused(parse_period, "stats", "2026-13", today).reason == "admin.reason.period"
    assert refused(parse_period, "stats", "400d", today).reason == "admin.reason.period_days"
    assert refused(parse_period, "export", "2026-11-05 2026-11-01", today).reason == "admin.reason.period_order"
    assert refused(parse_period, "export", "2026-12", today).reason == "admin.reason.period_order"
    assert refused(parse_period, "export", "2026-02-30", today).reason == "admin.reason.period"
