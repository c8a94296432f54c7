"""Opening a clerk's session on a drawer (closing it is counting it: services/closing.py)."""

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from cashiering.models import CashSession, Drawer
from millbrae_finance.money import CENT
from millbrae_finance.roles import Role, has_role

# Who takes money at the counter. Technicians and leads prepare and approve what a clerk
# took (voids, drawer verification), so they do not take it themselves.
CASHIERS = frozenset({Role.COUNTER_CLERK})


def open_session(drawer: Drawer, *, opening_float: Decimal, actor: AbstractBaseUser) -> CashSession:
    """Open a session for the actor on a drawer with the float they counted. One open
    session per drawer and per clerk: the database refuses a second."""
    if not has_role(actor, *CASHIERS):
        raise PermissionDenied("Only a cashier opens a drawer.")
    if opening_float is None or opening_float < 0:
        raise ValidationError({"opening_float": "Count the float: zero or more."})
    if opening_float != opening_float.quantize(CENT):
        raise ValidationError({"opening_float": "The float is counted to the cent."})
    try:
        with transaction.atomic(durable=True):
            drawer = Drawer.objects.select_for_update().get(pk=drawer.pk)
            if not drawer.active:
                raise ValidationError({"drawer": f"{drawer} is not in use."})
            if CashSession.objects.open().filter(clerk=actor).exists():
                raise ValidationError({"drawer": "You already have a session open."})
            if CashSession.objects.open().filter(drawer=drawer).exists():
                raise ValidationError({"drawer": f"{drawer} is already open."})
            return CashSession.objects.create(
                drawer=drawer, clerk=actor, opening_float=opening_float
            )
    except IntegrityError:
        # The partial unique indexes: a session opened for this clerk (on another drawer,
        # in another tab) between the check and the insert.
        raise ValidationError(
            {"drawer": "A session is already open for you or this drawer."}
        ) from None
