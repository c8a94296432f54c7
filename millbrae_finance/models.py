import pghistory
from django.contrib.auth.models import Group, User
from django.db import models

# Users and roles are the first thing an auditor asks about: who could do what, and when
# that changed. The password hash is left out of the history on purpose.
pghistory.track(app_label="millbrae_finance", model_name="UserEvent", exclude=["password"])(User)
pghistory.track(app_label="millbrae_finance", model_name="GroupEvent")(Group)
pghistory.track(app_label="millbrae_finance", model_name="UserGroupEvent")(User.groups.through)


@pghistory.track()
class CityClosure(models.Model):
    """A day City Hall is closed beyond California's state holidays (a furlough day, the
    day after Thanksgiving, an emergency closure). Business-day deadlines skip it."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"
