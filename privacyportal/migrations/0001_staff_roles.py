from __future__ import annotations

from django.db import migrations

ROLES = ("Privacy Officer", "Privacy Analyst", "Auditor", "Support")


def create_groups(apps, schema_editor) -> None:  # noqa: ANN001
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    # Permissions are attached after migrate (privacyportal.roles.sync_roles),
    # when every app's permissions exist.
    dependencies = [("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
