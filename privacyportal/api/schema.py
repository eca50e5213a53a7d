"""OpenAPI: the key scheme, each operation's scope, problem responses, headers.

Loaded from ApiConfig.ready(), so drf-spectacular finds the extension.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from privacyportal.api.idempotency import HEADER
from privacyportal.api.permissions import required_scope
from privacyportal.api.problems import CONTENT_TYPE, PROBLEMS, TYPE_PREFIX
from privacyportal.api.scopes import SCOPES

# Problem statuses every operation can answer, and those only a body can cause.
_ALWAYS = ("400", "401", "403", "404", "406", "429")
_WITH_BODY = ("409", "413", "415")


class ProblemSerializer(serializers.Serializer):
    type = serializers.CharField(
        help_text=f"{TYPE_PREFIX}<slug>: stable, to branch on."
    )
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False, help_text="The path called.")
    errors = serializers.DictField(
        required=False, help_text="Field name → what is wrong (invalid-input only)."
    )

    class Meta:
        ref_name = "Problem"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "privacyportal.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        scopes = ", ".join(f"`{code}` ({words})" for code, words in SCOPES.items())
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key made by staff in the admin, sent as "
            f"`Authorization: Bearer <key>`. Each key has scopes: {scopes}.",
        }

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        needed = required_scope(auto_schema.view, auto_schema.method)
        return {self.name: [needed] if needed else []}


class PortalAutoSchema(AutoSchema):
    def get_description(self) -> str:
        text = super().get_description() or ""
        needed = required_scope(self.view, self.method)
        return f"{text}\n\nScope: `{needed}`".strip() if needed else text

    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        if getattr(self._handler(), "idempotent", False):
            params.append(
                OpenApiParameter(
                    HEADER,
                    str,
                    OpenApiParameter.HEADER,
                    description="Any unique string (a UUID): a repeat with the "
                    "same body gets the first answer; another body gets 409.",
                )
            )
        return params

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        codes = _ALWAYS + (
            _WITH_BODY if self.method in ("POST", "PUT", "PATCH") else ()
        )
        ref = self.resolve_serializer(ProblemSerializer, direction).ref
        for code in codes:
            responses.setdefault(code, _problem(code, ref))
        return responses

    def _handler(self) -> Any:
        action = getattr(self.view, "action", None) or self.method.lower()
        return getattr(self.view, action, None)


def _problem(code: str, ref: dict[str, Any]) -> dict[str, Any]:
    slugs = [slug for slug, (status, _) in PROBLEMS.items() if str(status) == code]
    return {
        "description": "A problem; its type is one of: " + ", ".join(slugs),
        "content": {CONTENT_TYPE: {"schema": ref}},
    }
