from __future__ import annotations

from django.db import migrations

from privacyportal.dbutil import postgres_sql

# Columns that no UPDATE may change; redaction touches only personal,
# redacted and redacted_at, and only in one direction.
FROZEN = (
    "id", "seq", "occurred_at", "actor_type", "actor_id", "actor_label", "action",
    "target_type", "target_id", "subject_id", "data", "personal_salt",
    "personal_digest", "prev_hash", "hash",
)
_new = ", ".join(f"NEW.{c}" for c in FROZEN)
_old = ", ".join(f"OLD.{c}" for c in FROZEN)

FORWARD = f"""
CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'audit_auditevent is append-only: DELETE refused'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NOT OLD.redacted AND NEW.redacted AND NEW.personal = '{{}}'::jsonb
     AND NEW.redacted_at IS NOT NULL
     AND ROW({_new}) IS NOT DISTINCT FROM ROW({_old}) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_auditevent is append-only: only redaction is allowed'
    USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_event_guard();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
