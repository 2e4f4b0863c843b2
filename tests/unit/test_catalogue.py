"""The text catalogue (quickcart/locales) and the code agree, and the code holds no words of its own.

- every key the code looks up exists in every language, including each key
  of a family the code builds from a value (``status.{order.status}``), for
  every value that can reach it;
- every language has the same keys, with the same placeholders;
- every text renders and is valid Telegram HTML; a text used plain (buttons,
  button-press answers) has no markup;
- no key is left that nothing looks up;
- no handler or domain module holds a user-visible string literal.

Keys are found by reading the code (``ast``): the key argument of every
look-up (``say(key)``, ``say.plain(key)``, ``texts.plain(language, key)``)
is followed back to the literals it can take — a literal, either side of
``a if c else b``, a local or module name assigned from literals, a table
or tuple of them, or an f-string of those. A refusal carries its reason's
key to where it is said (``UsageError(command, "admin.reason.x")``): the key
is read where the refusal is made.
"""
from __future__ import annotations

import ast
import builtins
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from quickcart.admin_syntax import RESOLUTIONS
from quickcart.admin_views import COMMAND_PARTS
from quickcart.handlers.admin import COMMANDS as ADMIN_COMMANDS
from quickcart.i18n import LOCALES, Catalogue, catalogue
from quickcart.models import ORDER_STATUSES, LedgerEntry
from quickcart.payments import Outcome
from quickcart.sandbox.telegram_format import parse_formatted

PACKAGE = Path(__file__).resolve().parents[2] / "quickcart"
# Not the shop's code (our stand-ins), or the catalogue itself.
NOT_SCANNED = ("sandbox/", "locales/", "i18n.py")

KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
LOG_LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}


def ledger_reasons() -> tuple[str, ...]:
    """Every reason the database lets a ledger row have (its CHECK constraint)."""
    (check,) = LedgerEntry._meta.fields["reason"].constraints
    return tuple(re.findall(r"'([a-z_]+)'", check.sql))


# Keys the code builds from a value it reads at run time: the values that can reach each.
FAMILIES = {
    "status.": ORDER_STATUSES,
    "status_icon.": ORDER_STATUSES,
    "ledger.": ledger_reasons(),
    "admin.command.": tuple(f"{command}.{part}" for command in ADMIN_COMMANDS for part in COMMAND_PARTS),
    "admin.recheck.": tuple(outcome.value for outcome in Outcome),
    "admin.resolved.": RESOLUTIONS,
}

# What carries a key to be said later, and which argument the key is: the reason of a refusal,
# a word inside one. (Term's key is said plain.)
CARRIERS = {"UsageError": 1, "ProductError": 0, "PromoError": 0, "Term": 0, "FormatError": 0}
# The functions that say a key a carrier brought; the key was read where the carrier was made.
SAY_CARRIED_KEYS = {"quickcart/admin_views.py": {"reason"}}


def shop_modules() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py")
                  if not str(path.relative_to(PACKAGE)).startswith(NOT_SCANNED))


def relative(path: Path) -> str:
    return f"quickcart/{path.relative_to(PACKAGE)}"


def callee(call: ast.Call) -> str | None:
    """The called name: ``log.info(...)`` → ``info``, ``say(...)`` → ``say``."""
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


# --- reading keys out of the code ------------------------------------------------------------

@dataclass
class Scope:
    """The names a function (or the module) binds, each to the expressions it can take."""
    parent: Scope | None
    values: dict[str, list[ast.expr]] = field(default_factory=dict)  # name = expr
    elements: dict[str, list[ast.expr]] = field(default_factory=dict)  # name in expr, a, name = expr
    params: set[str] = field(default_factory=set)

    def bind(self, target: ast.expr, value: ast.expr, element: bool = False) -> None:
        if isinstance(target, ast.Name):
            (self.elements if element else self.values).setdefault(target.id, []).append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for part in target.elts:
                self.bind(part, value, element=True)


@dataclass
class Lookup:
    where: str
    keys: set[str]
    families: set[str]
    plain: bool
    seen: bool  # False: the key could not be followed back to literals
    says_carried: bool = False  # in a function that says a key a carrier brought


class KeyReader:
    """The catalogue look-ups of one module, with the keys each can use."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.module = Scope(None)
        self.scope_of: dict[int, Scope] = {}
        self._bind(self.tree, self.module)
        saying_carried = SAY_CARRIED_KEYS.get(relative(path), set())
        self.in_carried = {id(node) for function in ast.walk(self.tree) if isinstance(function, ast.FunctionDef)
                           and function.name in saying_carried for node in ast.walk(function)}
        # What gives a Speaker, to be called with a key: app.say(user)("gate.error").
        self.speakers = {"say", "speaker", "speaker_for"} | {
            node.name for node in ast.walk(self.tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.returns is not None and ast.unparse(node.returns) == "Speaker"}

    def _bind(self, node: ast.AST, scope: Scope) -> None:
        for child in ast.iter_child_nodes(node):
            inner = scope
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = Scope(scope)
                inner.params = {arg.arg for arg in ast.walk(child.args) if isinstance(arg, ast.arg)}
            if isinstance(child, ast.Assign):
                for target in child.targets:
                    scope.bind(target, child.value)
            elif isinstance(child, ast.AnnAssign) and child.value is not None:
                scope.bind(child.target, child.value)
            elif isinstance(child, (ast.For, ast.comprehension)):
                scope.bind(child.target, child.iter, element=True)
            self.scope_of[id(child)] = inner
            self._bind(child, inner)

    def lookups(self) -> Iterator[Lookup]:
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = callee(node)
            if (isinstance(node.func, ast.Name) and name == "say"
                    or isinstance(node.func, ast.Call) and callee(node.func) in self.speakers):
                key, plain = node.args[0], False  # say(key), speaker_for(user)(key)
            elif name in ("plain", "html") and isinstance(node.func, ast.Attribute):
                key, plain = node.args[-1], name == "plain"  # say.plain(key), texts.plain(language, key)
            elif name in CARRIERS and len(node.args) > CARRIERS[name]:
                key, plain = node.args[CARRIERS[name]], name == "Term"  # UsageError(command, key), Term(key)
            else:
                continue
            scope = self.scope_of[id(node)]
            values, unknown = self.resolve(key, scope)
            families = {value.partition(UNKNOWN)[0] for value in values if UNKNOWN in value}
            keys = {value for value in values if UNKNOWN not in value and KEY.match(value)}
            yield Lookup(f"{relative(self.path)}:{node.lineno}", keys, families, plain,
                         seen=not unknown and bool(keys or families), says_carried=id(node) in self.in_carried)

    def resolve(self, node: ast.expr, scope: Scope, seen: frozenset[str] = frozenset()) -> tuple[set[str], bool]:
        """The strings ``node`` can be, and whether it can also be something not seen here."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}, False
        if isinstance(node, ast.IfExp):
            body, orelse = self.resolve(node.body, scope, seen), self.resolve(node.orelse, scope, seen)
            return body[0] | orelse[0], body[1] or orelse[1]
        if isinstance(node, ast.JoinedStr):
            return self._joined(node, scope, seen), False
        if isinstance(node, ast.Name):
            return self._name(node.id, scope, seen)
        if isinstance(node, ast.Subscript):
            return self.strings_in(node.value, scope, seen), False
        return set(), True

    def strings_in(self, node: ast.expr, scope: Scope, seen: frozenset[str]) -> set[str]:
        """Every string a table, tuple or name (followed) holds."""
        found = set()
        for part in ast.walk(node):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                found.add(part.value)
            elif isinstance(part, ast.Name):
                found |= self._name(part.id, scope, seen, container=True)[0]
        return found

    def _name(self, name: str, scope: Scope | None, seen: frozenset[str],
              container: bool = False) -> tuple[set[str], bool]:
        if name in seen:
            return set(), False
        seen = seen | {name}
        while scope is not None and name not in scope.values and name not in scope.elements:
            if name in scope.params:
                return set(), True
            scope = scope.parent
        if scope is None:
            return set(), True
        found, unknown = set(), False
        for value in scope.values.get(name, []):
            if container:
                found |= self.strings_in(value, scope, seen)
            else:
                more, maybe = self.resolve(value, scope, seen)
                found, unknown = found | more, unknown or maybe
        for container in scope.elements.get(name, []):
            found |= self.strings_in(container, scope, seen)
        return found, unknown

    def _joined(self, node: ast.JoinedStr, scope: Scope, seen: frozenset[str]) -> set[str]:
        texts = {""}
        for part in node.values:
            if isinstance(part, ast.Constant):
                options = {str(part.value)}
            else:
                options, unknown = self._name(part.value.id, scope, seen) if isinstance(
                    part.value, ast.Name) else (set(), True)
                if unknown or not options:
                    options = {UNKNOWN}
            texts = {text + option for text in texts for option in options}
        return texts


UNKNOWN = "\x00"  # stands for a part of an f-string known only at run time


def all_lookups() -> list[Lookup]:
    return [lookup for path in shop_modules() for lookup in KeyReader(path).lookups()]


LOOKUPS = all_lookups()
TEXTS = catalogue()


def keys_used() -> set[str]:
    used = {key for lookup in LOOKUPS for key in lookup.keys}
    return used | {prefix + value for prefix, values in FAMILIES.items() for value in values}


def test_every_lookup_names_its_key_where_this_test_can_see_it():
    hidden = [lookup.where for lookup in LOOKUPS if not lookup.seen and not lookup.says_carried]
    assert not hidden, f"look-ups whose key is not a literal (or a name or table of them): {hidden}"


def test_the_reader_finds_the_lookups_it_must():
    # The reader is what makes the other tests mean something: it sees direct, conditional,
    # table-driven and built keys.
    found = keys_used()
    assert {"start.welcome", "shop.card_price_reseller", "payment.received", "menu.products",
            "notice.late_credited", "commands.help.about", "language.name", "admin.reason.price_below_minimum",
            "admin.reason.not_a_number", "admin.what.customer_price"} <= found


def test_every_key_the_code_uses_exists_in_every_language():
    missing = [f"{language}: {key}" for language in TEXTS.languages for key in sorted(keys_used())
               if not TEXTS.has(language, key)]
    assert not missing, f"keys the code looks up but the catalogue lacks: {missing}"


def test_every_family_built_at_run_time_is_declared_with_its_values():
    built = {family for lookup in LOOKUPS for family in lookup.families}
    assert built == set(FAMILIES), "say in FAMILIES which values each built key can take"


def test_no_key_is_left_unused():
    unused = sorted(set.union(*(TEXTS.keys(language) for language in TEXTS.languages)) - keys_used())
    assert not unused, f"keys nothing looks up (remove them, or look them up): {unused}"


def test_texts_used_plain_have_no_markup():
    plain = {key for lookup in LOOKUPS if lookup.plain for key in lookup.keys}
    marked = [f"{language}: {key}" for language in TEXTS.languages for key in sorted(plain)
              if TEXTS.has(language, key) and re.search(r"</?[a-z]|&[a-z#0-9]+;", texts_of(TEXTS, language, key))]
    assert not marked, f"buttons and answers show tags as typed: {marked}"


# --- languages agree -----------------------------------------------------------------------

def texts_of(texts: Catalogue, language: str, key: str) -> str:
    """Every form of the text (plural forms joined)."""
    return "\n".join(texts.template(language, key, count) for count in (0, 1, 2))


def disagreements(texts: Catalogue) -> list[str]:
    """How each language differs from the others: a key missing, a placeholder not the same."""
    every_key = set.union(*(texts.keys(language) for language in texts.languages))
    found = []
    for key in sorted(every_key):
        having = [language for language in texts.languages if texts.has(language, key)]
        found += [f"{language}: no {key}" for language in texts.languages if language not in having]
        shapes = {language: sorted(texts.placeholders(language, key)) for language in sorted(having)}
        if len({tuple(shape) for shape in shapes.values()}) > 1:
            found.append(f"{key}: placeholders differ: {shapes}")
    return found


def test_every_language_has_the_same_keys_and_placeholders():
    assert disagreements(TEXTS) == []


def test_a_second_language_missing_a_key_or_renaming_a_placeholder_is_reported(tmp_path):
    shutil.copy(LOCALES / "id.toml", tmp_path / "id.toml")
    english = (LOCALES / "id.toml").read_text(encoding="utf-8")
    english = english.replace('empty = "🛍 Belum ada produk', 'gone = "🛍 No products', 1)
    english = english.replace("Maksimal {limit}.", "At most {maximum}.", 1)
    (tmp_path / "en.toml").write_text(english, encoding="utf-8")
    assert disagreements(Catalogue.load(tmp_path)) == [
        "en: no shop.empty",
        "id: no shop.gone",
        "shop.qty_max: placeholders differ: {'en': ['maximum'], 'id': ['limit']}",
    ]
    shutil.copy(LOCALES / "id.toml", tmp_path / "en.toml")
    assert disagreements(Catalogue.load(tmp_path)) == []


# --- every text renders ----------------------------------------------------------------------

NASTY = "<b>Tom & Jerry</b> 5 > 3 &amp; {x}"
SAMPLES = {"money": 1_234_567, "number": 1_234, "datetime": datetime(2026, 11, 27, 7, 5),
           "date": datetime(2026, 11, 27), "time": datetime(2026, 11, 27, 7, 5), "html": "<i>already</i> HTML",
           "": NASTY}


def every_text() -> list[tuple[str, str]]:
    return [(language, key) for language in TEXTS.languages for key in sorted(TEXTS.keys(language))]


@pytest.mark.parametrize("language, key", every_text())
def test_each_text_renders_with_values_and_parses_as_telegram_html(language, key):
    values = {name: SAMPLES[spec] for name, spec in TEXTS.placeholders(language, key).items()}
    for count in (0, 1, 2):
        if "count" in values:
            values["count"] = count
        parsed = parse_formatted(TEXTS.html(language, key, **values), "HTML")
        assert NASTY in parsed.text or NASTY not in values.values()
        assert TEXTS.plain(language, key, **values)


# --- no words in the code -------------------------------------------------------------------

# Modules whose words are for someone other than a chat's reader: English by design and never
# sent to Telegram (each is checked below not to compose chat text).
NOT_FOR_A_CHAT = {
    "quickcart/checks.py": "check-config and check-data print their findings on the owner's terminal",
    "quickcart/config.py": "every configuration problem, printed at once on the owner's terminal at start-up",
    "quickcart/migrations.py": "schema steps are named in the log",
    "quickcart/stock_key.py": "the key commands (rotate-key, reset-stock-key) answer on the owner's terminal",
    "quickcart/stockcrypt.py": "key-file refusals, shown at start-up on the owner's terminal",
    "quickcart/web.py": "HTTP answers to programs (the JSON error field)",
    "quickcart/web_server.py": "HTTP answers to programs (status lines and bodies)",
    "quickcart/telegram/": "Telegram's own words, matched in its answers",
    "quickcart/gateways/": "the payment gateway's own words, passed on in diagnostics",
}

# Functions that compose a diagnostic for the owner out of what an outside service said.
DIAGNOSTICS = {
    "quickcart/payments.py": {
        "_mismatch": "what differs in the gateway's answer: kept on the order and in the audit trail",
    },
}

# str methods that only look for their arguments in a text.
MATCHERS = {"startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit", "partition", "rpartition",
            "removeprefix", "removesuffix", "count", "find", "rfind", "index"}
SQL_CALLS = {"Check", "SQL", "execute_sql", "execute", "executemany", "executescript"}
SQL_WORD = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|CREATE|ALTER|DROP|WITH|BEGIN)\b")


def is_log_call(call: ast.Call) -> bool:
    """``log.info(...)``, ``notifier.error(...)``, ``on_error(...)``: the words of the log."""
    name = callee(call) or ""
    return name.lstrip("_").rsplit("_", 1)[-1] in LOG_LEVELS


def is_audit_call(call: ast.Call) -> bool:
    """``audit.record(...)``: the audit trail, a record for the owner."""
    func = call.func
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "audit"


def exception_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


def text_attributes(node: ast.ClassDef) -> set[str]:
    """Attributes an exception's ``__init__`` sets from a ``str`` parameter: the text it carries."""
    init = next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
    if init is None:
        return set()
    texts = {arg.arg for arg in init.args.args if arg.annotation is not None and "str" in ast.unparse(arg.annotation)}
    return {target.attr for assign in ast.walk(init) if isinstance(assign, ast.Assign)
            and isinstance(assign.value, ast.Name) and assign.value.id in texts
            for target in assign.targets if isinstance(target, ast.Attribute)}


def user_facing_exceptions(handlers: list[ast.Module], trees: list[ast.Module]) -> set[str]:
    """Exceptions whose words a handler shows, with their subclasses.

    A handler shows an exception's words when it passes its text — ``str(exc)``, ``f"{exc}"``,
    ``exc`` itself, or an attribute set from a ``str`` parameter (``exc.reason``) — to a call
    other than the log or the audit trail, or into an exception that is itself shown
    (``raise UsageError(str(exc))``).
    """
    classes = {node.name: node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    bases = {name: {exception_name(base) for base in node.bases} for name, node in classes.items()}

    def carried(name: str | None) -> set[str]:
        node = classes.get(name or "")
        return set() if node is None else text_attributes(node) | set().union(*map(carried, bases[node.name]))

    def text_of(value: ast.expr, name: str, attributes: set[str]) -> bool:
        """Whether ``value`` uses the words of the exception caught as ``name``."""
        bare = {id(n) for n in ast.walk(value) if isinstance(n, ast.Name) and n.id == name}
        for n in ast.walk(value):
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name:
                if n.attr in attributes:
                    return True
                bare.discard(id(n.value))  # exc.balance, exc.__class__: not its words
        return bool(bare)

    passed_on: list[tuple[set[str | None], str | None]] = []  # (caught, the exception it went into, or None)
    for tree in handlers:
        for handler in ast.walk(tree):
            if not isinstance(handler, ast.ExceptHandler) or handler.name is None:
                continue
            caught = {exception_name(t) for t in (handler.type.elts if isinstance(handler.type, ast.Tuple)
                                                  else [handler.type])}
            attributes = set().union(*map(carried, caught))
            for call in (n for statement in handler.body for n in ast.walk(statement) if isinstance(n, ast.Call)):
                if is_log_call(call) or is_audit_call(call):
                    continue
                if any(text_of(a, handler.name, attributes) for a in [*call.args, *(k.value for k in call.keywords)]):
                    into = callee(call)
                    into_exception = into in classes and is_exception_class(classes[into]) or is_builtin_exception(into)
                    passed_on.append((caught, into if into_exception else None))
    shown: set[str | None] = set()
    while True:
        more = set().union(*(caught for caught, into in passed_on if into is None or into in shown))
        more |= {name for name, of in bases.items() if of & shown}
        if more <= shown:
            return {name for name in shown if name}
        shown |= more


def is_builtin_exception(name: str | None) -> bool:
    found = getattr(builtins, name or "", None)
    return isinstance(found, type) and issubclass(found, BaseException)


def is_exception_class(node: ast.ClassDef) -> bool:
    return any((name := exception_name(base)) and (name.endswith(("Error", "Exception")) or is_builtin_exception(name))
               for base in node.bases)


def wordy(text: str) -> bool:
    """Words a person reads: a letter and a space, or any visible character beyond ASCII."""
    return (any(c.isalpha() for c in text) and " " in text) or any(ord(c) > 127 and c.isprintable() for c in text)


def exempt_nodes(tree: ast.Module, user_facing: set[str], module: str = "") -> set[int]:
    """Strings that are not for a chat's reader, by where they stand."""
    exempt: set[int] = set()

    def under(node: ast.AST) -> None:
        exempt.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                under(first)  # a docstring
        if isinstance(node, ast.Call):
            if is_log_call(node) or is_audit_call(node) or callee(node) in SQL_CALLS or callee(node) == "print":
                under(node)  # the log, the audit trail, SQL, the owner's terminal
            elif isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                    and node.func.value.id == "re":
                under(node)  # a pattern
        if isinstance(node, ast.Compare) or isinstance(node, ast.Call) and callee(node) in MATCHERS:
            under(node)  # matched against input (== "file too large", .startswith("−")), not shown
        if isinstance(node, ast.Raise) and exception_name(node.exc) not in user_facing:
            under(node)  # an internal exception's message: for the log
        if isinstance(node, ast.ClassDef) and is_exception_class(node) and node.name not in user_facing:
            under(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in DIAGNOSTICS.get(module, {}):
            under(node)
    return exempt


def machine_text(text: str) -> bool:
    """An SQL statement, or a logging format (``%(asctime)s %(message)s``)."""
    return bool(SQL_WORD.match(text)) or "%(" in text


def literals(tree: ast.Module, exempt: set[int]) -> Iterator[ast.Constant]:
    """The string literals a person would read, outside the places exempted."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in exempt
                and wordy(node.value) and not machine_text(node.value)):
            yield node


def for_a_chat(path: Path) -> bool:
    name = relative(path)
    return not any(name == place or (place.endswith("/") and name.startswith(place)) for place in NOT_FOR_A_CHAT)


def words_in_code() -> dict[str, list[str]]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in shop_modules()}
    handlers = [tree for path, tree in trees.items() if relative(path).startswith("quickcart/handlers/")]
    user_facing = user_facing_exceptions(handlers, list(trees.values()))
    found: dict[str, list[str]] = {}
    for path, tree in trees.items():
        if not for_a_chat(path):
            continue
        exempt = exempt_nodes(tree, user_facing, relative(path))
        for node in literals(tree, exempt):
            found.setdefault(relative(path), []).append(f"{node.lineno}: {node.value[:60]!r}")
    return found


def test_no_handler_or_domain_module_holds_words_a_user_reads():
    found = words_in_code()
    assert not found, f"user-visible words outside the catalogue: {found}"


def test_modules_not_for_a_chat_do_not_compose_chat_text():
    for path in shop_modules():
        if for_a_chat(path):
            continue
        imported = {node.module for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(node, ast.ImportFrom)}
        assert not imported & {"quickcart.i18n", "quickcart.views"}, f"{relative(path)} speaks to chats now"


SAMPLE = '''
"""A module docstring: words for the reader of the code."""


class ShownError(ValueError):
    def __init__(self, command: str, reason: str):
        super().__init__(f"{command}: {reason}")
        self.reason = reason


class QuietError(Exception):
    def __init__(self, balance: int):
        super().__init__(f"balance {balance} too low")
        self.balance = balance


def handler(reply, say):
    try:
        check(1)
    except ShownError as exc:
        reply(exc.reason)
    except QuietError as exc:
        reply(say("shop.short", balance=exc.balance))
    log.info("a line for the log")
    notifier.error(f"{exc.__class__.__name__} while handling an update")
    audit.record("product.add", detail=f"{n} lines added")
    database.execute_sql("SELECT id FROM product WHERE name = ?", (name,))
    print(f"quickcart: backup failed: {exc}")
    if exc.description == "file too large" or text.startswith("−"):
        raise RuntimeError("internal: never shown")
    reply("Stok habis")


def check(value):
    raise ShownError("addproduct", f"harga minimal {value}")


BUTTON = "🛒"
GREETING = f"Halo {name}"
'''


def test_the_scan_finds_words_only_where_a_person_reads_them():
    tree = ast.parse(SAMPLE)
    found = {node.value for node in literals(tree, exempt_nodes(tree, user_facing_exceptions([tree], [tree])))}
    assert found == {"Stok habis", "harga minimal ", "🛒", "Halo "}


def test_an_exception_is_shown_when_a_handler_passes_its_words_on():
    tree = ast.parse(SAMPLE + '''
class UsageError(ValueError):
    pass


def admin(reply):
    try:
        edit()
    except ProductError as exc:
        raise UsageError(str(exc)) from None
    except UsageError as exc:
        reply(f"{exc}")


class ProductError(ValueError):
    pass


class NameTaken(ProductError):
    pass
''')
    assert user_facing_exceptions([tree], [tree]) == {"ShownError", "UsageError", "ProductError", "NameTaken"}
