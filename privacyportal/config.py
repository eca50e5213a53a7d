"""Strict readers for environment variables.

django-environ is lenient: ``DEBUG=maybe`` silently becomes ``False`` and a
malformed URL surfaces as an obscure traceback deep in a driver. An operator
deserves a message that names the variable, so every value the settings read
goes through these helpers, which raise ``ImproperlyConfigured`` naming it.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

env = environ.Env()


def fail(name: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name}: {problem}")


def raw(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def string(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = raw(name, default)
    if required and not value:
        raise fail(name, "is required when DEBUG is off (see .env.example)")
    return value or ""


def boolean(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise fail(name, f"expected one of 1/0/true/false/yes/no/on/off, got {value!r}")


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    value = raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise fail(name, f"expected a whole number, got {value!r}") from None
    if number < minimum:
        raise fail(name, f"must be at least {minimum}, got {number}")
    return number


def listing(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def url(name: str, default: str, *, schemes: set[str]) -> str:
    value = raw(name) or default
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise fail(name, f"scheme must be one of {allowed}; got {value!r}")
    return value


def database(name: str, default: str) -> dict:
    value = url(name, default, schemes={"sqlite", "postgres", "postgresql", "pgsql"})
    try:
        config = env.db_url_config(value)
    except Exception as exc:  # environ raises several types for bad URLs
        raise fail(name, f"cannot be parsed ({exc})") from None
    if not config.get("NAME"):
        raise fail(name, "names no database")
    return config


def cache(name: str, value: str) -> dict:
    try:
        return env.cache_url_config(value)
    except Exception as exc:
        raise fail(name, f"cannot be parsed ({exc})") from None


def email(name: str, default: str) -> dict:
    value = raw(name) or default
    try:
        return env.email_url_config(value)
    except Exception as exc:
        raise fail(name, f"cannot be parsed ({exc})") from None


def site_url(name: str, default: str) -> str:
    value = (raw(name) or default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise fail(name, f"expected an absolute http(s) URL, got {value!r}")
    return value


def time_zone(name: str, default: str) -> str:
    value = raw(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(name, f"unknown time zone {value!r}") from None
    return value


def secret(name: str, *, debug: bool, dev_default: str, min_length: int) -> str:
    """A secret: required with DEBUG off, with a fixed development value otherwise."""
    value = raw(name)
    if not value:
        if not debug:
            raise fail(name, "is required when DEBUG is off (see .env.example)")
        return dev_default
    if len(value) < min_length:
        raise fail(name, f"must be at least {min_length} characters long")
    return value
