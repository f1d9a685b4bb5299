"""Third parties (外部合作): the risk questionnaire, its scoring, and the register's rules."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit import services as audit
from compliance.dates import add_months_to_date
from compliance.errors import ComplianceError
from compliance.models import ComplianceAction, RiskAssessment, RiskRating, ThirdParty

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger("firmportal.compliance")

REVIEW_REMINDER_DAYS = 30
HIGH_RISK_REVIEW_MONTHS = 6

# Each question asks whether a control is in place; a missing control adds its weight to the risk.
RISK_QUESTIONS: list[tuple[str, StrOrPromise, int]] = [
    ("nda", gettext_lazy("A signed NDA covers all client data the party handles."), 20),
    ("encryption", gettext_lazy("The party encrypts our data at rest and in transit."), 15),
    ("least_access", gettext_lazy("Only named people at the party can reach our data."), 15),
    ("location", gettext_lazy("Data stays in mainland China (or transfer is approved)."), 10),
    ("subcontractors", gettext_lazy("Subcontractors are bound by the same terms."), 10),
    ("incident_notice", gettext_lazy("The party notifies us of incidents within 24 hours."), 10),
    ("return_delete", gettext_lazy("The party returns or deletes data at contract end (PIPL Art. 21)."), 10),
    ("audit_right", gettext_lazy("We may audit the party or receive its audit reports."), 5),
    ("no_breach", gettext_lazy("No data breach at the party in the last three years."), 5),
]


def score_answers(answers: dict[str, bool]) -> tuple[int, str]:
    """Risk score 0-100 (sum of weights of missing controls) and its rating."""
    score = sum(weight for key, _text, weight in RISK_QUESTIONS if not answers.get(key, False))
    if score >= 40 or not answers.get("nda", False):
        rating = RiskRating.HIGH
    elif score >= 20:
        rating = RiskRating.MEDIUM
    else:
        rating = RiskRating.LOW
    return score, str(rating)


@transaction.atomic
def register_third_party(*, actor: User, **fields: object) -> ThirdParty:
    name = str(fields.get("name", "")).strip()
    if not name:
        raise ComplianceError(_("Give the third party's name."))
    if ThirdParty.objects.filter(name=name).exists():
        raise ComplianceError(_("A third party with this name is already registered."))
    party = ThirdParty.objects.create(**{**fields, "name": name})
    audit.record(actor=actor, action=ComplianceAction.THIRD_PARTY_REGISTERED, target=party, details={"name": name})
    return party


@transaction.atomic
def record_risk_assessment(
    *, third_party: ThirdParty, answers: dict[str, bool], notes: str, actor: User, today: date | None = None
) -> RiskAssessment:
    """Score the questionnaire, set the rating and the next review (6 months for high risk)."""
    today = today or timezone.localdate()
    known = {key for key, _t, _w in RISK_QUESTIONS}
    clean = {key: bool(answers.get(key, False)) for key in known}
    score, rating = score_answers(clean)
    assessment = RiskAssessment.objects.create(
        third_party=third_party,
        answers=clean,
        score=score,
        rating=rating,
        notes=notes,
        assessed_on=today,
        assessed_by=actor,
    )
    months = HIGH_RISK_REVIEW_MONTHS if rating == RiskRating.HIGH else third_party.review_interval_months
    third_party.risk_rating = rating
    third_party.last_reviewed_on = today
    third_party.next_review_due = add_months_to_date(today, months)
    third_party.save(update_fields=["risk_rating", "last_reviewed_on", "next_review_due"])
    audit.record(
        actor=actor,
        action=ComplianceAction.THIRD_PARTY_ASSESSED,
        target=third_party,
        details={"score": score, "rating": rating, "next_review_due": third_party.next_review_due.isoformat()},
    )
    return assessment


def lapsed_third_parties(*, today: date | None = None) -> QuerySet[ThirdParty]:
    """Active parties whose review is overdue (or never done) or whose NDA has expired or is missing."""
    today = today or timezone.localdate()
    return ThirdParty.objects.filter(is_active=True).filter(
        Q(next_review_due__isnull=True)
        | Q(next_review_due__lt=today)
        | Q(touches_client_data=True, nda_signed_on__isnull=True)
        | Q(nda_expires_on__lt=today)
    )


@transaction.atomic
def send_third_party_review_reminders(*, today: date | None = None) -> int:
    """Tell the compliance officers once per due date about reviews due within 30 days or overdue."""
    from compliance.queries import compliance_officers
    from firmportal.mail import mail_after_commit

    today = today or timezone.localdate()
    due = ThirdParty.objects.select_for_update().filter(
        is_active=True, next_review_due__isnull=False, next_review_due__lte=today + timedelta(days=REVIEW_REMINDER_DAYS)
    )
    names: list[str] = []
    for party in due:
        if party.reminded_for_due == party.next_review_due:
            continue
        party.reminded_for_due = party.next_review_due
        party.save(update_fields=["reminded_for_due"])
        audit.record(
            actor=None,
            action=ComplianceAction.THIRD_PARTY_REVIEW_REMINDED,
            target=party,
            details={"due": party.next_review_due.isoformat() if party.next_review_due else ""},
        )
        names.append(f"{party.name}: {party.next_review_due}")
    if names:
        mail_after_commit(
            subject=_("Third-party reviews due"),
            body=_("These third parties are due for their risk review:") + "\n" + "\n".join(names),
            recipients=[u.email for u in compliance_officers()],
        )
    return len(names)
