"""manage.py grant_role <username> <contributor|curator> (contract, DESIGN §4)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from adoption.roles import ROLES
from adoption.services.roles import role_grant


class Command(BaseCommand):
    help = "Give a user a role: contributor (propose records) or curator (review, decide, admin access)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=ROLES)

    def handle(self, *args, username: str, role: str, **options):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        if role_grant(user=user, role=role):
            self.stdout.write(self.style.SUCCESS(f"{username} is now a {role}."))
        else:
            self.stdout.write(f"{username} was already a {role}; nothing changed.")
