"""Training: quiz scoring with a pass mark, 12-month validity, reminders before expiry, overdue list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import StaffRole, User
from compliance import queries, services
from compliance.models import Course, TrainingCompletion
from tests import cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(compliance_officer: User) -> Course:
    return services.create_course(
        code="conf2",
        title="保密培训",
        description="",
        counts_for_gate=True,
        required=True,
        pass_mark=60,
        validity_months=12,
        questions=[("Q1", ["a", "b"], 1), ("Q2", ["a", "b"], 0), ("Q3", ["a", "b", "c"], 2)],
        actor=compliance_officer,
    )


def test_quiz_page_scores_against_the_pass_mark(course: Course) -> None:
    staff = cast.make_staff("trainee", StaffRole.BOOKKEEPER, compliant=False)
    http = cast.signed_in(staff)
    q1, q2, q3 = course.questions.all()
    http.post(f"/staff/compliance/training/course/{course.code}/", {f"q{q1.pk}": 1, f"q{q2.pk}": 1, f"q{q3.pk}": 0})
    failed = TrainingCompletion.objects.get(user=staff)
    assert (failed.score, failed.passed, failed.expires_at) == (33, False, None)
    http.post(f"/staff/compliance/training/course/{course.code}/", {f"q{q1.pk}": 1, f"q{q2.pk}": 0, f"q{q3.pk}": 0})
    passed = TrainingCompletion.objects.filter(user=staff, passed=True).get()
    assert passed.score == 67
    assert passed.expires_at is not None
    assert (passed.expires_at - passed.completed_at).days in (365, 366)


def test_unanswered_quiz_changes_nothing(course: Course) -> None:
    staff = cast.make_staff("trainee", StaffRole.BOOKKEEPER, compliant=False)
    response = cast.signed_in(staff).post(f"/staff/compliance/training/course/{course.code}/", {"q999": "x"})
    assert response.status_code == 200
    assert not TrainingCompletion.objects.filter(user=staff).exists()


def test_reminder_is_sent_once_before_expiry(course: Course, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    staff = cast.make_staff("trainee", StaffRole.BOOKKEEPER, compliant=False)
    answers = {q.pk: q.correct_index for q in course.questions.all()}
    services.submit_quiz(
        user=staff, course=course, answers=answers, actor=staff, now=timezone.now() - timedelta(days=345)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_training_reminders() == 1
    assert [m.to for m in mail.outbox] == [[staff.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_training_reminders() == 0
    assert len(mail.outbox) == 1


def test_no_reminder_when_already_renewed(course: Course) -> None:
    staff = cast.make_staff("trainee", StaffRole.BOOKKEEPER, compliant=False)
    answers = {q.pk: q.correct_index for q in course.questions.all()}
    services.submit_quiz(
        user=staff, course=course, answers=answers, actor=staff, now=timezone.now() - timedelta(days=345)
    )
    services.submit_quiz(user=staff, course=course, answers=answers, actor=staff)
    assert services.send_training_reminders() == 0


def test_overdue_list_shows_missing_and_expired(course: Course) -> None:
    never = cast.make_staff("never", StaffRole.BOOKKEEPER, compliant=False)
    lapsed = cast.make_staff("lapsed", StaffRole.BOOKKEEPER, compliant=False)
    current = cast.make_staff("current", StaffRole.BOOKKEEPER, compliant=False)
    answers = {q.pk: q.correct_index for q in course.questions.all()}
    services.submit_quiz(
        user=lapsed, course=course, answers=answers, actor=lapsed, now=timezone.now() - timedelta(days=400)
    )
    services.submit_quiz(user=current, course=course, answers=answers, actor=current)
    overdue = {
        (row.user.username, row.expired_at is None) for row in queries.overdue_training() if row.course == course
    }
    assert ("never", True) in overdue
    assert ("lapsed", False) in overdue
    assert all(name != "current" for name, _ in overdue)
    _ = never


def test_officer_creates_course_with_quiz_lines_and_records_attendance(
    compliance_officer: User, bookkeeper_alice: User
) -> None:
    http = cast.signed_in(compliance_officer)
    bad = http.post(
        "/staff/compliance/training/desk/courses/new/",
        {"code": "x1", "title": "X", "pass_mark": 80, "validity_months": 12, "questions": "Only a question"},
    )
    assert bad.status_code == 200 and not Course.objects.filter(code="x1").exists()
    http.post(
        "/staff/compliance/training/desk/courses/new/",
        {
            "code": "x1",
            "title": "X",
            "pass_mark": 80,
            "validity_months": 12,
            "required": "on",
            "questions": "Who may see a ledger? | Anyone | *Assigned staff\nReport a leak? | *At once | Later",
        },
    )
    course = Course.objects.get(code="x1")
    assert [q.correct_index for q in course.questions.all()] == [1, 0]
    start = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    http.post(
        "/staff/compliance/training/desk/sessions/new/", {"course": course.pk, "starts_at": start, "location": "A"}
    )
    session = course.sessions.get()
    http.post(f"/staff/compliance/training/desk/sessions/{session.pk}/attendance/", {"users": [bookkeeper_alice.pk]})
    assert list(session.attendance.values_list("user__username", flat=True)) == ["bookkeeper_alice"]
    assert http.get("/staff/compliance/training/desk/").status_code == 200
