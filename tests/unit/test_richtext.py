"""The sellers' formatting (quickcart.richtext): what Telegram shows is accepted, what it refuses never is."""
from __future__ import annotations

import pytest

from quickcart import richtext
from quickcart.richtext import FormatError
from quickcart.sandbox.telegram_format import ApiError, parse_formatted

ACCEPTED = [
    "Akun sharing 1 bulan",
    "<b>Garansi</b> 30 hari, <i>jangan</i> ganti <u>password</u>, <s>diskon</s>",
    "<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del>",
    'Cara login: <a href="https://help.example.com/login?a=1&amp;b=2">panduan</a>',
    "<a href='tg://resolve?domain=toko'>chat admin</a>",
    "Kode: <code>ABC-123</code> &lt;wajib&gt; &quot;asli&quot; &#128512; &#x1F600;",
    "<b>tebal <i>miring <u>garis</u></i></b>",
    '<a href="https://x.test/"><b>link tebal</b></a>',
    "baris satu\nbaris dua",
    "",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_what_is_accepted_telegram_accepts_and_shows_the_same(text):
    stored = richtext.clean(text, 2000)
    assert stored == text.strip()
    assert parse_formatted(stored, "HTML").text == richtext.visible(stored)


def test_a_bare_ampersand_or_greater_than_is_escaped_for_the_seller():
    stored = richtext.clean("Netflix & Disney > Prime &amp; co", 100)
    assert stored == "Netflix &amp; Disney &gt; Prime &amp; co"
    assert parse_formatted(stored, "HTML").text == "Netflix & Disney > Prime & co"


REFUSED = [
    ("<script>alert(1)</script>", "admin.format.unknown_tag", {"tag": "script"}),
    ("<pre>blok</pre>", "admin.format.unknown_tag", {"tag": "pre"}),
    ("<b>tebal", "admin.format.not_closed", {"tag": "b"}),
    ("tebal</b>", "admin.format.close_without_open", {"tag": "b"}),
    ("<b><i>x</b></i>", "admin.format.wrong_close", {"expected": "i", "tag": "b"}),
    ('<b class="x">x</b>', "admin.format.attribute", {"tag": "b"}),
    ("<b class=x>x</b>", "admin.format.attribute", {"tag": "b"}),
    ("<a>x</a>", "admin.format.link_needs_href", {}),
    ('<a href="javascript:alert(1)">x</a>', "admin.format.bad_link", {"href": "javascript:alert(1)"}),
    ('<a href="https://a.test/" target="_blank">x</a>', "admin.format.link_needs_href", {}),
    ("<code><b>x</b></code>", "admin.format.not_inside", {"tag": "b", "outer": "code"}),
    ('<a href="https://a.test/"><a href="https://b.test/">x</a></a>', "admin.format.not_inside",
     {"tag": "a", "outer": "a"}),
    ("harga < 50rb", "admin.format.bare_less_than", {"typed": "< 50rb"}),
    ("spasi&nbsp;tak terpecah", "admin.format.unknown_entity", {"entity": "&nbsp;"}),
    ("&#55357;", "admin.format.unknown_entity", {"entity": "&#55357;"}),
    ("&#0;", "admin.format.unknown_entity", {"entity": "&#0;"}),
]


@pytest.mark.parametrize("text, key, values", REFUSED, ids=[case[1].rsplit(".", 1)[1] + ":" + case[0][:20]
                                                           for case in REFUSED])
def test_what_is_refused_says_why(text, key, values):
    with pytest.raises(FormatError) as refused:
        richtext.clean(text, 2000)
    assert refused.value.key == key
    assert {name: refused.value.values[name] for name in values} == values


TELEGRAM_REFUSES = ["<b>x", "x</i>", "<b><i>x</b></i>", "<foo>x</foo>", "a < b", "&bogus;", "<span>x</span>",
                    "<b", "</b>", '<a href="x>y</a>']


@pytest.mark.parametrize("text", TELEGRAM_REFUSES)
def test_nothing_the_telegram_stand_in_refuses_gets_through(text):
    with pytest.raises(ApiError):
        parse_formatted(text, "HTML")
    with pytest.raises(FormatError):
        richtext.clean(text, 2000)


def test_the_length_is_counted_as_shown_in_utf16_units():
    assert richtext.visible_length("<b>ab</b>&amp;") == 3
    assert richtext.visible_length("😀") == 2  # outside the BMP: two UTF-16 units, as Telegram counts
    richtext.clean("<b>" + "x" * 10 + "</b>", 10)
    with pytest.raises(FormatError) as refused:
        richtext.clean("😀" * 6, 10)
    assert refused.value.values == {"limit": 10, "length": 12}


def test_a_cut_text_fits_keeps_its_tags_balanced_and_says_it_was_cut():
    text = '<b>Garansi <i>tiga puluh</i> hari</b> &amp; <a href="https://x.test/">bantuan lengkap</a>'
    for limit in range(1, richtext.visible_length(text) + 2):
        cut = richtext.cut(text, limit, "…")
        shown = parse_formatted(cut, "HTML").text
        assert len(shown) <= limit, (limit, cut)
        assert shown.endswith("…") or cut == text
    assert richtext.cut(text, 1000, "…") == text
    assert richtext.cut("<b>ab</b><i>cd</i>", 3, "…") == "<b>ab</b>…"


def test_escape_makes_plain_text_show_as_typed():
    typed = "<b>Tom & Jerry</b> 5 > 3"
    assert parse_formatted(richtext.escape(typed), "HTML").text == typed
