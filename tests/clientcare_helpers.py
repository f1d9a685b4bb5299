"""Helpers for the client-care tests: delegates with a scope, threads made through the services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from clientcare import services
from clientcare.models import Thread
from clients.models import Client
from confidentiality import access_services

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def pdf(name: str = "statement.pdf", body: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + body, content_type="application/pdf")


def delegate(client: Client, owner: User, *, scope: list[str], username: str) -> User:
    delegation = access_services.invite_delegate(
        client=client,
        email=f"{username}@law.test",
        scope=scope,
        ends_at=timezone.now() + timedelta(days=30),
        actor=owner,
    )
    return access_services.accept_delegation(
        token=access_services.invitation_token(delegation), username=username, password="Long-Enough-Pass-42"
    )


def thread(
    client: Client, actor: Any, *, subject: str = "十月银行对账单", body: str = "请查收。", files: Any = ()
) -> Thread:
    return services.start_thread(client=client, subject=subject, body=body, files=list(files), actor=actor)
