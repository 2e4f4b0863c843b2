"""Figures by period: revenue, orders, units, new customers, top products, conversion, time to pay, per Jakarta day."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from quickcart import catalogue, refunds, stats, stock
from quickcart.db import database
from quickcart.models import Order, User
from quickcart.timeutil import DayRange
from tests.unit.helpers import make_user, paid_purchase, paid_topup

NOV = DayRange(date(2026, 11, 1), date(2026, 11, 30))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A stored (naive UTC) moment: Jakarta is 7 hours ahead."""
    return datetime(2026, 11, day, hour, minute)


def test_figures_count_paid_purchases_on_their_jakarta_day(db):
    netflix = catalogue.add_product(0, "Netflix", "Streaming", 50_000, 45_000, "")
    spotify = catalogue.add_product(0, "Spotify", "Streaming", 20_000, 18_000, "")
    stock.add_lines(netflix.id, [f"n{i}" for i in range(10)])
    stock.add_lines(spotify.id, [f"s{i}" for i in range(10)])
    budi, ani = make_user(7001), make_user(7002)
    User.update(created_at=at(10, 1)).execute()
    first = paid_purchase(budi, netflix, 2, at(10, 16, 59))  # 23:59 WIB on the 10th
    Order.update(created_at=at(10, 16, 57)).where(Order.id == first.id).execute()  # paid 2 minutes after
    second = paid_purchase(ani, spotify, 1, at(10, 17, 0))  # 00:00 WIB on the 11th
    Order.update(created_at=at(10, 16, 59)).where(Order.id == second.id).execute()
    october = paid_purchase(ani, spotify, 3, datetime(2026, 10, 31, 16, 59))  # 23:59 WIB on 31 October
    Order.update(created_at=datetime(2026, 10, 31, 16, 50)).where(Order.id == october.id).execute()
    unpaid = paid_purchase(ani, spotify, 1, at(12, 5))
    Order.update(status="expired", paid_at=None, created_at=at(12, 4)).where(Order.id == unpaid.id).execute()
    paid_topup(budi, 30_000, at(12, 6))
    refunds.refund(1, first, 10_000)

    figures = stats.period_figures(NOV)
    assert (figures.revenue, figures.paid_orders, figures.units) == (120_000, 2, 3)
    by_day = {day.day: (day.revenue, day.orders) for day in figures.days}
    assert by_day[date(2026, 11, 10)] == (100_000, 1) and by_day[date(2026, 11, 11)] == (20_000, 1)
    assert len(figures.days) == 30 and sum(day.orders for day in figures.days) == 2
    assert [(p.name, p.units, p.revenue) for p in figures.top] == [("Netflix", 2, 100_000), ("Spotify", 1, 20_000)]
    assert (figures.created, figures.created_paid, figures.conversion_percent) == (3, 2, 67)
    assert figures.average_seconds_to_pay == 90  # 2 minutes and 1 minute
    assert (figures.topups, figures.refunded, figures.refunds) == (30_000, 10_000, 1)
    assert figures.new_customers == 2

    one_day = stats.period_figures(DayRange(date(2026, 11, 11), date(2026, 11, 11)))
    assert (one_day.revenue, one_day.paid_orders, one_day.new_customers) == (20_000, 1, 0)


def test_an_empty_period_has_zeros_and_no_conversion(db):
    figures = stats.period_figures(NOV)
    assert (figures.revenue, figures.created, figures.conversion_percent, figures.average_seconds_to_pay) == (
        0, 0, None, None)
    assert figures.top == [] and len(figures.days) == 30


def test_each_period_query_is_a_range_on_an_index(db):
    start, end = (str(moment) for moment in NOV.bounds_utc())
    plans = {
        "paid": 'SELECT COUNT(*) FROM "order" WHERE status = \'paid\' AND kind = \'purchase\' '
                "AND paid_at >= ? AND paid_at < ?",
        "created": 'SELECT COUNT(*) FROM "order" WHERE kind = \'purchase\' AND created_at >= ? AND created_at < ?',
        "users": 'SELECT COUNT(*) FROM "user" WHERE created_at >= ? AND created_at < ?',
    }
    for what, sql in plans.items():
        plan = str(database.execute_sql("EXPLAIN QUERY PLAN " + sql, (start, end)).fetchall())
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, (what, plan)
    assert DayRange(date(2026, 11, 1), date(2026, 11, 1)).bounds_utc() == (datetime(2026, 10, 31, 17),
                                                                         datetime(2026, 11, 1, 17))
    assert NOV.days == 30 and NOV.each_day()[-1] == NOV.first + timedelta(days=29)
