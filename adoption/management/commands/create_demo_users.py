"""manage.py create_demo_users: a demo curator, a second curator and a contributor, for `make demo`."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from adoption.roles import CONTRIBUTOR, CURATOR

DEMO_USERS = (
    ("curator", (CONTRIBUTOR, CURATOR), True),
    ("curator2", (CONTRIBUTOR, CURATOR), True),
    ("contributor", (CONTRIBUTOR,), False),
)


class Command(BaseCommand):
    help = "Create (or reset) demo accounts with fresh passwords and print their credentials. Demo only."

    def handle(self, *args, **options):
        User = get_user_model()
        self.stdout.write("Demo accounts (passwords are new on every run):")
        for username, roles, staff in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.org"})
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = staff
            user.save()
            user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in roles))
            self.stdout.write(self.style.SUCCESS(f"  {username:<12} password {password}   roles: {', '.join(roles)}"))
