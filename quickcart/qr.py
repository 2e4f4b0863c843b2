"""Rendering Pakasir's QRIS string as a PNG a phone can scan from a screen."""
from __future__ import annotations

import io
import math

import qrcode
from qrcode.constants import ERROR_CORRECT_M

TARGET_PIXELS = 640  # comfortably scannable from another phone's screen
QUIET_ZONE = 4  # modules of white border the QR standard asks for


def render_qr_png(payload: str) -> bytes:
    """The QR code of ``payload`` exactly (no re-encoding), as PNG bytes."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(payload, optimize=0)
    code.make(fit=True)
    modules = code.modules_count + 2 * QUIET_ZONE
    code.box_size = max(6, math.ceil(TARGET_PIXELS / modules))
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
