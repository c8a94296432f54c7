"""Utility AR in the aging report (a section registered with millbrae_finance's aging
registry): each account's open bills by days past their due date, in the report's
buckets, and the credit not yet applied to any bill. One SQL statement over the
subledger movements, as of any day; the total is the utility AR control accounts'
balance on that day (every fund together)."""

import datetime as dt

from django.db import connection
from django.urls import reverse

from millbrae_finance.aging_sections import AgingLine, AgingSection
from millbrae_finance.money import ZERO
from receivables.models import Customer
from utility_billing.models import ServiceLocation, UtilityAccount, UtilityTransaction
from utility_billing.queries.payments import parts_sql

SECTION_KEY = "utility"


def _aging_sql() -> str:
    tx = UtilityTransaction._meta.db_table
    account = UtilityAccount._meta.db_table
    customer = Customer._meta.db_table
    location = ServiceLocation._meta.db_table
    days = "(%(as_of)s::date - o.due_date)"
    return f"""
        SELECT b.account_id, a.number, cu.name, l.address_line1,
               COUNT(o.account_id),
               COALESCE(SUM(o.open) FILTER (WHERE {days} <= 30), 0),
               COALESCE(SUM(o.open) FILTER (WHERE {days} BETWEEN 31 AND 60), 0),
               COALESCE(SUM(o.open) FILTER (WHERE {days} BETWEEN 61 AND 90), 0),
               COALESCE(SUM(o.open) FILTER (WHERE {days} BETWEEN 91 AND 120), 0),
               COALESCE(SUM(o.open) FILTER (WHERE {days} > 120), 0),
               b.balance
          FROM (SELECT account_id, SUM(amount) AS balance FROM {tx}
                 WHERE transaction_date <= %(as_of)s
                 GROUP BY account_id HAVING SUM(amount) <> 0) b
          JOIN {account} a ON a.id = b.account_id
          JOIN {customer} cu ON cu.id = a.customer_id
          JOIN {location} l ON l.id = a.location_id
          LEFT JOIN (SELECT * FROM ({parts_sql()}) x WHERE x.open > 0) o
            ON o.account_id = b.account_id
         GROUP BY b.account_id, b.balance, a.number, cu.name, l.address_line1
         ORDER BY a.number
    """  # noqa: S608 (table names are constants; values go as parameters)


def utility_aging(as_of: dt.date) -> AgingSection:
    """Utility AR aged at the close of a day by bill due date, one line per account
    that owes or is owed, with the total."""
    with connection.cursor() as cursor:
        cursor.execute(_aging_sql(), {"as_of": as_of})
        fetched = cursor.fetchall()
    lines = []
    total = AgingLine("Total")
    for account_id, number, name, address, items, *buckets, balance in fetched:
        line = AgingLine(
            label=f"{name}, {address}",
            number=number,
            items=items,
            buckets=list(buckets),
            credit=balance - sum(buckets, ZERO),
            url=reverse("utility_billing:account_detail", args=[account_id]),
        )
        lines.append(line)
        total.items += items
        total.buckets = [t + b for t, b in zip(total.buckets, buckets, strict=True)]
        total.credit += line.credit
    return AgingSection(
        key=SECTION_KEY,
        title="Utility accounts (utility AR)",
        group_heading="Utility account",
        basis="days past each bill's due date; a credit not yet applied to a bill is shown apart",
        lines=lines,
        total=total,
    )
