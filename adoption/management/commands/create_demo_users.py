"""manage.py create_demo_users: a demo curator, a second curator and a contributor, for `make demo`."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from adoption.roles import CONTRIBUTOR, CURATOR
from adoption.services.roles import role_grant

DEMO_USERS = (
    ("curator", CURATOR),
    ("curator2", CURATOR),
    ("contributor", CONTRIBUTOR),
)


class Command(BaseCommand):
    help = "Create (or reset) demo accounts with fresh passwords and print their credentials. Demo only."

    def handle(self, *args, **options):
        User = get_user_model()
        self.stdout.write("Demo accounts (passwords are new on every run):")
        for username, role in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.org"})
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.is_staff = False  # a reset demo contributor loses admin access; role_grant gives it back to curators
            user.save()
            role_grant(user=user, role=role)
            roles = user.groups.order_by("name").values_list("name", flat=True)
            self.stdout.write(self.style.SUCCESS(f"  {username:<12} password {password}   roles: {', '.join(roles)}"))
