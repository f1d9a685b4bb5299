# ruff: noqa: RUF001 - Chinese text uses full-width punctuation
"""Demo compliance data: a published NDA and a confidentiality course every demo staff member passed."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User, UserKind
from compliance import services
from compliance.models import Course, NdaAcceptance, NdaVersion, TrainingCompletion

DEMO_NDA_ZH = (
    "一、员工对在工作中接触的客户财务资料、商业秘密和个人信息负有保密义务。\n"
    "二、只在被指派的客户范围内、为工作目的查阅资料，并说明查阅目的。\n"
    "三、不得复制、外传或在非工作设备上保存客户资料。\n"
    "四、离职后保密义务继续有效。"
)
DEMO_NDA_EN = (
    "1. Staff keep confidential the financial records, trade secrets and personal information of clients.\n"
    "2. Staff read client data only for assigned clients, for work purposes, stating the purpose.\n"
    "3. Staff do not copy, pass on, or keep client data on devices outside work.\n"
    "4. The duty of confidentiality continues after leaving the firm."
)
CONFIDENTIALITY_COURSE = "confidentiality-basics"


@transaction.atomic
def seed_compliance(*, officer: User) -> None:
    """Idempotent: publish NDA v1, create the confidentiality course, make every demo staff compliant."""
    nda = NdaVersion.objects.filter(published_at__isnull=False).order_by("-version").first()
    if nda is None:
        draft = services.create_nda_version(
            title="员工保密协议 Staff confidentiality agreement",
            text_zh=DEMO_NDA_ZH,
            text_en=DEMO_NDA_EN,
            actor=officer,
        )
        nda = services.publish_nda_version(
            draft, acceptance_deadline=timezone.now() + timedelta(days=30), actor=officer
        )
    course = Course.objects.filter(code=CONFIDENTIALITY_COURSE).first()
    if course is None:
        course = services.create_course(
            code=CONFIDENTIALITY_COURSE,
            title="客户信息保密培训 Client confidentiality",
            description="为什么、如何保护客户资料。Why and how we protect client data.",
            counts_for_gate=True,
            required=True,
            pass_mark=80,
            validity_months=12,
            questions=[
                (
                    "谁可以查看客户账簿？Who may view a client's ledger?",
                    ["任何员工 Anyone", "被指派的员工 Assigned staff"],
                    1,
                ),
                ("发现数据泄露时应当？On a suspected leak you…", ["立即报告 report at once", "等待 wait"], 0),
            ],
            actor=officer,
        )
    correct = {q.pk: q.correct_index for q in course.questions.all()}
    for user in User.objects.filter(kind=UserKind.STAFF, is_active=True):
        if not NdaAcceptance.objects.filter(user=user, nda_version=nda).exists():
            services.accept_nda(user=user, nda=nda, ip_address=None, actor=user)
        if not TrainingCompletion.objects.filter(user=user, course=course, passed=True).exists():
            services.submit_quiz(user=user, course=course, answers=correct, actor=user)
