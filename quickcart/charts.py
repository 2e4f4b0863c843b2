"""The /stats chart: revenue and paid orders per day, and the top products, as a PNG drawn with Pillow.

Pillow is already here for the QR codes; a plotting library would add tens
of megabytes and a second's import for three bar charts. Every word on the
chart comes in :class:`ChartWords`, said by the caller in the admin's
language; money is written by the caller's ``money`` function.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 1000
MARGIN_LEFT, MARGIN_RIGHT = 150, 40
BACKGROUND, INK, GRID = (255, 255, 255), (40, 40, 48), (225, 228, 235)
REVENUE_COLOUR, ORDERS_COLOUR, TOP_COLOUR = (46, 125, 200), (240, 140, 40), (60, 160, 110)
TOP_NAME_CHARS = 34


@dataclass(frozen=True)
class ChartWords:
    title: str
    revenue: str  # the revenue panel's heading
    orders: str  # the orders panel's heading
    top: str  # the top products panel's heading
    nothing: str  # shown in a panel with nothing to draw
    cut: str  # ends a product name cut short


@dataclass(frozen=True)
class ChartDay:
    label: str  # "27/11"
    revenue: int
    orders: int


@dataclass(frozen=True)
class ChartProduct:
    name: str
    units: int


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _nice_ceiling(value: int) -> int:
    """A round upper bound for an axis of four steps, at least ``value`` (small counts step by whole numbers)."""
    if value <= 100:
        return next(ceiling for ceiling in (4, 8, 12, 16, 20, 40, 60, 80, 100) if value <= ceiling)
    power = 10 ** int(math.floor(math.log10(value)))
    return next(int(step * power) for step in (1, 2, 2.5, 3, 4, 5, 6, 8, 10) if value <= step * power)


class _Canvas:
    def __init__(self) -> None:
        self.image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)
        self.small, self.normal, self.large = _font(14), _font(17), _font(24)

    def text(self, xy: tuple[float, float], text: str, font, anchor: str = "la", fill=INK) -> None:
        self.draw.text(xy, text, font=font, fill=fill, anchor=anchor)

    def bars(self, top: int, height: int, heading: str, values: Sequence[int], labels: Sequence[str],
             colour: tuple[int, int, int], axis: Callable[[int], str], nothing: str) -> None:
        """A panel of vertical bars, one per day, with a labelled value axis."""
        self.text((MARGIN_LEFT, top), heading, self.normal)
        plot_top, plot_bottom = top + 34, top + height - 28
        left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
        ceiling = _nice_ceiling(max(values, default=0))
        for tick in range(5):
            value = ceiling * tick // 4
            y = plot_bottom - (plot_bottom - plot_top) * tick / 4
            self.draw.line((left, y, right, y), fill=GRID)
            self.text((left - 8, y), axis(value), self.small, anchor="rm")
        if not any(values):
            self.text(((left + right) / 2, (plot_top + plot_bottom) / 2), nothing, self.normal, anchor="mm")
        slot = (right - left) / max(len(values), 1)
        every = max(1, math.ceil(len(values) / 15))  # at most ~15 day labels, so they never overlap
        for index, value in enumerate(values):
            x0 = left + slot * index + slot * 0.15
            x1 = left + slot * (index + 1) - slot * 0.15
            if value:
                y = plot_bottom - (plot_bottom - plot_top) * value / ceiling
                self.draw.rectangle((x0, y, max(x1, x0 + 1), plot_bottom), fill=colour)
            if index % every == 0:
                self.text(((x0 + x1) / 2, plot_bottom + 6), labels[index], self.small, anchor="ma")

    def ranking(self, top: int, height: int, heading: str, products: Sequence[ChartProduct], nothing: str,
                cut: str) -> None:
        """Horizontal bars, longest first: units sold by product."""
        self.text((MARGIN_LEFT, top), heading, self.normal)
        if not products:
            self.text((WIDTH / 2, top + height / 2), nothing, self.normal, anchor="mm")
            return
        row = min(40, (height - 40) / len(products))
        name_right = MARGIN_LEFT + 300
        widest = max(product.units for product in products) or 1
        for index, product in enumerate(products):
            y = top + 40 + row * index
            name = product.name if len(product.name) <= TOP_NAME_CHARS else product.name[:TOP_NAME_CHARS - 1] + cut
            self.text((name_right - 10, y + row * 0.4), name, self.small, anchor="rm")
            length = (WIDTH - MARGIN_RIGHT - 80 - name_right) * product.units / widest
            self.draw.rectangle((name_right, y + row * 0.15, name_right + max(length, 2), y + row * 0.75),
                                fill=TOP_COLOUR)
            self.text((name_right + length + 8, y + row * 0.45), str(product.units), self.small, anchor="lm")

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, "PNG")
        return out.getvalue()


def period_chart(words: ChartWords, days: Sequence[ChartDay], top: Sequence[ChartProduct],
                 money: Callable[[int], str], number: Callable[[int], str]) -> bytes:
    """The chart of a period as PNG bytes: revenue per day, paid orders per day, top products by units."""
    canvas = _Canvas()
    canvas.text((WIDTH / 2, 22), words.title, canvas.large, anchor="ma")
    labels = [day.label for day in days]
    canvas.bars(70, 360, words.revenue, [day.revenue for day in days], labels, REVENUE_COLOUR, money, words.nothing)
    canvas.bars(450, 280, words.orders, [day.orders for day in days], labels, ORDERS_COLOUR, number, words.nothing)
    canvas.ranking(750, 240, words.top, top, words.nothing, words.cut)
    return canvas.png()
