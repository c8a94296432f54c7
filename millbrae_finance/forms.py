import datetime as dt

from django import forms
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q
from django.urls import reverse_lazy

from millbrae_finance.audit import tracked_models

# The <datalist> the user boxes of the audit pages share, and how many names it offers.
USER_OPTIONS_ID = "user-options"
USER_SUGGESTIONS = 20


def user_suggestions(text: str, *, limit: int = USER_SUGGESTIONS) -> list[User]:
    """Users whose username, first or last name begins with the text, by username: at
    most `limit` (a box's suggestions, however many users there are)."""
    text = text.strip()
    if not text or "\x00" in text:  # PostgreSQL text holds no NUL: nobody is named so
        return []
    return list(
        User.objects.filter(
            Q(username__istartswith=text)
            | Q(first_name__istartswith=text)
            | Q(last_name__istartswith=text)
        ).order_by("username")[:limit]
    )


class UsernameField(forms.CharField):
    """A user named by username in a text box with suggestions (the audit pages'
    "Changed by"), not a list of every user: a city's users grow without bound. A number
    that is no username is taken as a user id (links made when the box was a list)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 150)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {
                "list": USER_OPTIONS_ID,
                "autocomplete": "off",
                "placeholder": "Anyone",
                "hx-get": reverse_lazy("audit_changed_by"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{USER_OPTIONS_ID}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def clean(self, value):
        text = (super().clean(value) or "").strip()
        if not text:
            return None
        user = User.objects.filter(username=text).first()
        if user is None:
            user = User.objects.filter(username__iexact=text).order_by("pk").first()
        if user is None and text.isdigit() and len(text) < 12:
            user = User.objects.filter(pk=int(text)).first()
        if user is None:
            raise ValidationError(f"No user named {text}.", code="unknown")
        return user


class AuditFilterForm(forms.Form):
    model = forms.ChoiceField(label="Record type", required=False)
    object_id = forms.CharField(label="Record id", required=False, max_length=40)
    user = UsernameField(label="Changed by")
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", "All records")] + [
            (item.label, item.name) for item in tracked_models()
        ]
        # The error slots stay on the page while HTMX refreshes them, so each input points
        # at its slot all the time, not only when the page was rendered with errors.
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}_error"

    def clean(self) -> dict:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end date is before the start date.")
        if cleaned.get("object_id") and not cleaned.get("model"):
            self.add_error("object_id", "Choose a record type to look up a record id.")
        return cleaned


# The books start with the City's first fiscal year on this system; a date before 2000 or
# after 2099 is a typing slip, and date arithmetic near year 1 or 9999 would overflow.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


class BookDateField(forms.DateField):
    """A date the books can hold: between 2000 and 2099."""

    def validate(self, value: dt.date | None) -> None:
        super().validate(value)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValidationError(
                f"Enter a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}.", code="range"
            )


class RoleChangeFilterForm(forms.Form):
    user = UsernameField(label="Whose roles")
    changed_by = UsernameField(label="Changed by")
    role = forms.ModelChoiceField(
        label="Role", queryset=Group.objects.order_by("name"), required=False, empty_label="Any"
    )
    change = forms.ChoiceField(
        label="Change",
        required=False,
        choices=[("", "Added or removed"), ("insert", "Added"), ("delete", "Removed")],
    )
    date_from = BookDateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = BookDateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}_error"

    def clean(self) -> dict:
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class FocusFirstField:
    """A data-entry form page puts the cursor in its first field, and after a refused
    submit in the first field with an error, so a keyboard user starts typing at once.
    List filters do not use it (they keep the search box's own autofocus), nor do forms
    that sit beside a document (a rejection's reason), where focus would jump the page."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._focus(next(iter(self.visible_fields()), None))

    def full_clean(self) -> None:
        super().full_clean()
        refused = next((field for field in self.visible_fields() if field.errors), None)
        if refused is not None:
            self._focus(refused)

    def _focus(self, bound_field) -> None:
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        if bound_field is not None:
            bound_field.field.widget.attrs["autofocus"] = True


class EntryForm(FocusFirstField, forms.Form):
    """The base of every data-entry form (not list filters)."""


class EntryModelForm(FocusFirstField, forms.ModelForm):
    """The base of every data-entry model form."""


# One rule for a NUL character in any text a form takes: refused beside the field, never
# dropped silently (PostgreSQL text cannot hold one, and no keyboard types one). Django's
# CharField applies this validator to every text field; a field that parses text into
# something else (a customer number) calls it first.
refuse_nul = ProhibitNullCharactersValidator()
