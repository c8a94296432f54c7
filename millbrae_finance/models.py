import pghistory
from django.contrib.auth.models import Group, User
from django.db import models

from millbrae_finance.audit_tracking import track

# Users and roles are the first thing an auditor asks about: who could do what, and when
# that changed. The password hash is never copied into the history: a password change is
# its own event carrying only the username, and so is a login, which would otherwise bury
# the real changes among last_login updates.
track(app_label="millbrae_finance", model_name="UserEvent", exclude=["password", "last_login"])(
    User
)
track(
    pghistory.UpdateEvent("password_change", condition=pghistory.AnyChange("password")),
    fields=["username"],
    app_label="millbrae_finance",
    model_name="UserPasswordEvent",
)(User)
track(
    pghistory.UpdateEvent("login", condition=pghistory.AnyChange("last_login")),
    fields=["username", "last_login"],
    app_label="millbrae_finance",
    model_name="UserLoginEvent",
)(User)
track(app_label="millbrae_finance", model_name="GroupEvent")(Group)
track(app_label="millbrae_finance", model_name="UserGroupEvent")(User.groups.through)


@track()
class CityClosure(models.Model):
    """A day City Hall is closed beyond California's state holidays (a furlough day, the
    day after Thanksgiving, an emergency closure). Business-day deadlines skip it."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


# The background job's row lives with its machinery; Django finds models through here.
from millbrae_finance.jobs import Job, JobFile, JobState  # noqa: E402, F401
