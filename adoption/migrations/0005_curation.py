"""Curation: the delivery stamp of decision emails, and the curator group's admin permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

# What a curator may do in the admin. Status changes still go through the moderation actions only.
CURATOR_PERMISSIONS = {
    "region": ("view",),
    "country": ("view",),
    "organization": ("view", "add", "change"),
    "modelfamily": ("view", "add", "change"),
    "checkpoint": ("view", "add", "change"),
    # Records change only through the workflow (the admin's moderation actions and change requests).
    "adoption": ("view",),
    "evidence": ("view",),
    "moderationevent": ("view",),
    "changerequest": ("view",),
}


def grant_curator_permissions(apps, schema_editor):
    for app_config in apps.get_app_configs():
        # Permissions are normally created after migrate; create them now so the group can hold them.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    curator, _ = Group.objects.get_or_create(name="curator")
    codenames = [f"{verb}_{model}" for model, verbs in CURATOR_PERMISSIONS.items() for verb in verbs]
    curator.permissions.add(*Permission.objects.filter(content_type__app_label="adoption", codename__in=codenames))


def revoke_curator_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name="curator"):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [("adoption", "0004_map_summary"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.AddField(
            model_name="moderationevent",
            name="notified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="contributor notified"),
        ),
        migrations.RunPython(grant_curator_permissions, revoke_curator_permissions),
    ]
