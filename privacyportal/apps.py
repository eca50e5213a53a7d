from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "privacyportal.admin_site.PortalAdminSite"


class PortalConfig(AppConfig):
    name = "privacyportal"
    label = "portal"
    verbose_name = "Privacy Portal"

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_migrate

        from privacyportal import roles

        # Permissions are created app by app after migrate; sync the roles once the
        # last installed app has its permissions, so every app's are included.
        # (post_migrate is only sent for apps that have a models module.)
        with_models = [a for a in apps.get_app_configs() if a.models_module]
        post_migrate.connect(roles.sync_after_migrate, sender=with_models[-1])
        _register_dashboard()


def _register_dashboard() -> None:
    from privacyportal import widgets
    from privacyportal.audit.selectors import check_panel

    widgets.register(
        widgets.Widget("audit.check", "audit.view_auditevent", check_panel, 25)
    )
