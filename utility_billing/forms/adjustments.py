"""Adjustment forms: one per kind (leak, fixed amount, reversal, balance transfer), the
reject note, an account note. Parsing only: the services check the rules."""

import secrets
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ledger.forms.journals import AmountField
from ledger.models import Account
from millbrae_finance.forms import BookDateField
from utility_billing.models import (
    AdjustmentStatus,
    Bill,
    BillLine,
    BillRunStatus,
    UtilityAccount,
    UtilityAdjustment,
)
from utility_billing.models.notes import MAX_NOTE_CHARS
from utility_billing.queries.adjustments import adjustable_revenue_accounts
from utility_billing.services.adjustments import MAX_REASON_CHARS

# The bills (and their charges) a form offers: the latest, newest first.
RECENT_BILLS = 24


def new_adjustment_key() -> str:
    """A one-time key, made when an adjustment form is shown: a double click prepares one."""
    return secrets.token_urlsafe(18)


def _date(label: str, help_text: str = "", *, required: bool = True) -> BookDateField:
    return BookDateField(
        label=label,
        help_text=help_text,
        required=required,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class BillChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Bill) -> str:
        return (
            f"{obj.number}: {obj.period_start:%m/%d/%Y} to {obj.period_end:%m/%d/%Y}, "
            f"{obj.consumption.normalize():f} HCF, ${obj.amount:,.2f}"
        )


class RevenueAccountField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Account) -> str:
        return f"{obj.number} {obj.name}"


class AdjustmentForm(forms.Form):
    """What every kind asks: the date, the reason, the one-time key."""

    adjustment_date = _date(
        "Adjustment date", "The entry and the account's movement are dated this day."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_REASON_CHARS, strip=True
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, account: UtilityAccount, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {"adjustment_date": timezone.localdate(), "idempotency_key": new_adjustment_key()},
        )
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data["idempotency_key"]
        if not key:
            raise ValidationError("The form expired: open it again.")
        return key


def _posted_bills(account: UtilityAccount):
    return Bill.objects.filter(account=account, run__status=BillRunStatus.POSTED).order_by(
        "-period_end", "-id"
    )


class LeakAdjustmentForm(AdjustmentForm):
    bill = BillChoiceField(
        queryset=Bill.objects.none(),
        label="Bill with the leak",
        help_text="The credit is worked out from this bill's use against the account's average.",
    )
    repair_date = _date("Repaired on", required=False)
    repair_proof = forms.CharField(
        label="Proof of repair",
        max_length=250,
        required=False,
        help_text="The plumber's invoice or the parts receipt: who, number, date.",
    )
    field_order = ["bill", "repair_date", "repair_proof", "adjustment_date", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bills = _posted_bills(self.account)
        ids = list(bills.values_list("id", flat=True)[:RECENT_BILLS])
        self.fields["bill"].queryset = bills.filter(id__in=ids)


class FixedAdjustmentForm(AdjustmentForm):
    direction = forms.ChoiceField(
        choices=[("credit", "Credit (lowers what is owed)"), ("charge", "Charge (raises it)")],
        widget=forms.RadioSelect,
    )
    amount = AmountField(label="Amount", required=True)
    revenue_account = RevenueAccountField(
        queryset=Account.objects.none(),
        label="Revenue account",
        help_text="Charged, or credited back, opposite the account's utility receivable.",
    )
    field_order = ["direction", "amount", "revenue_account", "adjustment_date", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["revenue_account"].queryset = adjustable_revenue_accounts().select_related(
            "fund"
        )

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise ValidationError(
                "Enter an amount more than zero: choose charge or credit for its direction."
            )
        return amount

    def signed_amount(self):
        amount = self.cleaned_data["amount"]
        return -amount if self.cleaned_data["direction"] == "credit" else amount


class ReversalForm(AdjustmentForm):
    """What to reverse: a charge on one of the latest posted bills, or an approved
    adjustment. One choice field, "line-<id>" or "adjustment-<id>"."""

    target = forms.ChoiceField(label="Reverse", choices=[])
    field_order = ["target", "adjustment_date", "reason"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bills = list(_posted_bills(self.account)[:RECENT_BILLS])
        lines = BillLine.objects.filter(bill__in=bills).order_by("-bill__period_end", "position")
        by_bill: dict[int, list] = {}
        for line in lines:
            by_bill.setdefault(line.bill_id, []).append(
                (f"line-{line.pk}", f"{line.description}: ${line.amount:,.2f}")
            )
        choices: list = [("", "Choose a charge or an adjustment")]
        for bill in bills:
            if by_bill.get(bill.pk):
                label = f"Bill {bill.number}, {bill.period_end:%m/%d/%Y}"
                choices.append((label, by_bill[bill.pk]))
        adjustments = UtilityAdjustment.objects.filter(
            account=self.account, status=AdjustmentStatus.APPROVED, reverses__isnull=True
        ).exclude(kind="reversal")[:RECENT_BILLS]
        if adjustments:
            choices.append(
                (
                    "Adjustments",
                    [
                        (
                            f"adjustment-{adj.pk}",
                            f"{adj.number} {adj.get_kind_display().lower()}: ${adj.amount:,.2f}",
                        )
                        for adj in adjustments
                    ],
                )
            )
        self.fields["target"].choices = choices

    def targets(self) -> dict:
        """The service's bill_line or reverses."""
        kind, _, pk = self.cleaned_data["target"].partition("-")
        if kind == "line":
            return {"bill_line": BillLine.objects.select_related("bill__run").get(pk=pk)}
        return {"reverses": UtilityAdjustment.objects.get(pk=pk)}


class TransferForm(AdjustmentForm):
    to_account = forms.CharField(
        label="To account number",
        max_length=20,
        help_text="The whole balance goes, fund by fund.",
    )
    field_order = ["to_account", "adjustment_date", "reason"]

    def clean_to_account(self) -> UtilityAccount:
        number = self.cleaned_data["to_account"].strip()  # a NUL is refused by the field
        account = UtilityAccount.objects.filter(number=number).first()
        if account is None:
            raise ValidationError(f"No utility account is numbered {number!r}.")
        if account.pk == self.account.pk:
            raise ValidationError("A balance is transferred to another account, not this one.")
        return account


ADJUSTMENT_FORMS = {
    "leak": LeakAdjustmentForm,
    "fixed": FixedAdjustmentForm,
    "reversal": ReversalForm,
    "transfer": TransferForm,
}


class RejectAdjustmentForm(forms.Form):
    note = forms.CharField(
        label="Why it is rejected",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=MAX_REASON_CHARS,
    )


class AdjustmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[*AdjustmentStatus.choices, ("all", "Any status")], required=False
    )


class AccountNoteForm(forms.Form):
    text = forms.CharField(
        label="New note", widget=forms.Textarea(attrs={"rows": 3}), max_length=MAX_NOTE_CHARS
    )


class LeakPolicyForm(forms.Form):
    name = forms.CharField(max_length=100, initial="Leak adjustment policy")
    effective_from = _date("In force from")
    credit_percent = forms.DecimalField(
        label="Share of the excess credited (%)",
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        max_value=Decimal("100"),
        initial=Decimal("50"),
    )
    once_in_months = forms.IntegerField(
        label="At most once in (months)", min_value=1, max_value=120, initial=12
    )
    average_months = forms.IntegerField(
        label="Average over the bills of (months)", min_value=1, max_value=60, initial=12
    )
    repair_proof_required = forms.BooleanField(
        label="Proof of repair required", required=False, initial=True
    )
