from django.apps import AppConfig


class ConfidentialityConfig(AppConfig):
    name = "confidentiality"
