"""The chart accounts cashiering posts to, named once: services post to them, the daily
cash report reads their ledger activity."""

# Every tender the counter takes sits in the drawer until it is deposited.
CASH_IN_DRAWERS = "101-0000-1020"
# Where a drawer's difference goes: an expense, debited when short, credited when over.
CASH_OVER_SHORT = "101-0000-5990"
# The chart's cash-in-bank object: pooled cash, one account a fund (ledger/demo/books.py).
CASH_IN_BANK_OBJECT = "1010"
