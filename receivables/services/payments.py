"""Receivables' payment targets, registered with the payment-target registry: a misc
invoice, a citation, and a customer's whole balance (applied oldest item first). The
counter, mail and lockbox screens of cashiering find and pay them through the registry.

A payment is applied once per key: each movement's cause is "<key>:<document>", unique
in the database, and the targets lock what they pay before looking for an earlier
payment with the key, so a repeat (sequential, or twenty at once) returns the first
payment's credit lines and writes nothing."""

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from millbrae_finance.money import ZERO
from millbrae_finance.payment_targets import CreditLine, TargetMatch
from receivables.models import (
    ArTransaction,
    Citation,
    CitationStatus,
    Customer,
    Fee,
    FeeRule,
    Invoice,
    InvoiceStatus,
)
from receivables.queries.customers import search_customers
from receivables.queries.fees import fee_in_effect
from receivables.queries.subledger import balance_as_of, repeated_payment
from receivables.services.subledger import apply_payment, reverse_payment

CHECKS_WARNING = "Do not accept checks"
INVOICE_NUMBER = re.compile(r"^(?:INV-?)?0*(\d{1,9})$", re.IGNORECASE)
CUSTOMER_NUMBER = re.compile(r"^C?0*(\d{1,9})$", re.IGNORECASE)


def _warnings(customer: Customer | None) -> tuple[str, ...]:
    # A flag with an end date that has passed no longer refuses checks.
    return (CHECKS_WARNING,) if customer is not None and customer.refuses_checks() else ()


def _customer_label(customer: Customer | None, fallback: str = "") -> str:
    return f"{customer.number} {customer.name}" if customer is not None else fallback


def charge_returned_check_to(customer: Customer, **kwargs) -> str:
    """The registry's `charge_returned_check` for any target whose payer is `customer`."""
    from receivables.services.returned_checks import charge_returned_check

    invoice = charge_returned_check(customer, **kwargs)
    return f"Invoice {invoice.number}, {invoice.total:,.2f}, to {_customer_label(customer)}"


def _open_invoices():
    return Invoice.objects.open().select_related("customer")


def _open_citations():
    return Citation.objects.open().select_related("customer", "violation")


def _invoice_match(invoice: Invoice) -> TargetMatch:
    return TargetMatch(
        kind=InvoiceTarget.key,
        reference=invoice.number,
        label=f"Invoice {invoice.number}, {invoice.description}",
        customer=_customer_label(invoice.customer),
        amount_due=invoice.balance,
        warnings=_warnings(invoice.customer),
    )


def _citation_match(citation: Citation) -> TargetMatch:
    who = citation.respondent_name or (f"Plate {citation.plate}" if citation.plate else "")
    return TargetMatch(
        kind=CitationTarget.key,
        reference=citation.number,
        label=f"Citation {citation.number}, {citation.violation.description}",
        customer=_customer_label(citation.customer, who),
        amount_due=citation.balance,
        warnings=_warnings(citation.customer),
    )


def _matching_customer_ids(text: str, limit: int) -> list[int]:
    return [customer.pk for customer in search_customers(text, limit=limit)]


def _invoice_for(reference: str, *, lock: bool = False) -> Invoice:
    match = INVOICE_NUMBER.match(reference.strip())
    rows = Invoice.objects.filter(status=InvoiceStatus.ISSUED)
    if lock:
        rows = rows.select_for_update()
    invoice = rows.filter(pk=int(match.group(1))).first() if match else None
    if invoice is None:
        raise ValidationError({"reference": f"No issued invoice {reference}."})
    return invoice


def _citation_for(reference: str, *, lock: bool = False) -> Citation:
    rows = Citation.objects.filter(status=CitationStatus.OPEN)
    if lock:
        rows = rows.select_for_update()
    citation = rows.filter(number=reference.strip().upper()).first()
    if citation is None:
        raise ValidationError({"reference": f"No open citation {reference}."})
    return citation


def _customer_for(reference: str) -> Customer:
    match = CUSTOMER_NUMBER.match(reference.strip())
    customer = Customer.objects.filter(pk=int(match.group(1))).first() if match else None
    if customer is None:
        raise ValidationError({"reference": f"No customer {reference}."})
    return customer


class _DocumentTarget:
    """A target that is one document: what is due on it, and paying it (locked)."""

    def _document(self, reference: str, *, lock: bool = False) -> Invoice | Citation:
        raise NotImplementedError

    def _names(self, reference: str, movement: ArTransaction) -> bool:
        """Whether `reference` names the document the movement is on."""
        raise NotImplementedError

    def amount_due(self, reference: str, *, as_of: dt.date) -> Decimal:
        return max(balance_as_of(self._document(reference), as_of), ZERO)

    def apply_payment(
        self,
        reference: str,
        *,
        amount: Decimal,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        payment_key: str,
    ) -> Sequence[CreditLine]:
        try:
            # Locked first: a repeat racing this one waits here, then finds its movement.
            document = self._document(reference, lock=True)
        except ValidationError:
            # Not payable now (dismissed since, say): a repeat of a payment made before
            # still answers with that payment.
            first = repeated_payment(
                payment_key,
                amount=amount,
                receipt=receipt,
                same_target=lambda movement: self._names(reference, movement),
            )
            if first is None:
                raise
            return first
        return apply_payment(
            [document],
            amount=amount,
            payment_date=as_of,
            receipt=receipt,
            actor=actor,
            payment_key=payment_key,
        )

    def reverse_payment(
        self,
        reference: str,
        *,
        payment_key: str,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        journal_entry,
    ) -> None:
        """Undo the payment with this key on this document (a void at the counter)."""
        reverse_payment(
            payment_key,
            void_date=as_of,
            receipt=receipt,
            actor=actor,
            journal_entry=journal_entry,
            same_target=lambda movement: self._names(reference, movement),
        )

    def charge_returned_check(self, reference: str, **kwargs) -> str:
        """A returned check that paid this document: the fee to its customer."""
        return charge_returned_check_to(self._document(reference).customer, **kwargs)


class InvoiceTarget(_DocumentTarget):
    key = "invoice"
    label = "Miscellaneous invoice"

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Open invoices by number, or those of the customers a search finds."""
        match = INVOICE_NUMBER.match(text.strip())
        if match and text.strip().upper().startswith("INV"):
            invoices = _open_invoices().filter(pk=int(match.group(1)))
        else:
            ids = _matching_customer_ids(text, limit)
            invoices = _open_invoices().filter(customer_id__in=ids).order_by("due_date", "id")
        return [_invoice_match(invoice) for invoice in invoices[:limit]]

    def _document(self, reference: str, *, lock: bool = False) -> Invoice:
        return _invoice_for(reference, lock=lock)

    def _names(self, reference: str, movement: ArTransaction) -> bool:
        match = INVOICE_NUMBER.match(reference.strip())
        return bool(match) and movement.invoice_id == int(match.group(1))


class CitationTarget(_DocumentTarget):
    key = "citation"
    label = "Citation"

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Open citations by number or plate, or those of the customers a search finds."""
        token = re.sub(r"[\s-]", "", text).upper()
        by_number = list(_open_citations().filter(number=text.strip().upper())[:limit])
        if by_number:
            return [_citation_match(citation) for citation in by_number]
        by_plate = list(_open_citations().filter(plate=token).order_by("issue_date", "id")[:limit])
        if by_plate:
            return [_citation_match(citation) for citation in by_plate]
        ids = _matching_customer_ids(text, limit)
        citations = _open_citations().filter(customer_id__in=ids).order_by("issue_date", "id")
        return [_citation_match(citation) for citation in citations[:limit]]

    def _document(self, reference: str, *, lock: bool = False) -> Citation:
        return _citation_for(reference, lock=lock)

    def _names(self, reference: str, movement: ArTransaction) -> bool:
        number = reference.strip().upper()
        return movement.citation is not None and movement.citation.number == number


def open_items_for_customer(customer: Customer, *, lock: bool = False) -> list[Invoice | Citation]:
    """A customer's open invoices and citations, oldest first (by the date each fell
    due: an invoice's due date, a citation's issue date). Locked in table then id order,
    so two clerks paying the same customer wait for each other instead of deadlocking."""
    invoices = _open_invoices().filter(customer=customer).order_by("id")
    citations = _open_citations().filter(customer=customer).order_by("id")
    if lock:
        # Only the documents: the customer and fee rows they join stay unlocked.
        invoices = invoices.select_for_update(of=("self",))
        citations = citations.select_for_update(of=("self",))
    items: list[Invoice | Citation] = [*invoices, *citations]

    def due(item: Invoice | Citation) -> tuple[dt.date, str, int]:
        if isinstance(item, Invoice):
            return (item.due_date, "i", item.pk)
        return (item.issue_date, "c", item.pk)

    return sorted(items, key=due)


class CustomerBalanceTarget:
    key = "customer"
    label = "Customer balance (invoices and citations)"

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Customers a search finds that owe something, with what they owe."""
        customers = search_customers(text, limit=limit)
        ids = [customer.pk for customer in customers]
        # What each one owes, in two queries whatever the number of customers found.
        owed: dict[int, list[Decimal]] = {pk: [] for pk in ids}
        for model in (Invoice, Citation):
            for customer_id, balance in (
                model.objects.open()
                .filter(customer_id__in=ids)
                .values_list("customer_id", "balance")
            ):
                owed[customer_id].append(balance)
        matches = []
        for customer in customers:
            items = owed[customer.pk]
            if not items:
                continue
            matches.append(
                TargetMatch(
                    kind=self.key,
                    reference=customer.number,
                    label=f"All {len(items)} open invoices and citations of {customer.number}",
                    customer=_customer_label(customer),
                    amount_due=sum(items, ZERO),
                    warnings=_warnings(customer),
                )
            )
        return matches

    def amount_due(self, reference: str, *, as_of: dt.date) -> Decimal:
        customer = _customer_for(reference)
        return sum(
            (max(balance_as_of(item, as_of), ZERO) for item in open_items_for_customer(customer)),
            ZERO,
        )

    def apply_payment(
        self,
        reference: str,
        *,
        amount: Decimal,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        payment_key: str,
    ) -> Sequence[CreditLine]:
        customer = _customer_for(reference)

        # A payment spread over the customer's documents: a repeat finds its movements
        # on documents that may be paid off (no longer open) by now.
        def of_this_customer(movement: ArTransaction) -> bool:
            return movement.customer_id == customer.pk

        # Locked first: a repeat racing this one waits for the first to commit; the
        # documents it paid off are then no longer among the open items.
        items = open_items_for_customer(customer, lock=True)
        if items:
            return apply_payment(
                items,
                amount=amount,
                payment_date=as_of,
                receipt=receipt,
                actor=actor,
                payment_key=payment_key,
                same_target=of_this_customer,
            )
        first = repeated_payment(
            payment_key, amount=amount, receipt=receipt, same_target=of_this_customer
        )
        if first is None:
            raise ValidationError({"reference": f"{customer.number} owes nothing."})
        return first

    def reverse_payment(
        self,
        reference: str,
        *,
        payment_key: str,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        journal_entry,
    ) -> None:
        """Undo the payment with this key across the customer's documents (a void)."""
        customer = _customer_for(reference)
        reverse_payment(
            payment_key,
            void_date=as_of,
            receipt=receipt,
            actor=actor,
            journal_entry=journal_entry,
            same_target=lambda movement: movement.customer_id == customer.pk,
        )

    def charge_returned_check(self, reference: str, **kwargs) -> str:
        """A returned check that paid this customer's balance: the fee to the customer."""
        return charge_returned_check_to(_customer_for(reference), **kwargs)


class FeeTarget:
    """A miscellaneous revenue line from the fee schedule, paid at the counter (a copy of
    a report, a permit fee): no receivable, so the payment credits the fee's revenue
    account directly and writes nothing here. A repeat returns the same line; the
    cashier's receipt key makes the payment once."""

    key = "fee"
    label = "Fee (miscellaneous revenue)"

    def find(self, text: str, *, limit: int) -> Sequence[TargetMatch]:
        """Fees in effect today whose code or description matches; a flat fee's amount
        is what is due, any other the clerk works out and types."""

        text = text.strip()
        if len(text) < 2:
            return []
        fees = (
            Fee.objects.in_effect_on(timezone.localdate())
            .filter(Q(code__icontains=text) | Q(description__icontains=text))
            .order_by("code")[:limit]
        )
        return [
            TargetMatch(
                kind=self.key,
                reference=fee.code,
                label=f"Fee {fee.code}, {fee.description}",
                customer="",
                amount_due=fee.amount if fee.rule == FeeRule.FLAT and fee.amount else ZERO,
            )
            for fee in fees
        ]

    def amount_due(self, reference: str, *, as_of: dt.date) -> Decimal:
        fee = self._fee(reference, as_of)
        return fee.amount if fee.rule == FeeRule.FLAT and fee.amount else ZERO

    def apply_payment(
        self,
        reference: str,
        *,
        amount: Decimal,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        payment_key: str,
    ) -> Sequence[CreditLine]:
        fee = self._fee(reference, as_of)
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValidationError({"amount": "The payment must be an amount to the cent."})
        memo = f"{fee.code} {fee.description}, receipt {receipt}"[:100]
        return [CreditLine(account=fee.revenue_account, amount=-amount, memo=memo)]

    def reverse_payment(
        self,
        reference: str,
        *,
        payment_key: str,
        as_of: dt.date,
        receipt: str,
        actor: AbstractBaseUser,
        journal_entry,
    ) -> None:
        """Nothing to undo here: the void's entry reverses the revenue line."""

    @staticmethod
    def _fee(reference: str, as_of: dt.date) -> Fee:
        fee = fee_in_effect(reference or "", as_of)
        if fee is None:
            raise ValidationError({"reference": f"No fee {reference} in effect."})
        return fee
