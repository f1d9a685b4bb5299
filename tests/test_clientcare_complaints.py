"""Privacy complaints: filed by a client's own users, handled as cases on the compliance desk."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffRole
from audit.models import AccessEvent, AuditEvent
from clientcare import services
from clientcare.models import ClientcareAction, Complaint, ComplaintResponse, ComplaintStatus
from tests import cast
from tests.access_cast import World, build_world
from tests.clientcare_helpers import delegate


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def cora(db: None):  # type: ignore[no-untyped-def]
    return cast.make_staff("compliance_cora", StaffRole.COMPLIANCE_OFFICER)


def _file(world: World, text: str = "有员工在没有需要时查看了我们的银行账户。") -> Complaint:
    return services.file_complaint(client=world.client_a, category="access", text=text, actor=world.client_a_owner)


def test_client_files_a_complaint_and_compliance_is_told_without_its_text(
    world: World,
    cora,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    owner = cast.signed_in(world.client_a_owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(
            reverse("portal:clientcare:complaints"), {"category": "disclosure", "text": "投诉正文：数据被泄露给第三方"}
        )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:clientcare:complaint", kwargs={"complaint_id": complaint.pk})
    assert complaint.status == ComplaintStatus.RECEIVED and complaint.text == "投诉正文：数据被泄露给第三方"
    from datarights.dates import is_working_day

    received = timezone.localdate(complaint.created_at)
    days = [received + datetime.timedelta(days=n) for n in range(1, (complaint.deadline - received).days + 1)]
    assert sum(1 for day in days if is_working_day(day)) == 15 and is_working_day(complaint.deadline)
    event = AuditEvent.objects.get(action=ClientcareAction.COMPLAINT_FILED)
    assert event.client_ref == str(world.client_a.pk) and "投诉正文" not in str(event.details)
    assert [m.to for m in mail.outbox] == [[cora.email]]
    assert "投诉正文" not in mail.outbox[0].body
    page = owner.get(reverse("portal:clientcare:complaint", kwargs={"complaint_id": complaint.pk})).content.decode()
    assert "投诉正文：数据被泄露给第三方" in page and "已收到" in page


def test_empty_complaint_is_refused_and_nothing_stored(world: World) -> None:
    owner = cast.signed_in(world.client_a_owner)
    response = owner.post(reverse("portal:clientcare:complaints"), {"category": "", "text": "   "})
    assert response.status_code == 200
    body = response.content.decode()
    assert "请描述您的投诉" in body and "请选择投诉类别" in body
    assert not Complaint.objects.exists()
    response = owner.post(reverse("portal:clientcare:complaints"), {"category": "nonsense", "text": "x"})
    assert response.status_code == 200 and not Complaint.objects.exists()


def test_other_company_and_delegates_and_staff_get_404(world: World) -> None:
    complaint = _file(world)
    url = reverse("portal:clientcare:complaint", kwargs={"complaint_id": complaint.pk})
    before = AccessEvent.objects.filter(action="denied").count()
    assert cast.signed_in(world.client_b_owner).get(url).status_code == 404
    assert AccessEvent.objects.filter(action="denied").count() == before + 1
    lawyer = delegate(world.client_a, world.client_a_owner, scope=["reports", "messages"], username="lawyer_li")
    assert cast.signed_in(lawyer).get(url).status_code == 404
    assert cast.signed_in(lawyer).get(reverse("portal:clientcare:complaints")).status_code == 404
    # Assigned staff do not read complaints (they may be about them): only the compliance desk does.
    alice = cast.signed_in(world.bookkeeper_alice)
    assert alice.get(reverse("staff:clientcare:complaint", kwargs={"complaint_id": complaint.pk})).status_code == 404
    assert alice.get(reverse("staff:clientcare:complaints")).status_code == 404
    other_list = cast.signed_in(world.client_b_owner).get(reverse("portal:clientcare:complaints")).content.decode()
    assert (
        complaint.created_at.strftime("%Y-%m-%d") not in other_list
        or "complaints/" + str(complaint.pk) not in other_list
    )


def test_compliance_desk_lists_reads_and_answers_the_case(
    world: World,
    cora,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    complaint = _file(world)
    desk = cast.signed_in(cora)
    listing = desk.get(reverse("staff:clientcare:complaints"))
    assert listing.status_code == 200 and "上海甲贸易有限公司" in listing.content.decode()
    url = reverse("staff:clientcare:complaint", kwargs={"complaint_id": complaint.pk})
    before = AccessEvent.objects.filter(action="view").count()
    page = desk.get(url)
    assert page.status_code == 200 and "有员工在没有需要时查看了我们的银行账户。" in page.content.decode()
    assert AccessEvent.objects.filter(action="view").count() == before + 1
    event = AccessEvent.objects.filter(action="view").latest("pk")
    assert event.client_ref == str(world.client_a.pk) and event.object_ids == [str(complaint.pk)]

    assert desk.post(url, {"form": "status", "status": "investigating"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.INVESTIGATING
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url, {"form": "answer", "text": "答复：已核查访问记录并处理。"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED
    assert [m.to for m in mail.outbox] == [[world.client_a_owner.email]]
    assert "答复：" not in mail.outbox[0].body
    client_page = cast.signed_in(world.client_a_owner).get(
        reverse("portal:clientcare:complaint", kwargs={"complaint_id": complaint.pk})
    )
    assert "答复：已核查访问记录并处理。" in client_page.content.decode()
    assert "compliance_cora" not in client_page.content.decode()  # the client sees the answer, not who wrote it
    actions = list(
        AuditEvent.objects.filter(target_id=str(complaint.pk)).order_by("pk").values_list("action", flat=True)
    )
    assert actions == [
        ClientcareAction.COMPLAINT_FILED,
        ClientcareAction.COMPLAINT_STATUS_CHANGED,
        ClientcareAction.COMPLAINT_ANSWERED,
        ClientcareAction.COMPLAINT_STATUS_CHANGED,
    ]


def test_closing_is_final_and_bad_transitions_are_refused(world: World, cora) -> None:  # type: ignore[no-untyped-def]
    complaint = _file(world)
    services.answer_complaint(complaint=complaint, text="已处理", close=True, actor=cora)
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.CLOSED and complaint.closed_at is not None
    with pytest.raises(ValidationError):
        services.set_complaint_status(complaint=complaint, status=ComplaintStatus.INVESTIGATING, actor=cora)
    with pytest.raises(ValidationError):
        services.answer_complaint(complaint=complaint, text="再答复", actor=cora)
    desk = cast.signed_in(cora)
    url = reverse("staff:clientcare:complaint", kwargs={"complaint_id": complaint.pk})
    response = desk.post(url, {"form": "status", "status": "investigating"})
    assert response.status_code == 400 and "不能改为" in response.content.decode()
    response = desk.post(url, {"form": "answer", "text": ""})
    assert response.status_code == 400
    assert ComplaintResponse.objects.filter(complaint=complaint).count() == 1


def test_empty_answer_is_refused(world: World, cora) -> None:  # type: ignore[no-untyped-def]
    complaint = _file(world)
    url = reverse("staff:clientcare:complaint", kwargs={"complaint_id": complaint.pk})
    response = cast.signed_in(cora).post(url, {"form": "answer", "text": "  "})
    assert response.status_code == 400 and "请先填写答复内容" in response.content.decode()
    assert not ComplaintResponse.objects.exists()


def test_overdue_cases_are_flagged_on_the_desk(world: World, cora) -> None:  # type: ignore[no-untyped-def]
    import datetime

    complaint = _file(world)
    Complaint.objects.filter(pk=complaint.pk).update(deadline=datetime.date(2020, 1, 1))
    page = cast.signed_in(cora).get(reverse("staff:clientcare:complaints")).content.decode()
    assert "逾期" in page


def test_desk_list_runs_a_constant_number_of_queries(world: World, cora, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for n in range(10):
        services.file_complaint(client=world.client_a, category="other", text=f"投诉{n}", actor=world.client_a_owner)
        services.file_complaint(client=world.client_b, category="other", text=f"投诉{n}", actor=world.client_b_owner)
    desk = cast.signed_in(cora)
    desk.get(reverse("staff:clientcare:complaints"))
    with django_assert_max_num_queries(20):
        response = desk.get(reverse("staff:clientcare:complaints"))
    assert response.content.decode().count("/staff/compliance/complaints/") >= 20
    owner = cast.signed_in(world.client_a_owner)
    with django_assert_max_num_queries(20):
        assert owner.get(reverse("portal:clientcare:complaints")).status_code == 200
