"""What an API key may do: each scope in the words staff choose it by."""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "consent:read": "Read consent answers",
    "consent:write": "Record consent changes and make unsubscribe links",
    "requests:read": "Read privacy requests, their status and timeline",
    "requests:write": "File privacy requests on someone's behalf",
    "recordings:write": "Register and delete recordings",
    "disclosures:write": "Record disclosures to recipients",
    "reports:read": "Read report figures",
    "subjects:read": "Look up a person by e-mail address",
}

CHOICES = list(SCOPES.items())
