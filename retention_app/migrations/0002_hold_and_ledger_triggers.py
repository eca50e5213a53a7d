from __future__ import annotations
# psycopg formats this SQL: a literal percent sign is written %%.

from django.db import migrations

from privacyportal.dbutil import postgres_sql

HELD_TABLES = (
    "retention_app_recording",
    "retention_app_chattranscript",
    "retention_app_callrecord",
    "retention_app_jobapplicant",
)

# A held row cannot be deleted by any path: sweep, admin, shell or raw SQL.
# WHEN (OLD.held) keeps the trigger off the hot path of unheld deletions.
FORWARD = """
CREATE OR REPLACE FUNCTION retention_refuse_held_delete() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '%% row %% is under a legal hold: DELETE refused',
    TG_TABLE_NAME, OLD.id USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION retention_deletion_record_guard() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'retention_app_deletionrecord is a ledger: %% refused', TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER deletion_record_guard BEFORE UPDATE OR DELETE
  ON retention_app_deletionrecord
  FOR EACH ROW EXECUTE FUNCTION retention_deletion_record_guard();
""" + "".join(
    f"""
CREATE TRIGGER {table}_held BEFORE DELETE ON {table}
  FOR EACH ROW WHEN (OLD.held) EXECUTE FUNCTION retention_refuse_held_delete();
"""
    for table in HELD_TABLES
)

BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS {table}_held ON {table};\n" for table in HELD_TABLES
) + """
DROP TRIGGER IF EXISTS deletion_record_guard ON retention_app_deletionrecord;
DROP FUNCTION IF EXISTS retention_deletion_record_guard();
DROP FUNCTION IF EXISTS retention_refuse_held_delete();
"""


class Migration(migrations.Migration):
    dependencies = [("retention_app", "0001_initial")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
