"""Serializer pieces every endpoint uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """A body with a field the operation does not know is refused, not ignored:
    a misspelt optional field would otherwise pass silently."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = set(data) - set(self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {
                        str(name): ["Unknown field."]
                        for name in sorted(map(str, unknown))
                    }
                )
        return super().to_internal_value(data)


class EmailField(serializers.EmailField):
    """An address as DataSubject stores it (254 characters at most)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
