"""manage.py create_demo_users: roles come from the roles service, so demo curators can open the admin."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from adoption.roles import is_curator


@pytest.mark.django_db
def test_demo_users_get_their_roles_and_a_reset_keeps_them(capsys):
    call_command("create_demo_users")
    call_command("create_demo_users")  # a second run resets passwords and keeps roles
    users = {u.username: u for u in get_user_model().objects.all()}
    assert is_curator(users["curator"]) and users["curator"].is_staff
    assert is_curator(users["curator2"]) and users["curator2"].is_staff
    assert not is_curator(users["contributor"]) and not users["contributor"].is_staff
    assert list(users["contributor"].groups.values_list("name", flat=True)) == ["contributor"]
    assert "roles: contributor, curator" in capsys.readouterr().out
