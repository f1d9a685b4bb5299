"""Secure messages: a client company's users and the staff assigned to it, through the access layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AccessEvent, AuditEvent
from clientcare import attachments, queries, services
from clientcare.models import Attachment, ClientcareAction, Message, Thread, ThreadRead
from confidentiality import access_services
from confidentiality.models import Assignment, StoredFile
from tests import cast
from tests.access_cast import World, build_world
from tests.clientcare_helpers import PDF, delegate, pdf, thread


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def _events(action: str = "view") -> int:
    return AccessEvent.objects.filter(action=action).count()


def _post_new(http, client_id, **data):  # type: ignore[no-untyped-def]
    return http.post(f"{reverse('portal:clientcare:compose')}?client={client_id}", data)


# --- Who may read and write ------------------------------------------------------------------------------


def test_client_owner_sends_and_assigned_staff_see_it_unread_in_their_inbox(world: World) -> None:
    owner = cast.signed_in(world.client_a_owner)
    response = _post_new(owner, world.client_a.pk, subject="十月银行对账单", body="对账单已上传，请查收。")
    assert response.status_code == 302
    sent = Thread.objects.get(client=world.client_a)
    assert response["Location"] == reverse("portal:clientcare:thread", kwargs={"thread_id": sent.pk})
    assert AuditEvent.objects.filter(action=ClientcareAction.THREAD_STARTED, client_ref=str(world.client_a.pk)).exists()
    assert AuditEvent.objects.filter(
        action=ClientcareAction.MESSAGE_SENT, target_id=str(sent.messages.get().pk)
    ).exists()

    for staff in (world.bookkeeper_alice, world.reviewer_rita, world.partner):
        assert queries.unread_count(staff) == 1
    assert queries.unread_count(world.client_a_owner) == 0  # one's own message is read

    alice = cast.signed_in(world.bookkeeper_alice)
    before = _events()
    page = alice.get(reverse("staff:clientcare:inbox"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "十月银行对账单" in body and "上海甲贸易有限公司" in body and 'data-unread="1"' in body
    assert _events() == before + 1
    event = AccessEvent.objects.filter(action="view").latest("pk")
    assert event.object_type == "clientcare.thread" and event.object_ids == [str(sent.pk)]


def test_staff_reply_reaches_the_client_who_then_reads_it(world: World) -> None:
    sent = thread(world.client_a, world.client_a_owner)
    alice = cast.signed_in(world.bookkeeper_alice)
    assert alice.get(reverse("staff:clientcare:thread", kwargs={"thread_id": sent.pk})).status_code == 200
    assert queries.unread_count(world.bookkeeper_alice) == 0  # viewing the thread is the read receipt
    response = alice.post(reverse("staff:clientcare:reply", kwargs={"thread_id": sent.pk}), {"body": "收到，谢谢。"})
    assert response.status_code == 302
    assert queries.unread_count(world.client_a_owner) == 1
    reply = Message.objects.filter(thread=sent).latest("created_at")
    assert reply.side == "firm" and reply.sender == world.bookkeeper_alice

    owner = cast.signed_in(world.client_a_owner)
    before = _events()
    page = owner.get(reverse("portal:clientcare:thread", kwargs={"thread_id": sent.pk}))
    assert page.status_code == 200
    content = page.content.decode()
    assert "收到，谢谢。" in content and "请查收。" in content
    # The owner's first message was read by alice (her read receipt shows under it).
    assert "bookkeeper_alice" in content
    assert _events() == before + 1
    assert queries.unread_count(world.client_a_owner) == 0
    assert ThreadRead.objects.filter(thread=sent, user=world.client_a_owner).exists()


def test_staff_start_a_thread_with_their_client(world: World) -> None:
    alice = cast.signed_in(world.bookkeeper_alice)
    url = reverse("staff:clientcare:compose", kwargs={"client_id": world.client_a.pk})
    assert alice.get(url).status_code == 200
    response = alice.post(url, {"subject": "请上传十月银行对账单", "body": "谢谢配合。"})
    assert response.status_code == 302
    assert queries.unread_count(world.client_a_owner) == 1
    owner_list = cast.signed_in(world.client_a_owner).get(reverse("portal:clientcare:messages"))
    assert "请上传十月银行对账单" in owner_list.content.decode()


@pytest.mark.parametrize("who", ["bookkeeper_bob", "outsider", "expired_eve"])
def test_staff_not_assigned_to_the_client_get_404_with_a_denied_event(world: World, who: str) -> None:
    sent = thread(world.client_a, world.client_a_owner, files=[(pdf(), "statement.pdf", "application/pdf")])
    attachment = Attachment.objects.get(message__thread=sent)
    http = cast.signed_in(getattr(world, who))
    for url in (
        reverse("staff:clientcare:thread", kwargs={"thread_id": sent.pk}),
        reverse("staff:clientcare:attachment", kwargs={"attachment_id": attachment.pk}),
        reverse("staff:clientcare:compose", kwargs={"client_id": world.client_a.pk}),
    ):
        before = _events("denied")
        assert http.get(url).status_code == 404, url
        assert _events("denied") == before + 1
    before = Message.objects.count()
    assert http.post(reverse("staff:clientcare:reply", kwargs={"thread_id": sent.pk}), {"body": "x"}).status_code == 404
    assert Message.objects.count() == before
    inbox = http.get(reverse("staff:clientcare:inbox")).content.decode()
    assert "十月银行对账单" not in inbox and "上海甲贸易有限公司" not in inbox


def test_staff_lose_the_messages_when_their_assignment_ends(world: World) -> None:
    sent = thread(world.client_a, world.client_a_owner)
    alice = cast.signed_in(world.bookkeeper_alice)
    url = reverse("staff:clientcare:thread", kwargs={"thread_id": sent.pk})
    assert alice.get(url).status_code == 200
    assignment = Assignment.objects.get(client=world.client_a, user=world.bookkeeper_alice, ended_at__isnull=True)
    access_services.end_assignment(assignment, actor=world.partner)
    assert alice.get(url).status_code == 404
    assert "十月银行对账单" not in alice.get(reverse("staff:clientcare:inbox")).content.decode()
    assert queries.unread_count(world.bookkeeper_alice) == 0


def test_a_temporary_access_grant_does_not_open_the_correspondence(world: World) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from confidentiality.models import AccessPurpose

    sent = thread(world.client_a, world.client_a_owner)
    grant = access_services.request_access(
        client=world.client_a,
        purpose=AccessPurpose.QUALITY_REVIEW,
        purpose_detail="抽查",
        ends_at=timezone.now() + timedelta(hours=2),
        actor=world.bookkeeper_bob,
    )
    access_services.decide_access_request(grant, approve=True, actor=world.partner)
    bob = cast.signed_in(world.bookkeeper_bob)
    assert bob.get(reverse("staff:clientcare:thread", kwargs={"thread_id": sent.pk})).status_code == 404


def test_other_company_gets_404(world: World) -> None:
    sent = thread(world.client_a, world.bookkeeper_alice)
    other = cast.signed_in(world.client_b_owner)
    before = _events("denied")
    assert other.get(reverse("portal:clientcare:thread", kwargs={"thread_id": sent.pk})).status_code == 404
    assert _events("denied") == before + 1
    assert other.get(f"{reverse('portal:clientcare:messages')}?client={world.client_a.pk}").status_code == 404
    assert _post_new(other, world.client_a.pk, subject="x", body="y").status_code == 404
    assert "十月银行对账单" not in other.get(reverse("portal:clientcare:messages")).content.decode()
    # Staff pages are not for client users at all.
    assert other.get(reverse("staff:clientcare:thread", kwargs={"thread_id": sent.pk})).status_code == 404


def test_delegate_without_the_messages_scope_gets_404(world: World) -> None:
    sent = thread(world.client_a, world.bookkeeper_alice)
    lawyer = delegate(world.client_a, world.client_a_owner, scope=["reports"], username="lawyer_li")
    http = cast.signed_in(lawyer)
    assert http.get(reverse("portal:clientcare:thread", kwargs={"thread_id": sent.pk})).status_code == 404
    assert http.get(f"{reverse('portal:clientcare:messages')}?client={world.client_a.pk}").status_code == 404


def test_delegate_with_the_messages_scope_reads_but_cannot_write(world: World) -> None:
    sent = thread(world.client_a, world.bookkeeper_alice, files=[(pdf(), "statement.pdf", "application/pdf")])
    lawyer = delegate(world.client_a, world.client_a_owner, scope=["messages"], username="lawyer_li")
    http = cast.signed_in(lawyer)
    page = http.get(reverse("portal:clientcare:thread", kwargs={"thread_id": sent.pk}))
    assert page.status_code == 200 and "十月银行对账单" in page.content.decode()
    assert 'name="body"' not in page.content.decode()
    attachment = Attachment.objects.get(message__thread=sent)
    assert http.get(reverse("portal:clientcare:attachment", kwargs={"attachment_id": attachment.pk})).status_code == 200
    count = Message.objects.count()
    assert (
        http.post(reverse("portal:clientcare:reply", kwargs={"thread_id": sent.pk}), {"body": "x"}).status_code == 404
    )
    assert _post_new(http, world.client_a.pk, subject="x", body="y").status_code == 404
    assert Message.objects.count() == count


# --- Notices ---------------------------------------------------------------------------------------------------


def test_email_says_only_that_there_is_a_new_message(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    owner = cast.signed_in(world.client_a_owner)
    with django_capture_on_commit_callbacks(execute=True):
        _post_new(owner, world.client_a.pk, subject="机密主题XYZ", body="机密正文ABC")
    recipients = sorted(address for m in mail.outbox for address in m.to)
    assert recipients == sorted(
        u.email for u in (world.partner, world.bookkeeper_alice, world.reviewer_rita)
    )  # the live assignees of client A, not bob, not expired eve
    sent = Thread.objects.get(client=world.client_a)
    for message in mail.outbox:
        text = str(message.subject) + str(message.body)
        assert "机密主题XYZ" not in text and "机密正文ABC" not in text and "上海甲" not in text
        assert reverse("staff:clientcare:thread", kwargs={"thread_id": sent.pk}) in message.body
    mail.outbox.clear()
    alice = cast.signed_in(world.bookkeeper_alice)
    with django_capture_on_commit_callbacks(execute=True):
        alice.post(reverse("staff:clientcare:reply", kwargs={"thread_id": sent.pk}), {"body": "回复内容DEF"})
    assert [m.to for m in mail.outbox] == [[world.client_a_owner.email]]
    assert "回复内容DEF" not in mail.outbox[0].body
    assert reverse("portal:clientcare:thread", kwargs={"thread_id": sent.pk}) in mail.outbox[0].body


def test_no_email_when_the_message_is_refused(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    owner = cast.signed_in(world.client_a_owner)
    with django_capture_on_commit_callbacks(execute=True):
        _post_new(owner, world.client_a.pk, subject="主题", body="   ")
    assert mail.outbox == []


# --- Bad input ---------------------------------------------------------------------------------------------------


def test_empty_message_is_refused_with_a_clear_error_and_nothing_stored(world: World) -> None:
    owner = cast.signed_in(world.client_a_owner)
    response = _post_new(owner, world.client_a.pk, subject="", body="  ")
    assert response.status_code == 200
    body = response.content.decode()
    assert "请填写消息内容后再发送" in body and "请填写主题" in body
    assert not Thread.objects.exists() and not Message.objects.exists()
    sent = thread(world.client_a, world.bookkeeper_alice)
    response = owner.post(reverse("portal:clientcare:reply", kwargs={"thread_id": sent.pk}), {"body": ""})
    assert response.status_code == 400 and "请填写消息内容后再发送" in response.content.decode()
    assert Message.objects.filter(thread=sent).count() == 1


def test_oversized_attachment_is_refused_and_nothing_stored(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "MAX_ATTACHMENT_BYTES", 64 * 1024)
    owner = cast.signed_in(world.client_a_owner)
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (64 * 1024), content_type="application/pdf")
    files_before = StoredFile.objects.count()
    response = _post_new(owner, world.client_a.pk, subject="扫描件", body="见附件", attachments=big)
    assert response.status_code == 200
    assert "附件每个最大" in response.content.decode()
    assert not Thread.objects.exists() and StoredFile.objects.count() == files_before


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("tool.exe", b"MZ\x90\x00", "不能发送的文件类型"),
        ("logo.svg", b"<svg onload='alert(1)'></svg>", "不能发送的文件类型"),
        ("contract.pdf", b"PK\x03\x04 not a pdf", "内容与扩展名不符"),
        ("ledger.xlsx", b"<html><script>alert(1)</script></html>", "内容与扩展名不符"),
        ("empty.pdf", b"", "是空文件"),
        ("../../../etc/.htaccess", b"x", "不能发送的文件类型"),
    ],
)
def test_forbidden_or_disguised_attachment_is_refused(world: World, name: str, content: bytes, error: str) -> None:
    owner = cast.signed_in(world.client_a_owner)
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = _post_new(owner, world.client_a.pk, subject="附件", body="见附件", attachments=upload)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Thread.objects.exists() and not Attachment.objects.exists()


def test_hostile_file_name_is_cleaned_for_display(world: World) -> None:
    owner = cast.signed_in(world.client_a_owner)
    upload = SimpleUploadedFile("..\\..\\bank\u202efdp.exe\x00.pdf", PDF, content_type="application/pdf")
    response = _post_new(owner, world.client_a.pk, subject="附件", body="见附件", attachments=upload)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "bankfdp.exe.pdf"
    assert attachment.content_type == "application/pdf"


# --- Attachments at rest ------------------------------------------------------------------------------------------


def test_attachment_download_returns_the_file_and_is_logged(world: World) -> None:
    owner = cast.signed_in(world.client_a_owner)
    content = PDF + "对账单内容".encode()
    upload = SimpleUploadedFile("十月对账单.pdf", content, content_type="application/pdf")
    assert _post_new(owner, world.client_a.pk, subject="附件", body="见附件", attachments=upload).status_code == 302
    attachment = Attachment.objects.get()
    alice = cast.signed_in(world.bookkeeper_alice)
    before = _events("download")
    response = alice.get(reverse("staff:clientcare:attachment", kwargs={"attachment_id": attachment.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content  # type: ignore[attr-defined]
    assert "attachment;" in response["Content-Disposition"] and "filename*=utf-8''" in response["Content-Disposition"]
    assert _events("download") == before + 1
    event = AccessEvent.objects.filter(action="download").latest("pk")
    assert event.client_ref == str(world.client_a.pk) and event.object_ids == [str(attachment.pk)]


@pytest.mark.django_db(transaction=True)
def test_canary_in_subject_body_name_and_file_is_nowhere_at_rest_in_plaintext() -> None:
    from tests.security.canary import encodings, new_canary, scan_database, scan_directory

    world = build_world()
    canary = new_canary()
    owner = cast.signed_in(world.client_a_owner)
    upload = SimpleUploadedFile(f"{canary}.pdf", PDF + canary.encode() * 50, content_type="application/pdf")
    response = _post_new(owner, world.client_a.pk, subject=canary, body=f"正文 {canary}", attachments=upload)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == f"{canary}.pdf" and Thread.objects.get().subject == canary
    forms = encodings(canary)
    findings = scan_database(forms) + scan_directory(forms, Path(settings.MEDIA_ROOT), "media")
    assert findings == [], [str(f) for f in findings]
    for message in mail.outbox:
        assert canary not in str(message.subject) + str(message.body)


# --- Lists: constant queries -------------------------------------------------------------------------------------


def test_list_pages_run_a_constant_number_of_queries(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for n in range(12):
        sent = thread(world.client_a, world.client_a_owner, subject=f"主题 {n}")
        services.send_message(thread=sent, body="回复", actor=world.bookkeeper_alice)
    owner = cast.signed_in(world.client_a_owner)
    alice = cast.signed_in(world.bookkeeper_alice)
    owner.get(reverse("portal:clientcare:messages"))  # warm the key cache
    with django_assert_max_num_queries(25):
        response = owner.get(reverse("portal:clientcare:messages"))
    assert response.content.decode().count("主题 ") == 12
    with django_assert_max_num_queries(25):
        response = alice.get(reverse("staff:clientcare:inbox"))
    assert response.content.decode().count("主题 ") == 12
    first = Thread.objects.first()
    assert first is not None
    with django_assert_max_num_queries(30):
        assert owner.get(reverse("portal:clientcare:thread", kwargs={"thread_id": first.pk})).status_code == 200


def test_dashboard_shows_the_unread_count_and_latest_threads(world: World) -> None:
    sent = thread(world.client_a, world.bookkeeper_alice, subject="请补充发票")
    services.send_message(thread=sent, body="第二条", actor=world.bookkeeper_alice)
    page = cast.signed_in(world.client_a_owner).get(reverse("portal:home")).content.decode()
    assert 'data-unread="2"' in page and "请补充发票" in page
    assert reverse("portal:clientcare:thread", kwargs={"thread_id": sent.pk}) in page
    other = cast.signed_in(world.client_b_owner).get(reverse("portal:home")).content.decode()
    assert "请补充发票" not in other and 'data-unread="0"' in other


def test_office_file_that_is_a_zip_bomb_is_refused() -> None:
    from django.core.exceptions import ValidationError

    from tests.security.uploads import zip_bomb

    with pytest.raises(ValidationError) as error:
        attachments.check_attachment(zip_bomb(expanded_bytes=128 * 1024 * 1024))
    assert error.value.code == "attachment_bomb"


def test_a_real_xlsx_is_accepted_with_its_canonical_type() -> None:
    import io

    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    upload = SimpleUploadedFile("科目余额表.xlsx", buffer.getvalue(), content_type="application/octet-stream")
    assert attachments.check_attachment(upload) == ("科目余额表.xlsx", attachments.XLSX)


def test_pages_switch_to_english(world: World) -> None:
    owner = cast.signed_in(world.client_a_owner)
    owner.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})
    page = owner.get(reverse("portal:clientcare:messages")).content.decode()
    assert "Secure messages" in page and "安全消息" not in page
    owner.post("/i18n/setlang/", {"language": "zh-hans", "next": "/portal/"})
    assert "安全消息" in owner.get(reverse("portal:clientcare:messages")).content.decode()
