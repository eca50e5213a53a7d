"""Consent API keys now live in privacyportal.api (scope consent:read).

Runs after the API's migration copied every key there (same hash), so no key
stops working; the old table then goes, leaving one place that says whether a
key is live.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("consent_app", "0003_seed_purposes"),
        ("api", "0002_copy_consent_keys"),
    ]

    operations = [migrations.DeleteModel(name="ApiKey")]
