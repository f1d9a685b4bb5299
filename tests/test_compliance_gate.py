"""The access gate: NDA accepted (new versions after their deadline), training within 12 months."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import StaffRole, User
from compliance import queries, services
from compliance.models import Course
from compliance.queries import GateReason, access_gate
from tests import cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(compliance_officer: User) -> Course:
    return services.create_course(
        code="conf",
        title="Confidentiality",
        description="",
        counts_for_gate=True,
        required=True,
        pass_mark=50,
        validity_months=12,
        questions=[("Q1", ["a", "b"], 1), ("Q2", ["a", "b"], 0)],
        actor=compliance_officer,
    )


def _publish(officer: User, *, deadline_in: timedelta) -> object:
    draft = services.create_nda_version(title="NDA", text_zh="保密", text_en="Confidential", actor=officer)
    return services.publish_nda_version(draft, acceptance_deadline=timezone.now() + deadline_in, actor=officer)


def _pass(user: User, course: Course, *, when: object = None) -> None:
    answers = {q.pk: q.correct_index for q in course.questions.all()}
    services.submit_quiz(user=user, course=course, answers=answers, actor=user, now=when)  # type: ignore[arg-type]


def test_new_staff_without_nda_or_training_is_blocked_with_reasons(compliance_officer: User, course: Course) -> None:
    _publish(compliance_officer, deadline_in=timedelta(days=10))
    newcomer = cast.make_staff("newcomer", StaffRole.BOOKKEEPER, compliant=False)
    status = access_gate(newcomer)
    assert not status.ok
    assert status.codes == [GateReason.NDA_NOT_ACCEPTED, GateReason.TRAINING_MISSING]
    assert len(status.missing) == 2
    assert [u.username for u in status.whom_to_ask] == [compliance_officer.username]


def test_gate_opens_after_nda_and_training(compliance_officer: User, course: Course) -> None:
    nda = _publish(compliance_officer, deadline_in=timedelta(days=10))
    newcomer = cast.make_staff("newcomer", StaffRole.BOOKKEEPER, compliant=False)
    services.accept_nda(user=newcomer, nda=nda, ip_address="10.0.0.5", actor=newcomer)  # type: ignore[arg-type]
    _pass(newcomer, course)
    assert access_gate(newcomer).ok


def test_gate_closes_after_new_nda_version_deadline(compliance_officer: User, course: Course) -> None:
    v1 = _publish(compliance_officer, deadline_in=timedelta(days=1))
    staff = cast.make_staff("staffer", StaffRole.BOOKKEEPER, compliant=False)
    services.accept_nda(user=staff, nda=v1, ip_address=None, actor=staff)  # type: ignore[arg-type]
    _pass(staff, course)
    _publish(compliance_officer, deadline_in=timedelta(days=7))

    before = access_gate(staff)
    assert before.ok  # the new version is not mandatory before its deadline ...
    assert before.warnings  # ... but the person is told to accept it

    after = access_gate(staff, now=timezone.now() + timedelta(days=8))
    assert not after.ok
    assert after.codes == [GateReason.NDA_NEW_VERSION_OVERDUE]


def test_accepting_the_new_version_reopens_the_gate(compliance_officer: User, course: Course) -> None:
    v1 = _publish(compliance_officer, deadline_in=timedelta(days=1))
    staff = cast.make_staff("staffer", StaffRole.BOOKKEEPER, compliant=False)
    services.accept_nda(user=staff, nda=v1, ip_address=None, actor=staff)  # type: ignore[arg-type]
    _pass(staff, course)
    v2 = _publish(compliance_officer, deadline_in=timedelta(days=7))
    acceptance = services.accept_nda(user=staff, nda=v2, ip_address=None, actor=staff)  # type: ignore[arg-type]
    assert acceptance.kind == "new_version"
    assert access_gate(staff, now=timezone.now() + timedelta(days=8)).ok


def test_training_expires_twelve_months_after_completion(compliance_officer: User, course: Course) -> None:
    nda = _publish(compliance_officer, deadline_in=timedelta(days=1))
    staff = cast.make_staff("staffer", StaffRole.BOOKKEEPER, compliant=False)
    services.accept_nda(user=staff, nda=nda, ip_address=None, actor=staff)  # type: ignore[arg-type]
    done = timezone.now()
    _pass(staff, course, when=done)
    assert access_gate(staff, now=done + timedelta(days=364)).ok
    expired = access_gate(staff, now=done + timedelta(days=367))
    assert not expired.ok
    assert expired.codes == [GateReason.TRAINING_EXPIRED]


def test_a_failed_quiz_does_not_count(compliance_officer: User, course: Course) -> None:
    staff = cast.make_staff("staffer", StaffRole.BOOKKEEPER, compliant=False)
    wrong = {q.pk: 1 - q.correct_index for q in course.questions.all()}
    completion = services.submit_quiz(user=staff, course=course, answers=wrong, actor=staff)
    assert not completion.passed and completion.score == 0
    assert GateReason.TRAINING_MISSING in access_gate(staff).codes


def test_exit_acknowledgement_is_not_an_acceptance(compliance_officer: User, course: Course) -> None:
    _publish(compliance_officer, deadline_in=timedelta(days=1))
    staff = cast.make_staff("leaver", StaffRole.BOOKKEEPER, compliant=False)
    services.record_nda_exit_acknowledgement(user=staff, ip_address=None, actor=compliance_officer)
    assert GateReason.NDA_NOT_ACCEPTED in access_gate(staff).codes


def test_no_published_nda_blocks() -> None:
    staff = cast.make_staff("staffer", StaffRole.BOOKKEEPER, compliant=False)
    assert GateReason.NO_NDA_PUBLISHED in access_gate(staff).codes


def test_offboarded_and_client_users_are_blocked(client_a_owner: User) -> None:
    staff = cast.make_staff("leaver", StaffRole.BOOKKEEPER)
    assert access_gate(staff).ok
    staff.offboarded_at = timezone.now()
    assert not access_gate(staff).ok
    assert access_gate(client_a_owner).codes == [GateReason.NOT_STAFF]


def test_gate_costs_one_query(django_assert_num_queries, compliance_officer: User) -> None:  # type: ignore[no-untyped-def]
    staff = cast.make_staff("staffer", StaffRole.BOOKKEEPER)
    with django_assert_num_queries(1):
        assert access_gate(staff).ok


def test_gate_page_lists_what_is_missing_and_whom_to_ask(compliance_officer: User, course: Course) -> None:
    _publish(compliance_officer, deadline_in=timedelta(days=10))
    staff = cast.make_staff("staffer", StaffRole.BOOKKEEPER, compliant=False)
    response = cast.signed_in(staff).get("/staff/compliance/gate/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "保密协议" in body  # the reason, in Chinese
    assert compliance_officer.email in body


def test_gate_url_name_resolves() -> None:
    from django.urls import reverse

    assert reverse(queries.GATE_URL_NAME) == "/staff/compliance/gate/"
