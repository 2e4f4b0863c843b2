"""Each person's language: where it comes from, when it changes, and that every language is whole.

(That every language has every key with the same placeholders: tests/unit/test_catalogue.py.)
"""
from __future__ import annotations

import re

import pytest

from quickcart import catalogue, storefront, users
from quickcart.admin_syntax import UsageError, parse_edit_category, parse_edit_product
from quickcart.catalogue import ProductError
from quickcart.handlers import routes
from quickcart.handlers.context import COMMAND_MENU, MAIN_MENU
from quickcart.i18n import DEFAULT_LANGUAGE, ENGLISH, TELEGRAM_MENUS, language_for_telegram, speaker
from quickcart.i18n import catalogue as texts
from quickcart.models import AuditLog, CategoryName, User
from tests.telltales import ENGLISH as ENGLISH_WORDS
from tests.telltales import INDONESIAN as INDONESIAN_WORDS
from tests.telltales import giveaways
from tests.unit.test_catalogue import texts_of


def identity(user_id: int, language_code: str | None) -> users.TelegramIdentity:
    return users.TelegramIdentity(id=user_id, first_name="Budi", language_code=language_code)


# --- where a language comes from ----------------------------------------------------------

@pytest.mark.parametrize("code, language", [
    ("id", "id"), ("ms", "id"), ("jv", "id"), ("su", "id"), (None, "id"), ("", "id"), ("ID", "id"),
    ("ms-MY", "id"), ("en", "en"), ("en-US", "en"), ("en_GB", "en"), ("de", "en"), ("zh-hans", "en"),
    ("pt-br", "en"),
])
def test_a_telegram_language_code_gives_indonesian_or_english(code, language):
    assert language_for_telegram(code) == language


def test_a_new_user_gets_the_language_of_their_telegram_app(db):
    assert users.register(identity(1, "en-US"))[0].language == ENGLISH
    assert users.register(identity(2, "ms"))[0].language == DEFAULT_LANGUAGE
    assert users.register(identity(3, None))[0].language == DEFAULT_LANGUAGE


def test_until_they_choose_the_language_follows_their_telegram_app(db):
    users.register(identity(1, "id"))
    assert users.register(identity(1, "en"))[0].language == ENGLISH
    assert users.register(identity(1, None))[0].language == ENGLISH, "no code says nothing about it"
    assert users.register(identity(1, "id"))[0].language == DEFAULT_LANGUAGE


def test_a_choice_is_kept_whatever_telegram_says_later(db):
    users.register(identity(1, "en"))
    assert users.choose_language(1, DEFAULT_LANGUAGE) is True
    for code in ("en", "de", None):
        user, _ = users.register(identity(1, code))
        assert (user.language, user.language_chosen) == (DEFAULT_LANGUAGE, True)


def test_choosing_the_same_language_twice_changes_nothing_the_second_time(db):
    users.register(identity(1, "en"))
    assert users.choose_language(1, ENGLISH) is True, "the first choice is recorded, even of the same language"
    assert users.choose_language(1, ENGLISH) is False
    assert users.choose_language(1, DEFAULT_LANGUAGE) is True
    assert User.get_by_id(1).language == DEFAULT_LANGUAGE


def test_a_language_without_a_file_is_spoken_in_the_shop_default():
    assert speaker("xx").language == DEFAULT_LANGUAGE and speaker(None).language == DEFAULT_LANGUAGE


# --- commands and labels in every language -------------------------------------------------

def test_the_catalogue_has_indonesian_and_english():
    assert set(texts().languages) == {DEFAULT_LANGUAGE, ENGLISH}


@pytest.mark.parametrize("entry", COMMAND_MENU)
def test_each_menu_command_is_routed_in_every_language_to_the_same_handler(entry):
    names = {language: texts().plain(language, f"commands.{entry}.name") for language in texts().languages}
    handlers = {routes.COMMANDS.get(name) for name in names.values()}
    assert None not in handlers and len(handlers) == 1, names
    assert len(set(names.values())) == len(names) or entry == "start", "each language names it its own way"


def test_no_customer_command_in_any_language_is_named_like_an_admin_command():
    # Admin commands answer everyone else as unknown; a customer alias of the same name would not.
    assert not set(routes.COMMANDS) & set(routes.ADMIN_COMMANDS)


def test_main_menu_labels_differ_between_languages_so_any_keyboard_is_understood():
    labels = [texts().plain(language, key) for language in texts().languages for row in MAIN_MENU for key in row]
    assert len(labels) == len(set(labels))


def test_telegram_shows_indonesian_commands_to_indonesian_apps_and_english_to_everyone_else():
    assert TELEGRAM_MENUS[""] == ENGLISH
    assert {code for code, language in TELEGRAM_MENUS.items() if language == DEFAULT_LANGUAGE} == {
        "id", "ms", "jv", "su"}


# --- each language all in itself -------------------------------------------------------------

_NOT_WORDS = re.compile(r"\{[^{}]*\}|<code>.*?</code>", re.DOTALL)  # placeholders; commands and file names


def every_text(language: str, keys) -> dict[str, str]:
    return {key: _NOT_WORDS.sub(" ", texts_of(texts(), language, key)) for key in keys}


def test_no_english_text_has_an_indonesian_word_left_in_it():
    leftovers = {key: found for key, text in every_text(ENGLISH, texts().keys(ENGLISH)).items()
                 if (found := giveaways(text, INDONESIAN_WORDS))}
    assert not leftovers


def test_no_text_a_customer_reads_in_indonesian_has_an_english_word_in_it():
    # Admins' own texts keep the English names of command fields and choices (price=, deliver|credit|close).
    customers = {key for key in texts().keys(DEFAULT_LANGUAGE) if not key.startswith(("admin.", "notice."))}
    leftovers = {key: found for key, text in every_text(DEFAULT_LANGUAGE, customers).items()
                 if (found := giveaways(text, ENGLISH_WORDS))}
    assert not leftovers


# --- the seller's English names ----------------------------------------------------------------

def test_editproduct_takes_the_english_name_and_description():
    assert parse_edit_product("3 name_en=Netflix 1 Month desc_en=Shared account, 1 profile") == (
        3, {"name_en": "Netflix 1 Month", "description_en": "Shared account, 1 profile"})
    assert parse_edit_product("3 name_en= price=5000") == (3, {"name_en": "", "customer_price": 5000})


def test_editcat_takes_a_category_with_spaces_then_its_english_name():
    assert parse_edit_category("Voucher Game name_en=Game Vouchers") == ("Voucher Game", {"name_en": "Game Vouchers"})
    assert parse_edit_category(" Streaming  NAME_EN=") == ("Streaming", {"name_en": ""})
    for malformed in ("", "Streaming", "name_en=Games", "Streaming name_en=a name_en=b", "Streaming price=5"):
        with pytest.raises(UsageError) as refused:
            parse_edit_category(malformed)
        assert refused.value.command == "editcat"


def test_a_product_keeps_its_english_name_within_the_limits(db):
    product = catalogue.add_product(1, "Netflix 1 Bulan", "Streaming", 50_000, 45_000, "Akun sharing")
    edited = catalogue.edit_product(1, product.id, {"name_en": "Netflix 1 Month", "description_en": "Shared"})
    assert (edited.name_en, edited.description_en, edited.name) == ("Netflix 1 Month", "Shared", "Netflix 1 Bulan")
    for bad in ("x" * 101, "two\nlines"):
        with pytest.raises(ProductError) as refused:
            catalogue.edit_product(1, product.id, {"name_en": bad})
        assert refused.value.key == "admin.reason.name_en_too_long"
    assert catalogue.get(product.id).name_en == "Netflix 1 Month"


def test_a_category_is_named_in_english_by_any_case_of_its_name_and_audited(db):
    catalogue.add_product(1, "Steam 60rb", "Voucher Game", 60_000, 58_000)
    assert catalogue.name_category(1, "voucher game", "Game Vouchers") == "Voucher Game"
    assert [(c.name, c.name_en) for c in catalogue.categories()] == [("Voucher Game", "Game Vouchers")]
    catalogue.name_category(1, "Voucher Game", "Game Codes")
    assert catalogue.categories()[0].name_en == "Game Codes"
    catalogue.name_category(1, "Voucher Game", "")
    assert catalogue.categories()[0].name_en == ""
    edits = list(AuditLog.select().where(AuditLog.action == "category.edit").order_by(AuditLog.id))
    assert [edit.subject for edit in edits] == ["category:Voucher Game"] * 3


def test_an_unknown_category_or_an_overlong_name_is_refused_and_changes_nothing(db):
    catalogue.add_product(1, "Steam 60rb", "Voucher Game", 60_000, 58_000)
    with pytest.raises(ProductError) as refused:
        catalogue.name_category(1, "Streaming", "Streaming")
    assert refused.value.key == "admin.reason.no_such_category"
    with pytest.raises(ProductError) as refused:
        catalogue.name_category(1, "Voucher Game", "x" * 61)
    assert refused.value.key == "admin.reason.category_en_too_long"
    assert catalogue.categories()[0].name_en == "" and not AuditLog.select().where(
        AuditLog.action == "category.edit").exists()


def test_english_descriptions_and_terms_are_checked_like_the_indonesian_ones(db):
    product = catalogue.add_product(1, "Netflix 1 Bulan", "Streaming", 50_000, 45_000)
    edited = catalogue.edit_product(1, product.id, {"description_en": "<b>Shared</b> & cheap",
                                                    "terms_en": "No <i>refunds</i>"})
    assert (edited.description_en, edited.terms_en) == ("<b>Shared</b> &amp; cheap", "No <i>refunds</i>")
    for field, key in (("description_en", "admin.reason.description_format"),
                       ("terms_en", "admin.reason.terms_format")):
        with pytest.raises(ProductError) as refused:
            catalogue.edit_product(1, product.id, {field: "<b>never closed"})
        assert refused.value.key == key


def test_changing_the_english_terms_asks_for_them_to_be_accepted_again(db):
    product = catalogue.add_product(1, "Netflix 1 Bulan", "Streaming", 50_000, 45_000)
    product = catalogue.edit_product(1, product.id, {"terms": "Jangan ganti password"})
    before = catalogue.terms_digest(product)
    assert catalogue.terms_digest(catalogue.edit_product(1, product.id, {"terms_en": "Keep the password"})) != before


def test_a_renamed_category_keeps_its_english_name(db):
    catalogue.add_product(1, "Steam 60rb", "Voucher Game", 60_000, 58_000)
    catalogue.add_product(1, "Spotify", "Musik", 20_000, 19_000)
    catalogue.name_category(1, "Voucher Game", "Game Vouchers")
    catalogue.name_category(1, "Musik", "Music")
    catalogue.rename_category(1, "voucher game", "Voucher")
    assert {c.name: c.name_en for c in catalogue.categories()} == {"Voucher": "Game Vouchers", "Musik": "Music"}
    catalogue.rename_category(1, "Voucher", "Musik")  # joins a category with its own English name
    assert {c.name: c.name_en for c in catalogue.categories()} == {"Musik": "Music"}
    assert [row.category for row in CategoryName.select()] == ["Musik"], "no name left for a category gone"


def test_the_welcome_and_help_an_admin_writes_are_per_language(db):
    storefront.save(1, "welcome", "Halo {name}, selamat datang!")
    assert storefront.for_reader("welcome", DEFAULT_LANGUAGE) == "Halo {name}, selamat datang!"
    assert storefront.for_reader("welcome", ENGLISH) is None, "English readers get the English default"
    storefront.save(1, "welcome_en", "Hi {name}, welcome!")
    assert storefront.for_reader("welcome", ENGLISH) == "Hi {name}, welcome!"
    assert storefront.for_reader("help", ENGLISH) is None and storefront.for_reader("welcome", "xx") is None
    assert [storefront.language_of(name) for name in ("welcome", "help_en", "shopname", "contact")] == [
        DEFAULT_LANGUAGE, ENGLISH, DEFAULT_LANGUAGE, DEFAULT_LANGUAGE]
