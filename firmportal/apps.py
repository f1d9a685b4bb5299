from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class FirmportalConfig(AppConfig):
    default = True
    name = "firmportal"
    verbose_name = "FirmPortal"


class ConsoleAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "firmportal.admin.ConsoleSite"
