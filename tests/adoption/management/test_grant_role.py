"""manage.py grant_role <username> <contributor|curator>."""

import pytest
from django.core.management import CommandError, call_command

from adoption.roles import is_curator
from tests.factories import UserFactory


@pytest.mark.django_db
def test_grant_curator_makes_a_staff_curator_and_is_idempotent(capsys):
    user = UserFactory(username="dana")
    call_command("grant_role", "dana", "curator")
    user.refresh_from_db()
    assert is_curator(user) and user.is_staff
    assert set(user.groups.values_list("name", flat=True)) == {"contributor", "curator"}
    assert "now a curator" in capsys.readouterr().out
    call_command("grant_role", "dana", "curator")
    assert "nothing changed" in capsys.readouterr().out


@pytest.mark.django_db
def test_grant_contributor_does_not_open_the_admin():
    user = UserFactory(username="eli")
    call_command("grant_role", "eli", "contributor")
    user.refresh_from_db()
    assert not is_curator(user) and not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["contributor"]


@pytest.mark.django_db
def test_unknown_user_or_role_is_an_error():
    UserFactory(username="finn")
    with pytest.raises(CommandError, match="No user named"):
        call_command("grant_role", "nobody", "curator")
    with pytest.raises(CommandError):
        call_command("grant_role", "finn", "admin")
