"""The satisfaction survey (回访): sent when a period is closed, one answer per company and month,
results on the compliance desk with a chart and an xlsx export."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import StaffRole
from audit.models import AccessEvent, AuditEvent
from clientcare import reports, services
from clientcare.models import ClientcareAction, SurveyInvitation, SurveyResponse
from clients import services as books
from tests import cast
from tests.access_cast import World, build_world
from tests.books import ensure_chart, posted_voucher

ANSWERS = {"timeliness": "5", "quality": "4", "communication": "3", "overall": "4"}


@pytest.fixture
def world(db: None) -> World:
    ensure_chart()
    return build_world()


def _close(world: World, client, preparer, date: datetime.date = datetime.date(2025, 3, 15)):  # type: ignore[no-untyped-def]
    voucher = posted_voucher(
        client, preparer, world.reviewer_rita if client == world.client_a else world.partner, date=date
    )
    return books.close_period(voucher.period, actor=world.partner)


def test_closing_a_period_invites_the_owner_after_commit(world: World, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        period = _close(world, world.client_a, world.bookkeeper_alice)
    invitation = SurveyInvitation.objects.get(client=world.client_a)
    assert (invitation.year, invitation.month, invitation.period_id) == (2025, 3, period.pk)
    assert AuditEvent.objects.filter(action=ClientcareAction.SURVEY_INVITED, target_id=str(invitation.pk)).exists()
    survey_mail = [m for m in mail.outbox if m.to == [world.client_a_owner.email]]
    assert len(survey_mail) == 1 and "2025-03" in survey_mail[0].body
    assert reverse("portal:clientcare:survey", kwargs={"invitation_id": invitation.pk}) in survey_mail[0].body


def test_closing_again_after_a_reopening_sends_no_second_survey(world: World) -> None:
    period = _close(world, world.client_a, world.bookkeeper_alice)
    books.reopen_period(period, reason="补录凭证", actor=world.partner)
    books.close_period(period, actor=world.partner)
    assert SurveyInvitation.objects.filter(client=world.client_a).count() == 1


def test_owner_answers_once_with_stars_and_an_encrypted_comment(world: World) -> None:
    _close(world, world.client_a, world.bookkeeper_alice)
    invitation = SurveyInvitation.objects.get()
    owner = cast.signed_in(world.client_a_owner)
    url = reverse("portal:clientcare:survey", kwargs={"invitation_id": invitation.pk})
    page = owner.get(url)
    assert page.status_code == 200 and "2025-03" in page.content.decode() and "★★★★★" in page.content.decode()
    assert owner.post(url, {**ANSWERS, "comment": "回访意见：很及时"}).status_code == 302
    response = SurveyResponse.objects.get()
    assert (response.timeliness, response.quality, response.communication, response.overall) == (5, 4, 3, 4)
    assert response.comment == "回访意见：很及时"
    event = AuditEvent.objects.get(action=ClientcareAction.SURVEY_ANSWERED)
    assert "回访意见" not in str(event.details) and event.details["commented"] is True
    # A second answer is refused; nothing changes.
    again = owner.post(url, {**ANSWERS, "overall": "1"}, follow=True)
    assert "已填写过" in again.content.decode()
    assert SurveyResponse.objects.count() == 1 and SurveyResponse.objects.get().overall == 4
    with pytest.raises(ValidationError):
        services.submit_survey(
            invitation=invitation, scores={k: int(v) for k, v in ANSWERS.items()}, actor=world.client_a_owner
        )


@pytest.mark.parametrize(
    "data", [{}, {**ANSWERS, "overall": "6"}, {**ANSWERS, "quality": "0"}, {**ANSWERS, "timeliness": "abc"}]
)
def test_incomplete_or_out_of_range_answers_are_refused(world: World, data: dict[str, str]) -> None:
    _close(world, world.client_a, world.bookkeeper_alice)
    invitation = SurveyInvitation.objects.get()
    response = cast.signed_in(world.client_a_owner).post(
        reverse("portal:clientcare:survey", kwargs={"invitation_id": invitation.pk}), data
    )
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_other_company_staff_and_delegates_cannot_answer(world: World) -> None:
    from tests.clientcare_helpers import delegate

    _close(world, world.client_a, world.bookkeeper_alice)
    invitation = SurveyInvitation.objects.get()
    url = reverse("portal:clientcare:survey", kwargs={"invitation_id": invitation.pk})
    before = AccessEvent.objects.filter(action="denied").count()
    assert cast.signed_in(world.client_b_owner).post(url, ANSWERS).status_code == 404
    assert AccessEvent.objects.filter(action="denied").count() > before
    lawyer = delegate(world.client_a, world.client_a_owner, scope=["reports"], username="lawyer_li")
    assert cast.signed_in(lawyer).post(url, ANSWERS).status_code == 404
    assert cast.signed_in(world.bookkeeper_alice).get(url).status_code == 404
    assert not SurveyResponse.objects.exists()


def _answer(invitation: SurveyInvitation, owner, **scores: int) -> None:  # type: ignore[no-untyped-def]
    services.submit_survey(invitation=invitation, scores=scores, comment="", actor=owner)


def test_desk_shows_averages_per_question_and_month_with_chart_and_xlsx(world: World) -> None:
    _close(world, world.client_a, world.bookkeeper_alice)
    _close(world, world.client_b, world.bookkeeper_bob)
    _close(world, world.client_a, world.bookkeeper_alice, date=datetime.date(2025, 4, 10))
    march_a, march_b = (SurveyInvitation.objects.get(client=c, month=3) for c in (world.client_a, world.client_b))
    april_a = SurveyInvitation.objects.get(client=world.client_a, month=4)
    _answer(march_a, world.client_a_owner, timeliness=5, quality=4, communication=3, overall=4)
    _answer(march_b, world.client_b_owner, timeliness=3, quality=2, communication=5, overall=3)
    _answer(april_a, world.client_a_owner, timeliness=1, quality=1, communication=1, overall=2)

    results = reports.survey_results()
    assert [(m.label, m.invited, m.responses) for m in results.months] == [("2025-03", 2, 2), ("2025-04", 1, 1)]
    assert str(results.months[0].averages["overall"]) == "3.50"
    assert str(results.totals["timeliness"]) == "3.00" and results.responses == 3

    cora = cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)
    desk = cast.signed_in(cora)
    page = desk.get(reverse("staff:clientcare:surveys"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-month="2025-03"' in html and "3.50" in html and "<svg" in html and "chart-bar" in html
    assert html.count('class="chart-bar"') == 2
    export = desk.get(reverse("staff:clientcare:surveys"), {"format": "xlsx", "year": "2025"})
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("2025-03", 2, 2) and rows[1][6] == 3.5
    assert rows[-1][1:3] == (3, 3)
    assert AccessEvent.objects.filter(action="export", object_type="clientcare.surveyresults").count() == 1
    # Not for other staff.
    assert cast.signed_in(world.bookkeeper_alice).get(reverse("staff:clientcare:surveys")).status_code == 404


def test_dashboard_invites_the_owner_to_answer(world: World) -> None:
    _close(world, world.client_a, world.bookkeeper_alice)
    invitation = SurveyInvitation.objects.get()
    page = cast.signed_in(world.client_a_owner).get(reverse("portal:home")).content.decode()
    assert reverse("portal:clientcare:survey", kwargs={"invitation_id": invitation.pk}) in page
    listing = cast.signed_in(world.client_a_owner).get(reverse("portal:clientcare:surveys")).content.decode()
    assert "2025-03" in listing and "等待您填写" in listing
