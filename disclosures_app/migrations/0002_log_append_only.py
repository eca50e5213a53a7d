from __future__ import annotations

from django.db import migrations

from privacyportal.dbutil import postgres_sql

# The disclosure log is evidence: no row is ever changed or removed. There is no
# redaction either (the rows hold ids, categories and reasons, no contact data).
FORWARD = """
CREATE OR REPLACE FUNCTION disclosure_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'disclosures_app_disclosure is append-only: UPDATE and DELETE refused'
    USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER disclosure_guard BEFORE UPDATE OR DELETE ON disclosures_app_disclosure
  FOR EACH ROW EXECUTE FUNCTION disclosure_guard();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS disclosure_guard ON disclosures_app_disclosure;
DROP FUNCTION IF EXISTS disclosure_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("disclosures_app", "0001_initial")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
