"""A day at the counter, closed and verified, ready for the bank: one session with a
cash-and-check receipt and a card receipt, counted a dollar short."""

from decimal import Decimal

from cashiering.services.closing import CheckCounted, CountSpec, close_and_count, verify_session
from cashiering.services.receipts import ItemSpec, TenderSpec, post_receipt
from tests.cashiering.conftest import cash_in_bank, make_drawer, make_session

D = Decimal
UA = "utility-account"


def take_and_close(counter, *, session=None, key="d", verify=True):
    """Float 100.00; A1 pays 50.00 (cash 20.00, check 501 for 30.00) and 25.00 by card;
    the clerk counts 119.00 cash (a dollar short), the check, 25.00 of cards. The senior
    verifies. The session deposits 74.00: cash 19.00, check 30.00, card 25.00."""
    session = session or counter["session"]
    clerk = session.clerk
    a1 = counter["billing"]["accounts"]["A1"]
    name = a1.customer.name
    post_receipt(
        session,
        items=[ItemSpec(UA, a1.number, D("50.00"), customer=name)],
        tenders=[
            TenderSpec("cash", D("20.00")),
            TenderSpec("check", D("30.00"), check_number="501"),
        ],
        idempotency_key=f"{key}-1",
        actor=clerk,
    )
    post_receipt(
        session,
        items=[ItemSpec(UA, a1.number, D("25.00"), customer=name)],
        tenders=[TenderSpec("card", D("25.00"), card_last_four="4242", authorization_code="OK1")],
        idempotency_key=f"{key}-2",
        actor=clerk,
    )
    close_and_count(
        session,
        spec=CountSpec(
            quantities={"bill_100": 1, "bill_10": 1, "bill_5": 1, "bill_1": 3, "coin_0_25": 4},
            checks=[CheckCounted("501", D("30.00"))],
            card_total=D("25.00"),
        ),
        actor=clerk,
    )
    if verify:
        verify_session(session, actor=counter["users"]["senior"])
    session.refresh_from_db()
    cash_in_bank()
    return session


def second_session(counter, clerk):
    """Another clerk's session on drawer D2, the same day."""
    return make_session(clerk, make_drawer("D2"), opening_float="50.00")
