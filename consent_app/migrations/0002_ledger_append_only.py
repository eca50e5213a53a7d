from __future__ import annotations

from django.db import migrations

from privacyportal.dbutil import postgres_sql

# Columns no UPDATE may change. Redaction clears ip, user_agent and evidence,
# sets redacted and redacted_at, once, and touches nothing else.
FROZEN = (
    "id", "subject_id", "purpose_id", "action", "policy_version_id", "source",
    "reason", "actor_label", "occurred_at",
)
_new = ", ".join(f"NEW.{c}" for c in FROZEN)
_old = ", ".join(f"OLD.{c}" for c in FROZEN)

FORWARD = f"""
CREATE OR REPLACE FUNCTION consent_event_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'consent_app_consentevent is append-only: DELETE refused'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NOT OLD.redacted AND NEW.redacted AND NEW.redacted_at IS NOT NULL
     AND NEW.ip IS NULL AND NEW.user_agent = '' AND NEW.evidence = ''
     AND ROW({_new}) IS NOT DISTINCT FROM ROW({_old}) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'consent_app_consentevent is append-only: only redaction is allowed'
    USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_event_guard BEFORE UPDATE OR DELETE ON consent_app_consentevent
  FOR EACH ROW EXECUTE FUNCTION consent_event_guard();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS consent_event_guard ON consent_app_consentevent;
DROP FUNCTION IF EXISTS consent_event_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("consent_app", "0001_initial")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
