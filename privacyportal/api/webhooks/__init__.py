"""Outgoing webhooks: signed POSTs to subscribers when audited events happen."""
