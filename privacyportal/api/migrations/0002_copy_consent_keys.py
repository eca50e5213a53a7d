"""Today's consent API keys become API keys with the scope consent:read.

Same hash and prefix, so every key an integration holds keeps working; same
creation, last-use and revocation times. consent_app's next migration drops
the old table once this has run.
"""

from django.db import migrations

FIELDS = ("name", "prefix", "key_hash", "created_by_id", "created_at", "last_used_at")


def copy_keys(apps, schema_editor):
    Old = apps.get_model("consent_app", "ApiKey")
    New = apps.get_model("api", "ApiKey")
    for old in Old.objects.order_by("pk"):
        if New.objects.filter(key_hash=old.key_hash).exists():
            continue  # run before (a re-applied migration): never twice
        New.objects.create(
            scopes=["consent:read"],
            revoked_at=old.revoked_at,
            **{field: getattr(old, field) for field in FIELDS},
        )


def copy_back(apps, schema_editor):
    Old = apps.get_model("consent_app", "ApiKey")
    New = apps.get_model("api", "ApiKey")
    for new in New.objects.order_by("pk"):
        if "consent:read" not in new.scopes:
            continue
        Old.objects.get_or_create(
            key_hash=new.key_hash,
            defaults={
                "revoked_at": new.revoked_at,
                **{f: getattr(new, f) for f in FIELDS if f != "key_hash"},
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_initial"),
        ("consent_app", "0003_seed_purposes"),
    ]

    operations = [migrations.RunPython(copy_keys, copy_back)]
