"""docker-compose.yml agrees with the settings it feeds (no Docker engine here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "privacyportal" / "settings.py").read_text()


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def app_environment(doc: dict) -> dict:
    return doc["x-app"]["environment"]


def test_compose_defines_the_five_services():
    assert set(compose()["services"]) == {"postgres", "redis", "web", "worker", "beat"}


def test_app_services_share_one_image_and_one_environment():
    services = compose()["services"]
    images = {services[name].get("image") for name in ("web", "worker", "beat")}
    envs = [services[name]["environment"] for name in ("web", "worker", "beat")]
    assert len(images) == 1 and None not in images
    assert all(env == envs[0] for env in envs)


def test_every_compose_variable_is_read_by_settings():
    read = set(re.findall(r'config\.\w+\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))
    read |= {"DATABASE_URL", "REDIS_URL", "CACHE_URL"}
    unknown = set(app_environment(compose())) - read
    assert not unknown, f"compose sets variables the settings never read: {unknown}"


def test_compose_urls_point_at_compose_services():
    env = app_environment(compose())
    assert "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
    assert env["DEBUG"] in {"0", "false"}


def test_postgres_has_healthcheck_and_volume_and_web_migrates():
    services = compose()["services"]
    assert "healthcheck" in services["postgres"]
    assert services["postgres"]["volumes"]
    assert "migrate" in " ".join(services["web"]["command"])
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_env_example_lists_every_variable_the_settings_read():
    read = set(re.findall(r'config\.\w+\(\s*"([A-Z_]+)"', SETTINGS_SOURCE))
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    missing_example = {name for name in read if name not in example}
    missing_readme = {name for name in read if f"`{name}`" not in readme}
    assert not missing_example, missing_example
    assert not missing_readme, missing_readme
