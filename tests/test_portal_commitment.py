"""Our commitment (保密承诺 and privacy notice): versions drafted and published by the compliance desk,
acknowledged by client users, a dashboard banner until they do."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from audit.models import AuditAction, AuditEvent
from portal import queries, services
from portal.models import CommitmentAcknowledgement, CommitmentNotice
from portal.seed import ensure_first_commitment
from tests import cast

pytestmark = pytest.mark.django_db

COMMITMENT = reverse("portal:commitment")
VERSIONS = reverse("staff:commitment:versions")


@pytest.fixture
def first_version() -> CommitmentNotice:
    """Version 1 as the data migration publishes it (restored if a transactional test flushed it)."""
    ensure_first_commitment()
    notice = queries.current_notice()
    assert notice is not None
    return notice


def _new_version(officer: User, **overrides: str) -> CommitmentNotice:
    texts = {
        "title_zh": "保密承诺（修订）",
        "title_en": "Our commitment (revised)",
        "body_zh": "新的承诺正文。",
        "body_en": "The revised text.",
    }
    texts.update(overrides)
    return services.draft_commitment_notice(actor=officer, **texts)


def test_the_first_version_is_seeded_in_chinese_and_english(first_version: CommitmentNotice) -> None:
    assert first_version.version == 1 and first_version.is_published
    for needle in ("加密", "最小权限", "谁查看了我的数据", "会计档案管理办法", "第五十七条"):
        assert needle in first_version.body_zh
    for needle in ("encrypted", "Least privilege", "Who accessed my data", "Order No. 79", "Article 57"):
        assert needle in first_version.body_en


def test_client_sees_the_current_version_in_their_language(
    first_version: CommitmentNotice, client_a_owner: User
) -> None:
    http = cast.signed_in(client_a_owner)
    body = http.get(COMMITMENT).content.decode()
    assert first_version.title_zh in body and "第 1 版" in body
    http.post("/i18n/setlang/", {"language": "en", "next": COMMITMENT})
    english = http.get(COMMITMENT).content.decode()
    assert first_version.title_en in english and first_version.title_zh not in english and "Acknowledge" in english


def test_dashboard_banner_until_the_client_acknowledges(first_version: CommitmentNotice, client_a_owner: User) -> None:
    http = cast.signed_in(client_a_owner)
    assert "commitment-banner" in http.get(reverse("portal:home")).content.decode()
    response = http.post(COMMITMENT, {"confirm": "on"}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    [ack] = CommitmentAcknowledgement.objects.filter(user=client_a_owner)
    assert ack.notice == first_version and ack.version_number == 1 and ack.ip_address == "203.0.113.7"
    event = AuditEvent.objects.get(action=AuditAction.COMMITMENT_NOTICE_ACKNOWLEDGED)
    assert event.actor == client_a_owner and event.details == {"version": 1, "user": client_a_owner.pk}
    assert "commitment-banner" not in http.get(reverse("portal:home")).content.decode()
    assert 'data-acknowledged="1"' in http.get(COMMITMENT).content.decode()


def test_acknowledging_without_the_tick_changes_nothing(first_version: CommitmentNotice, client_a_owner: User) -> None:
    http = cast.signed_in(client_a_owner)
    response = http.post(COMMITMENT, {})
    assert response.status_code == 200 and "请勾选以确认已阅读本声明" in response.content.decode()
    assert not CommitmentAcknowledgement.objects.exists()


def test_acknowledging_twice_is_refused_and_recorded_once(
    first_version: CommitmentNotice, client_a_owner: User
) -> None:
    services.acknowledge_commitment_notice(
        notice=first_version, user=client_a_owner, ip_address=None, actor=client_a_owner
    )
    with pytest.raises(ValidationError):
        services.acknowledge_commitment_notice(
            notice=first_version, user=client_a_owner, ip_address=None, actor=client_a_owner
        )
    assert cast.signed_in(client_a_owner).post(COMMITMENT, {"confirm": "on"}).status_code == 200
    assert CommitmentAcknowledgement.objects.filter(user=client_a_owner).count() == 1


def test_a_new_published_version_asks_again(
    first_version: CommitmentNotice, client_a_owner: User, compliance_officer: User
) -> None:
    services.acknowledge_commitment_notice(
        notice=first_version, user=client_a_owner, ip_address=None, actor=client_a_owner
    )
    draft = _new_version(compliance_officer)
    assert draft.version == first_version.version + 1 and not draft.is_published
    # A draft is not shown to clients.
    assert queries.needs_acknowledgement(client_a_owner) is None
    services.publish_commitment_notice(draft, actor=compliance_officer)
    assert queries.needs_acknowledgement(client_a_owner) == draft
    body = cast.signed_in(client_a_owner).get(reverse("portal:home")).content.decode()
    assert "commitment-banner" in body and f"第 {draft.version} 版" in body
    actions = set(AuditEvent.objects.filter(actor=compliance_officer).values_list("action", flat=True))
    assert {AuditAction.COMMITMENT_NOTICE_DRAFTED, AuditAction.COMMITMENT_NOTICE_PUBLISHED} <= actions


def test_staff_do_not_acknowledge_and_drafts_are_not_acknowledged(
    first_version: CommitmentNotice, client_a_owner: User, compliance_officer: User
) -> None:
    with pytest.raises(ValidationError):
        services.acknowledge_commitment_notice(
            notice=first_version, user=compliance_officer, ip_address=None, actor=compliance_officer
        )
    draft = _new_version(compliance_officer)
    with pytest.raises(ValidationError):
        services.acknowledge_commitment_notice(notice=draft, user=client_a_owner, ip_address=None, actor=client_a_owner)


def test_compliance_officer_drafts_and_publishes_on_the_staff_page(
    first_version: CommitmentNotice, compliance_officer: User
) -> None:
    http = cast.signed_in(compliance_officer)
    assert http.get(VERSIONS).status_code == 200
    response = http.post(
        VERSIONS,
        {"title_zh": "保密承诺 2026", "title_en": "Commitment 2026", "body_zh": "正文", "body_en": "Text"},
    )
    assert response.status_code == 302
    draft = CommitmentNotice.objects.get(title_en="Commitment 2026")
    assert draft.created_by == compliance_officer and draft.published_at is None
    assert http.post(reverse("staff:commitment:publish", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.published_by == compliance_officer and queries.current_notice() == draft
    # Publishing again is refused with a message, nothing changes.
    published_at = draft.published_at
    again = http.post(reverse("staff:commitment:publish", args=[draft.pk]), follow=True)
    assert "此版本已发布" in again.content.decode()
    draft.refresh_from_db()
    assert draft.published_at == published_at


def test_an_empty_draft_is_refused_with_a_message(first_version: CommitmentNotice, compliance_officer: User) -> None:
    http = cast.signed_in(compliance_officer)
    response = http.post(VERSIONS, {"title_zh": "  ", "title_en": "x", "body_zh": "", "body_en": "y"})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    with pytest.raises(ValidationError):
        _new_version(compliance_officer, body_en="   ")
    assert CommitmentNotice.objects.count() == 1


def test_an_older_draft_cannot_be_published_after_a_newer_one(
    first_version: CommitmentNotice, compliance_officer: User
) -> None:
    older = _new_version(compliance_officer)
    newer = _new_version(compliance_officer)
    services.publish_commitment_notice(newer, actor=compliance_officer)
    with pytest.raises(ValidationError):
        services.publish_commitment_notice(older, actor=compliance_officer)
    assert queries.current_notice() == newer


def test_only_the_compliance_desk_reaches_the_staff_page(
    first_version: CommitmentNotice, bookkeeper_alice: User, client_a_owner: User
) -> None:
    assert cast.signed_in(bookkeeper_alice).get(VERSIONS).status_code == 404
    assert (
        cast.signed_in(bookkeeper_alice).post(reverse("staff:commitment:publish", args=[first_version.pk])).status_code
        == 404
    )
    assert cast.signed_in(client_a_owner).get(VERSIONS).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.COMMITMENT_NOTICE_PUBLISHED).count() == 0
