"""The demo: watch a customer buy from a sample shop, with no accounts and no network.

    python -m quickcart.sandbox.demo                  # what `make demo` runs
    python -m quickcart.sandbox.demo --interactive    # what `make play` runs: you are the customer

It starts local stand-ins for Telegram and Pakasir (real HTTP servers on
127.0.0.1), writes a temporary config pointing at them, seeds a sample
catalogue, and starts the real shop — ``python quickcart.py --config ...`` —
as a child process. Then a customer, Budi, buys two Netflix accounts by QRIS
while the chat is printed as it happens; the QR photo is saved as a PNG and
drawn in the terminal; the payment arrives as Pakasir's webhook; the goods
are delivered; and the owner's sale notice is shown.

Everything runs in a temporary directory that is removed at the end. The
transcript, the QR image and the shop's log are kept in ``demo-output/``
(``--output`` to change). The shop is stopped with SIGTERM and the stand-ins
shut down whatever happens, Ctrl-C included.
"""
from __future__ import annotations

import argparse
import io
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from quickcart.i18n import speaker
from quickcart.money import format_rupiah
from quickcart.sandbox.chat_printer import LEGEND, ChatPrinter, Output, display_path
from quickcart.sandbox.launcher import ROOT, ShopProcess
from quickcart.sandbox.pakasir_server import PakasirStandIn
from quickcart.sandbox.telegram_model import Message
from quickcart.sandbox.telegram_server import TelegramStandIn

SHOP_NAME = "Toko Digital Nusantara"
ADMIN_ID = 5_100_000_001
ADMIN_NAME = "Sari"
CUSTOMER_ID = 6_200_000_002
CUSTOMER_NAME = "Budi"
TOKEN = "7123456789:AAH-demo-token-for-the-local-stand-in"
PAKASIR_PROJECT = "toko-digital-nusantara"
PAKASIR_API_KEY = "demo-api-key-for-the-local-stand-in"
DEFAULT_OUTPUT = ROOT / "demo-output"
STEP_TIMEOUT = 15.0

SAY = speaker()  # the demo customer reads Indonesian


@dataclass(frozen=True)
class SampleProduct:
    name: str
    category: str
    price: int
    reseller_price: int
    description: str
    lines: tuple[str, ...]


def _netflix(i: int) -> str:
    return (f"Email: nf.premium{i:02d}@akundemo.id | Password: Nflx-{7310 + i * 37}-Dm | "
            f"Profil {i % 5 + 1} | PIN {1000 + i * 111}")


SAMPLE_CATALOGUE: tuple[SampleProduct, ...] = (
    SampleProduct("Netflix Premium 1 Bulan", "Streaming", 35_000, 31_000,
                  "Akun sharing 1 profil, kualitas UHD 4K. Garansi 30 hari, jangan ganti password.",
                  tuple(_netflix(i) for i in range(1, 9))),
    SampleProduct("Spotify Premium 1 Bulan", "Streaming", 25_000, 21_000,
                  "Undangan Spotify Family, pakai email kamu sendiri.",
                  tuple(f"https://www.spotify.com/id/family/join/invite/DEMO{i:02d}x7Kq/ | alamat: Jl. Demo No. {i}"
                        for i in range(1, 7))),
    SampleProduct("YouTube Premium 1 Bulan", "Streaming", 20_000, 17_500,
                  "Undangan YouTube Family, tanpa iklan + YouTube Music.",
                  tuple(f"Email: yt.family{i:02d}@akundemo.id | Password: YtFam-{4820 + i * 13}"
                        for i in range(1, 6))),
    SampleProduct("Canva Pro 1 Bulan", "Desain & Produktivitas", 15_000, 12_000,
                  "Undangan tim Canva Pro, semua fitur premium.",
                  tuple(f"https://www.canva.com/brand/join?token=DEMO-{i:02d}-cNvPr0" for i in range(1, 7))),
    SampleProduct("Mobile Legends 86 Diamonds", "Voucher Game", 22_000, 20_500,
                  "Kode voucher, tukar di https://www.mobilelegends.com/redeem.",
                  tuple(f"MLBB-86D-{i:04d}-DEMO" for i in range(1, 11))),
    SampleProduct("Google Play Rp50.000", "Voucher Game", 52_000, 51_000,
                  "Kode redeem Google Play Indonesia.",
                  tuple(f"GPLAY-50K-DEMO-{i:04d}-{(i * 7919) % 10000:04d}" for i in range(1, 6))),
)


def seed_catalogue(db_path: Path) -> tuple[int, int, int]:
    """Add the sample products and their stock through the domain; returns the counts."""
    from quickcart import catalogue, stock, stock_key
    from quickcart.db import close_database, database, open_database
    from quickcart.migrations import migrate

    open_database(db_path)
    try:
        stock_key.unlock_beside(db_path)
        migrate(database)
        lines = 0
        for sample in SAMPLE_CATALOGUE:
            product = catalogue.add_product(ADMIN_ID, sample.name, sample.category, sample.price,
                                            sample.reseller_price, sample.description)
            lines += stock.add_lines(product.id, sample.lines).added
        return len({s.category for s in SAMPLE_CATALOGUE}), len(SAMPLE_CATALOGUE), lines
    finally:
        close_database()


def copy_database(source: Path, destination: Path) -> None:
    """A consistent copy of an owner's database that never changes the original.

    The original is read through a read-only connection. When it has no WAL
    file (the shop is not running) it is also opened ``immutable``, so that
    SQLite does not even create ``-wal``/``-shm`` files next to it.
    """
    if not source.is_file():
        raise DemoError(f"no database at {source}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    live = Path(f"{source}-wal").exists()
    uri = f"file:{quote(str(source.resolve()))}?mode=ro" + ("" if live else "&immutable=1")
    try:
        src = sqlite3.connect(uri, uri=True)
        try:
            dst = sqlite3.connect(str(destination))
            try:
                src.backup(dst)
                verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise DemoError(f"cannot copy {source}: {exc}") from None
    if verdict != "ok":
        raise DemoError(f"the copy of {source} failed its integrity check ({verdict}); try again")


def copy_stock_key(catalogue_from: Path, copied_db: Path) -> None:
    """Put the owner's stock key next to the copy, so the demo shop can open the copied stock lines.

    From the owner's config (its ``stock_key`` value or ``stock_key_file``),
    else the key file next to their database. Without one the demo shop
    says which key it needs and stops.
    """
    from quickcart.config import DEFAULT_STOCK_KEY_FILE
    from quickcart.stockcrypt import write_key_file

    source = database_of(catalogue_from)
    key_text, key_file = "", source.with_name(DEFAULT_STOCK_KEY_FILE)
    if catalogue_from.suffix.lower() == ".ini":
        section = _ini_section(catalogue_from, "database")
        key_text = section.get("stock_key", "").strip()
        if section.get("stock_key_file", "").strip():
            key_file = _relative_to(catalogue_from, section["stock_key_file"].strip())
    if not key_text and key_file.is_file():
        key_text = key_file.read_text(encoding="ascii", errors="replace").strip()
    if key_text:
        copied_db.parent.mkdir(parents=True, exist_ok=True)
        write_key_file(copied_db.with_name(DEFAULT_STOCK_KEY_FILE), key_text)


def _ini_section(path: Path, name: str) -> dict[str, str]:
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path, encoding="utf-8")
    return dict(parser[name]) if parser.has_section(name) else {}


def _relative_to(config_path: Path, raw: str) -> Path:
    candidate = Path(raw).expanduser()
    return candidate if candidate.is_absolute() else (config_path.parent / candidate).resolve()


def database_of(path: Path) -> Path:
    """The database file named by ``path``: a config.ini (its [database] path) or the file itself."""
    if path.suffix.lower() != ".ini":
        return path
    from quickcart.config import DEFAULTS
    raw = _ini_section(path, "database").get("path", DEFAULTS["database"]["path"]).strip()
    return _relative_to(path, raw or DEFAULTS["database"]["path"])


class DemoError(Exception):
    """The demo could not go on; the message says why."""


class _Terminated(Exception):
    """SIGTERM arrived: unwind so that everything is stopped."""


@dataclass
class Stage:
    """The running demo: stand-ins, the shop, the people, the printer."""
    telegram: TelegramStandIn
    pakasir: PakasirStandIn
    shop: ShopProcess
    out: Output
    printer: ChatPrinter
    output_dir: Path
    catalogue: str
    started: float

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:5.1f}s"


@contextmanager
def stage(output_dir: Path, stream=None, catalogue_from: Path | None = None,
          transcript_name: str = "transcript.txt") -> Iterator[Stage]:
    """Stand-ins, a seeded (or copied) database and the running shop; all stopped on exit,
    the shop first (SIGTERM), then the stand-ins it talks to."""
    started = time.monotonic()
    stream = stream or sys.stdout
    output_dir.mkdir(parents=True, exist_ok=True)
    for old in output_dir.glob("qris-*.png"):
        old.unlink()
    out = Output(stream, copy_to=output_dir / transcript_name)
    previous_sigterm = signal.getsignal(signal.SIGTERM)

    def on_sigterm(*_):
        raise _Terminated()

    signal.signal(signal.SIGTERM, on_sigterm)
    with ExitStack() as cleanup:
        cleanup.callback(signal.signal, signal.SIGTERM, previous_sigterm)
        cleanup.callback(out.close)
        workdir = Path(tempfile.mkdtemp(prefix="quickcart-demo-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        telegram = cleanup.enter_context(
            TelegramStandIn(token=TOKEN, bot_username="toko_nusantara_bot", bot_name=SHOP_NAME))
        pakasir = cleanup.enter_context(
            PakasirStandIn(project=PAKASIR_PROJECT, api_key=PAKASIR_API_KEY, merchant_name=SHOP_NAME))
        shop = ShopProcess(workdir, telegram, pakasir, admin_ids=(ADMIN_ID,), overrides={
            "shop": {"name": SHOP_NAME, "support_contact": "@sari_tokodemo"},
            "pakasir": {"poll_interval_seconds": 20},
        })
        if catalogue_from is None:
            categories, products, lines = seed_catalogue(shop.db_path)
            described = f"{products} sample products in {categories} categories, {lines} stock lines"
        else:
            source = database_of(catalogue_from)
            copy_database(source, shop.db_path)
            copy_stock_key(catalogue_from, shop.db_path)
            described = f"a copy of {source} (the original is not touched)"
        cleanup.callback(_stop_shop, shop, out, output_dir)
        shop.start(timeout=30)
        printer = ChatPrinter(telegram, out, bot_label="Bot", files_dir=output_dir)
        yield Stage(telegram, pakasir, shop, out, printer, output_dir, described, started)


def _stop_shop(shop: ShopProcess, out: Output, output_dir: Path) -> None:
    try:
        status = shop.stop()
    except Exception:
        status = "killed after 15 s"
    if shop.log_path.exists():
        shutil.copyfile(shop.log_path, output_dir / "quickcart.log")
    if status not in (None, 0):
        out.line(f"(the shop process ended with status {status}; "
                 f"see {display_path(output_dir / 'quickcart.log')})")


# --- the scripted purchase ------------------------------------------------------


def _header(st: Stage, title: str) -> None:
    rule = "─" * max(4, 64 - len(title))
    st.out.line("")
    st.out.line(st.out.style.header(f"── {title} {rule}") + st.out.style.dim(f" {st.elapsed()}"))


def _note(st: Stage, text: str) -> None:
    st.out.line(st.out.style.dim(f"   ({text})"))


def _press_and_wait(st: Stage, user, message: Message, button: str, contains: str | None = None,
                    predicate=None) -> Message:
    query_id = user.press(message, button)
    reply = user.wait_for_message(predicate, contains=contains, timeout=STEP_TIMEOUT)
    user.wait_for_answer(query_id, timeout=STEP_TIMEOUT)
    st.printer.flush()
    return reply


def qr_ascii(data: str) -> str:
    """The QR code as text blocks; dark modules are blank, so it scans on a dark terminal."""
    import qrcode

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.StringIO()
    code.print_ascii(out=buffer, invert=True)
    return buffer.getvalue().rstrip("\n").replace("\xa0", " ")  # qrcode draws blanks as NBSP


def _settle(st: Stage, condition, timeout: float = 3.0) -> None:
    """Wait briefly for a follow-up the bot makes after its reply, then print it."""
    try:
        st.telegram.wait_until(condition, timeout=timeout)
    except AssertionError:
        pass  # not essential to the story; the transcript shows what did happen
    st.printer.flush()


def _qr_decodes_to(photo: bytes) -> str | None:
    """What the QR photo decodes to, when a decoder (zxing-cpp, a test tool) is installed."""
    try:
        import PIL.Image
        import zxingcpp
    except ImportError:
        return None
    found = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(photo)))
    return found[0].text if len(found) == 1 else ""


def play_purchase(st: Stage, show_qr: bool = True) -> dict[str, float]:
    """Budi buys two Netflix accounts by QRIS; returns timings in seconds."""
    telegram, pakasir, printer, out = st.telegram, st.pakasir, st.printer, st.out
    timings: dict[str, float] = {}
    sari = telegram.user(ADMIN_ID, ADMIN_NAME, username="sari_tokodemo")
    budi = telegram.user(CUSTOMER_ID, CUSTOMER_NAME, username="budi_s")
    printer.watch(budi.id, CUSTOMER_NAME, primary=True)
    printer.watch(sari.id, ADMIN_NAME, paused=True)

    # An admin must have pressed /start once before Telegram lets the bot write to them.
    sari.send_text("/start")
    sari.wait_for_message(contains="Selamat datang", timeout=STEP_TIMEOUT)
    printer.skip(sari.id)

    _header(st, "1. Budi opens the shop")
    budi.send_text("/start")
    budi.wait_for_message(contains="Selamat datang", timeout=STEP_TIMEOUT)
    printer.flush()

    _header(st, "2. He browses: 🛍 Produk → Streaming → Netflix")
    budi.tap_keyboard(SAY.plain("menu.products"))
    categories = budi.wait_for_message(contains="Pilih", timeout=STEP_TIMEOUT)
    printer.flush()
    listing = _press_and_wait(st, budi, categories, "Streaming",
                              predicate=lambda m: any("Netflix" in b for b in m.button_texts()))
    card = _press_and_wait(st, budi, listing, "Netflix Premium 1 Bulan", contains="Harga:")

    _header(st, "3. Quantity 2, then 🛒 Beli and QRIS")
    card = _press_and_wait(st, budi, card, SAY.plain("btn.plus"), contains="Jumlah: 2")
    choice = _press_and_wait(st, budi, card, SAY.plain("btn.buy"), contains="Ringkasan pesanan")
    asked = time.monotonic()
    qr = _press_and_wait(st, budi, choice, SAY.plain("btn.pay_qris"), predicate=lambda m: m.kind == "photo")
    timings["QR photo after tapping QRIS"] = time.monotonic() - asked
    _settle(st, lambda: choice.deleted)  # the order summary makes way for the QR

    invoice = _invoice_of(qr)
    transaction = pakasir.transaction(invoice)
    if transaction is None:
        raise DemoError(f"Pakasir has no transaction for {invoice}")
    saved = printer.saved.get(id(qr))
    _header(st, "4. The QR code Budi scans")
    if saved is not None:
        out.line(f"   Saved as {display_path(saved)} — open it and scan it with any QRIS app")
        out.line("   (it is a demo code: nothing can really be paid with it).")
    decoded = _qr_decodes_to(qr.photo or b"")
    if decoded is not None:
        verdict = "✓ the same" if decoded == transaction.payment_number else "✗ DIFFERENT"
        out.line(f"   Decoded from the photo: {verdict} as Pakasir's payment_number.")
    out.line(f"   Pakasir transaction: order_id {transaction.order_id}, amount {format_rupiah(transaction.amount)}, "
             f"status {transaction.status}")
    if show_qr:
        out.line("")
        for line in qr_ascii(transaction.payment_number).splitlines():
            out.line("   " + line)

    _header(st, "5. Budi pays; Pakasir calls the shop's webhook")
    _note(st, f"POST {st.shop.web_url}/webhooks/pakasir, then the shop confirms with transactiondetail")
    paid_at = time.monotonic()
    pakasir.complete(invoice)
    success = budi.wait_for_message(contains="Pesanan berhasil", timeout=STEP_TIMEOUT)
    timings["goods delivered after payment"] = time.monotonic() - paid_at
    telegram.wait_until(lambda: qr.deleted or qr.edited, timeout=STEP_TIMEOUT, what="the paid QR removed")
    printer.flush()

    _header(st, f"6. What the owner, {ADMIN_NAME}, saw in her chat with the bot")
    sari.wait_for_message(contains="Penjualan", timeout=STEP_TIMEOUT)
    printer.resume(sari.id)
    printer.flush()

    goods = [line for line in success.plain_text().splitlines() if line.startswith("Email: nf.premium")]
    if len(goods) != 2:
        raise DemoError(f"expected 2 Netflix accounts in the delivery, found {len(goods)}")
    return timings


def _invoice_of(message: Message) -> str:
    for line in message.plain_text().splitlines():
        if "Invoice:" in line:
            return line.split("Invoice:")[1].strip()
    raise DemoError("the QR caption has no invoice")


def print_banner(st: Stage, title: str) -> None:
    style = st.out.style
    st.out.line(style.bold(f"QuickCart — {title}"))
    st.out.line(f"   Telegram stand-in  {st.telegram.base_url}")
    st.out.line(f"   Pakasir stand-in   {st.pakasir.base_url} (project {st.pakasir.project})")
    st.out.line(f"   Shop               python quickcart.py --config <temp>/config.ini  "
                f"(pid {st.shop.process.pid}, web {st.shop.web_url})")
    st.out.line(f"   Catalogue          {st.catalogue}")
    st.out.line(style.dim(f"   {LEGEND}"))


def run_demo(output_dir: Path, show_qr: bool = True) -> int:
    out_stream = sys.stdout
    with stage(output_dir, out_stream) as st:
        ready = time.monotonic() - st.started
        print_banner(st, "demo: a customer buys two Netflix accounts by QRIS")
        st.out.line(st.out.style.dim(f"   The shop was up and polling after {ready:.1f}s."))
        try:
            timings = play_purchase(st, show_qr=show_qr)
        except (DemoError, AssertionError) as exc:
            st.printer.flush()
            st.out.line("")
            st.out.line(st.out.style.error(f"demo failed: {str(exc).splitlines()[0]}"))
            st.out.line(st.shop.logs()[-3000:])
            return 1
        _header(st, "Done")
        for what, seconds in timings.items():
            st.out.line(f"   {what}: {seconds:.2f}s")
        st.out.line(f"   Transcript: {display_path(output_dir / 'transcript.txt')}; "
                    f"shop log: {display_path(output_dir / 'quickcart.log')}")
        st.out.line("   Stopping the shop (SIGTERM) and the stand-ins …")
    print(f"   Everything stopped. Total {time.monotonic() - st.started:.1f}s. "
          "Try it yourself: make play", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quickcart.sandbox.demo",
                                     description="QuickCart against local Telegram and Pakasir stand-ins")
    parser.add_argument("--interactive", action="store_true",
                        help="chat with the shop yourself in the terminal (what `make play` runs)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="where the transcript, QR images and shop log go (default: %(default)s)")
    parser.add_argument("--catalogue", type=Path, metavar="CONFIG_OR_DB",
                        help="interactive: use a copy of this database (or of the one a config.ini names) "
                             "instead of the sample catalogue; the original is never modified")
    parser.add_argument("--no-qr", action="store_true", help="do not draw the QR code in the terminal")
    args = parser.parse_args(argv)
    if args.catalogue is not None and not args.interactive:
        parser.error("--catalogue goes with --interactive")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        if args.interactive:
            from quickcart.sandbox.play import run_interactive
            return run_interactive(args.output, catalogue_from=args.catalogue)
        return run_demo(args.output, show_qr=not args.no_qr)
    except KeyboardInterrupt:
        print("\nInterrupted; everything was stopped.", file=sys.stderr)
        return 130
    except _Terminated:
        print("Terminated; everything was stopped.", file=sys.stderr)
        return 143
    except DemoError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # the shop would not start: the launcher's message has its log
        print(f"demo: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
