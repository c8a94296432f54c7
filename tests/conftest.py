import pytest
from django.contrib.auth.models import Group, User

from millbrae_finance.roles import Role

ROLE_USERNAMES = {
    Role.COUNTER_CLERK: "t_clerk",
    Role.ACCOUNTING_TECHNICIAN: "t_tech",
    Role.SENIOR_ACCOUNTING_TECHNICIAN: "t_senior",
    Role.FINANCE_SUPERVISOR: "t_supervisor",
    Role.AUDITOR: "t_auditor",
    Role.ADMINISTRATOR: "t_admin",
}
TEST_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2 at Django's work factor takes about a third of a second a user; tests make
    # hundreds of users and prove nothing about hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(role: Role | None, username: str | None = None) -> User:
    user = User.objects.create_user(
        username=username or ROLE_USERNAMES[role], password=TEST_PASSWORD, first_name="Test"
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def role_users(db) -> dict[Role, User]:
    """One user in each role."""
    return {role: make_user(role) for role in Role}


@pytest.fixture
def clerk(db) -> User:
    return make_user(Role.COUNTER_CLERK)


@pytest.fixture
def auditor(db) -> User:
    return make_user(Role.AUDITOR)


@pytest.fixture
def administrator(db) -> User:
    return make_user(Role.ADMINISTRATOR)


@pytest.fixture
def client_for(client):
    """A test client logged in as the given user."""

    def login(user: User):
        client.force_login(user)
        return client

    return login
