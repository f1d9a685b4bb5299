from django.apps import AppConfig


class ClientcareConfig(AppConfig):
    name = "clientcare"
    verbose_name = "Client care: secure messages, privacy complaints, satisfaction surveys"
