"""The README's demo command and its interactive mode, run as an owner runs them."""
from __future__ import annotations

import hashlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import PIL.Image
import psutil
import zxingcpp

from quickcart.sandbox.demo import SAMPLE_CATALOGUE, qr_ascii
from quickcart.sandbox.launcher import ROOT
from tests.words import button, fragment, says

NETFLIX_LINES = SAMPLE_CATALOGUE[0].lines
DEMO_DEADLINE = 60


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "quickcart.sandbox.demo", *args]


def demo_env(tmp_path: Path) -> dict[str, str]:
    """The demo's temporary files go to a directory the test can inspect afterwards."""
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUICKCART_")}
    return {**env, "TMPDIR": str(temp), "PYTHONUNBUFFERED": "1"}


def shop_pid(output: str) -> int:
    match = re.search(r"\(pid (\d+),", output)
    assert match, "the banner names the shop's process id"
    return int(match.group(1))


def assert_gone(pid: int) -> None:
    try:
        process = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    assert process.status() == psutil.STATUS_ZOMBIE or "quickcart.py" not in " ".join(process.cmdline()), \
        f"the shop (pid {pid}) is still running"


def test_the_demo_plays_a_whole_purchase_and_leaves_nothing_behind(tmp_path):
    output_dir = tmp_path / "out"
    started = time.monotonic()
    result = subprocess.run(demo_command("--output", str(output_dir)), capture_output=True, text=True,
                            timeout=DEMO_DEADLINE, cwd=ROOT, env=demo_env(tmp_path))
    took = time.monotonic() - started

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    out = result.stdout
    for expected in ("Budi ▸ /start", f"[ {button('btn.buy')} ]", f"Budi ▸ taps [ {button('btn.plus')} ]",
                     fragment("shop.card_quantity", quantity=2), says("payment.qr_total", total=70_800),
                     says("delivery.title"), fragment("notice.sale"), "Everything stopped."):
        assert expected in out, f"{expected!r} missing from the transcript"
    delivered = [line for line in NETFLIX_LINES if line in out]
    assert len(delivered) == 2, "the two Netflix accounts sold are shown, and no others"
    assert (out.index("Budi ▸ /start") < out.index(f"taps [ {button('btn.pay_qris')} ]")
            < out.index(says("delivery.title")))
    assert took < DEMO_DEADLINE
    assert "\x1b[" not in out, "no colour codes when the output is not a terminal"

    qr_files = list(output_dir.glob("qris-TRX*.png"))
    assert len(qr_files) == 1 and qr_files[0].name in out
    assert PIL.Image.open(qr_files[0]).format == "PNG"
    assert (output_dir / "transcript.txt").read_text(encoding="utf-8").strip() in out
    assert "QuickCart started" in (output_dir / "quickcart.log").read_text(encoding="utf-8")
    assert_gone(shop_pid(out))
    assert list((tmp_path / "tmp").iterdir()) == [], "the temporary shop directory is removed"


def test_ctrl_c_stops_the_shop_and_the_stand_ins(tmp_path):
    process = subprocess.Popen(demo_command("--output", str(tmp_path / "out")), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=demo_env(tmp_path),
                               start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen = []
    deadline = time.monotonic() + 30
    while not any("1. Budi opens the shop" in line for line in seen):
        assert time.monotonic() < deadline, "the demo did not get going:\n" + "".join(seen)
        try:
            seen.append(lines.get(timeout=deadline - time.monotonic()))
        except queue.Empty:
            pass
    pid = shop_pid("".join(seen))
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    assert process.wait(timeout=30) == 130
    assert_gone(pid)
    assert list((tmp_path / "tmp").iterdir()) == []


def test_play_mode_lets_the_owner_buy_by_typing_numbers_and_pay(tmp_path):
    # 1 🛍 Produk · 2 Streaming · 1 Netflix · 3 ➕ · 4 🛒 Beli · 1 QRIS · pay · quit
    script = "1\n2\n1\n3\n4\n1\n:pay\n:quit\n"
    result = subprocess.run(demo_command("--interactive", "--output", str(tmp_path / "out")), input=script,
                            capture_output=True, text=True, timeout=DEMO_DEADLINE, cwd=ROOT,
                            env=demo_env(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    out = result.stdout
    assert f"menu:  1 {button('menu.products')}" in out
    assert fragment("shop.card_quantity", quantity=2) in out and says("delivery.title") in out
    assert len([line for line in NETFLIX_LINES if line in out]) == 2
    assert f"(to Sari) {fragment('notice.sale')}" in out
    assert_gone(shop_pid(out))


def test_play_mode_on_a_copy_of_the_owners_database_never_changes_it(tmp_path):
    from quickcart import catalogue, stock, stock_key
    from quickcart.db import close_database, database, open_database
    from quickcart.migrations import migrate

    owner_dir = tmp_path / "owner"
    owner_db = owner_dir / "data" / "quickcart.db"
    open_database(owner_db)
    stock_key.unlock_beside(owner_db)  # the owner's key, data/quickcart.key: the demo copies it with the database
    migrate(database)
    product = catalogue.add_product(1, "Kopi Kenangan Voucher 25K", "Voucher Makanan", 25_000, 24_000)
    stock.add_lines(product.id, ["KOPI-25K-0001", "KOPI-25K-0002"])
    close_database()
    (owner_dir / "config.ini").write_text("[database]\npath = data/quickcart.db\n", encoding="utf-8")
    files_before = sorted(path.name for path in owner_db.parent.iterdir())
    digest = hashlib.sha256(owner_db.read_bytes()).hexdigest()

    result = subprocess.run(
        demo_command("--interactive", "--catalogue", str(owner_dir / "config.ini"), "--output", str(tmp_path / "out")),
        input="1\n:quit\n", capture_output=True, text=True, timeout=DEMO_DEADLINE, cwd=ROOT,
        env=demo_env(tmp_path))

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    listed = button("btn.product", name="Kopi Kenangan Voucher 25K", price=25_000,
                    stock=button("btn.product_stock", stock=2))
    assert listed in result.stdout
    assert hashlib.sha256(owner_db.read_bytes()).hexdigest() == digest
    assert sorted(path.name for path in owner_db.parent.iterdir()) == files_before


def test_the_terminal_qr_code_scans_to_the_same_payment_number():
    payment_number = ("00020101021226610016ID.CO.SHOPEE.WWW01189360091800000000000208000000000303UME"
                      "51440014ID.CO.QRIS.WWW0215ID10243341364740303UME5204481453033605406708005802ID"
                      "5922Toko Digital Nusantara6007JAKARTA6105101106304ABCD")
    text = qr_ascii(payment_number)
    # Each character is two pixels stacked; inverted, so a blank is a dark module.
    pixels = {" ": (0, 0), "▀": (255, 0), "▄": (0, 255), "█": (255, 255)}
    rows = text.splitlines()
    width = max(len(row) for row in rows)
    image = PIL.Image.new("L", (width, 2 * len(rows)), 255)
    for y, row in enumerate(rows):
        for x, char in enumerate(row.ljust(width, "█")):
            top, bottom = pixels[char]
            image.putpixel((x, 2 * y), top)
            image.putpixel((x, 2 * y + 1), bottom)
    image = image.resize((width * 8, 2 * len(rows) * 8), PIL.Image.NEAREST)
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in found] == [payment_number]


def test_the_demo_never_writes_into_the_repository_by_default():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "demo-output/" in ignored, "demo-output/ must stay in .gitignore"
