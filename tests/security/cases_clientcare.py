"""The client-care slice's upload endpoints for the upload attacks: a new secure message with attachments,
from the portal (client owner) and from the staff workspace (assigned bookkeeper)."""

from __future__ import annotations

from django.urls import reverse

from clientcare.attachments import MAX_ATTACHMENT_BYTES
from tests import cast
from tests.access_cast import build_world
from tests.security.uploads import UploadCase, UploadTarget
from tests.security.xss import XssCase, XssTarget


def _portal_message() -> UploadTarget:
    world = build_world()
    return UploadTarget(
        http=cast.signed_in(world.client_a_owner),
        url=f"{reverse('portal:clientcare:compose')}?client={world.client_a.pk}",
        file_field="attachments",
        data={"subject": "附件", "body": "见附件"},
        max_bytes=MAX_ATTACHMENT_BYTES,
    )


def _staff_message() -> UploadTarget:
    world = build_world()
    return UploadTarget(
        http=cast.signed_in(world.bookkeeper_alice),
        url=reverse("staff:clientcare:compose", kwargs={"client_id": world.client_a.pk}),
        file_field="attachments",
        data={"subject": "附件", "body": "见附件"},
        max_bytes=MAX_ATTACHMENT_BYTES,
    )


UPLOAD_CASES = [
    UploadCase("secure message attachment (portal)", _portal_message),
    UploadCase("secure message attachment (staff)", _staff_message),
]


def _portal_message_xss() -> XssTarget:
    world = build_world()
    return XssTarget(
        http=cast.signed_in(world.client_a_owner),
        form_url=f"{reverse('portal:clientcare:compose')}?client={world.client_a.pk}",
        shown_at=[reverse("portal:clientcare:messages"), "/portal/"],
    )


def _complaint_xss() -> XssTarget:
    world = build_world()
    return XssTarget(
        http=cast.signed_in(world.client_a_owner),
        form_url=reverse("portal:clientcare:complaints"),
        shown_at=[reverse("portal:clientcare:complaints")],
    )


XSS_CASES = [
    XssCase("secure message (portal)", _portal_message_xss),
    XssCase("privacy complaint (portal)", _complaint_xss, values={"category": "other"}, expect_shown=False),
]
