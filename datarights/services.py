"""Every change to a data-rights request: typed, with an explicit actor, audited in the same transaction.

E-mails say only that there is an update (never the request's words) and go out after commit; the
package task is queued after commit with the request id only.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit import services as audit
from clients.models import Client, ClientMembership, ClientRole
from confidentiality.files import delete_stored_file, encrypted_writer
from confidentiality.keyscope import KeyScope
from confidentiality.models import StoredFile
from datarights import dates, package
from datarights.models import (
    OPEN_STATES,
    DataRightsAction,
    DataRightsRequest,
    ExportPackage,
    PackageState,
    RequestEvent,
    RequestKind,
    RequestState,
    TimelineStep,
)
from firmportal.mail import mail_after_commit

logger = logging.getLogger(__name__)

DETAILS_MAX = 4000
ANSWER_MAX = 4000
DESK_CAPABILITY = "accounts.view_compliance_desk"


class DataRightsRefused(ValidationError):  # noqa: N818 - reads as what happened to the request
    """A change that is not allowed, with a message in the user's language."""


def is_owner(user: Any, client: Client | Any) -> bool:
    """Data-rights requests are made by the company's owner accounts (not finance contacts, not delegates)."""
    client_id = client.pk if isinstance(client, Client) else client
    return ClientMembership.objects.filter(user=user, client_id=client_id, role=ClientRole.OWNER).exists()


def _require_officer(actor: User) -> None:
    if not (actor.is_staff_member and actor.has_perm(DESK_CAPABILITY)):
        raise DataRightsRefused(_("Only a compliance officer answers data-rights requests."))


def _step(request: DataRightsRequest, step: str, actor: User | None) -> None:
    RequestEvent.objects.create(request=request, step=step, actor=actor)


def _audit(actor: User | None, action: str, request: DataRightsRequest, **details: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        target=request,
        client_ref=str(request.client_id),
        details={"kind": request.kind, **details},
    )


def _notify_requester(request: DataRightsRequest) -> None:
    """Only that there is an update, and where to look: never the request's or the answer's words."""
    address = request.requested_by.email
    if not address:
        return
    subject = _("FirmPortal: an update on your data-rights request")
    body = _(
        "There is an update on your data-rights request. Please sign in to the client portal to see it: %(path)s"
    ) % {"path": reverse("portal:datarights-detail", args=[request.pk])}
    mail_after_commit(subject=subject, body=body, recipients=[address])


def _notify_officers() -> None:
    from compliance.queries import compliance_officers

    addresses = [u.email for u in compliance_officers() if u.email]
    subject = _("FirmPortal: a new data-rights request")
    body = _("A client has made a data-rights request. Please see the compliance desk: %(path)s") % {
        "path": reverse("staff:datarights:desk")
    }
    mail_after_commit(subject=subject, body=body, recipients=addresses)


@transaction.atomic
def submit_request(*, client: Client, kind: str, details: str, actor: User) -> DataRightsRequest:
    """A company owner asks; the case gets its deadline in working days and goes to the desk."""
    if not is_owner(actor, client):
        raise DataRightsRefused(_("Only the company's owner can make a data-rights request."))
    if kind not in RequestKind.values:
        raise DataRightsRefused(_("Please choose what you are asking for."))
    details = (details or "").strip()
    if kind == RequestKind.CORRECTION and not details:
        raise DataRightsRefused(_("Please say which data is wrong and what it should be."))
    if len(details) > DETAILS_MAX:
        raise DataRightsRefused(_("Please keep the description under %(max)d characters.") % {"max": DETAILS_MAX})
    now = timezone.now()
    request = DataRightsRequest(
        client=client,
        requested_by=actor,
        kind=kind,
        details=details,
        submitted_at=now,
        due_on=dates.answer_due(timezone.localdate(now)),
    )
    request.save()
    _step(request, TimelineStep.SUBMITTED, actor)
    _audit(actor, DataRightsAction.DATA_REQUEST_SUBMITTED, request, due_on=request.due_on.isoformat())
    _notify_officers()
    return request


def _locked(request: DataRightsRequest) -> DataRightsRequest:
    return DataRightsRequest.objects.select_for_update().select_related("client", "requested_by").get(pk=request.pk)


@transaction.atomic
def acknowledge_request(request: DataRightsRequest, *, actor: User) -> DataRightsRequest:
    _require_officer(actor)
    request = _locked(request)
    if request.state != RequestState.SUBMITTED:
        raise DataRightsRefused(_("This request was already acknowledged or answered."))
    request.state = RequestState.ACKNOWLEDGED
    request.acknowledged_at = timezone.now()
    request.acknowledged_by = actor
    request.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
    _step(request, TimelineStep.ACKNOWLEDGED, actor)
    _audit(actor, DataRightsAction.DATA_REQUEST_ACKNOWLEDGED, request)
    _notify_requester(request)
    return request


def _clean_answer(text: str, *, required: bool, message: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise DataRightsRefused(message)
    if len(text) > ANSWER_MAX:
        raise DataRightsRefused(_("Please keep the answer under %(max)d characters.") % {"max": ANSWER_MAX})
    return text


def _close(request: DataRightsRequest, state: str, actor: User | None) -> None:
    request.state = state
    request.closed_at = timezone.now()
    if actor is not None:
        request.closed_by = actor
    if request.acknowledged_at is None:
        request.acknowledged_at = request.closed_at
        request.acknowledged_by = actor


@transaction.atomic
def fulfil_request(request: DataRightsRequest, *, actor: User, answer: str = "") -> DataRightsRequest:
    """The officer carries out the request, as its kind says.

    Access: the export package is queued (the request is answered when it is built). Correction:
    the answer records what was corrected (required). Deletion: checked against retention by
    `retention.handover.assess_erasure`, whose result (erased, scheduled, kept and why) is the
    answer. Withdrawal of consent: recorded; processing that needs consent ends.
    """
    _require_officer(actor)
    request = _locked(request)
    retry = request.state == RequestState.IN_PROGRESS and _package_failed(request)
    if request.state not in (RequestState.SUBMITTED, RequestState.ACKNOWLEDGED) and not retry:
        raise DataRightsRefused(_("This request was already answered."))
    if request.kind == RequestKind.CORRECTION:
        answer = _clean_answer(
            answer, required=True, message=_("Please record what was corrected (or refuse the request with reasons).")
        )
    else:
        answer = _clean_answer(answer, required=False, message="")
    request.answer = answer
    if request.kind == RequestKind.ACCESS:
        return _queue_package(request, actor=actor)
    if request.kind == RequestKind.DELETION:
        from retention.handover import assess_erasure

        result = assess_erasure(request.client, actor=actor)
        request.erasure = {"erased": result.erased, "scheduled": result.scheduled, "locked": result.locked}
    _close(request, RequestState.FULFILLED, actor)
    request.save()
    _step(request, TimelineStep.FULFILLED, actor)
    if request.kind == RequestKind.WITHDRAWAL:
        _audit(actor, DataRightsAction.CONSENT_WITHDRAWN, request)
    _audit(actor, DataRightsAction.DATA_REQUEST_FULFILLED, request)
    _notify_requester(request)
    return request


def _package_failed(request: DataRightsRequest) -> bool:
    return ExportPackage.objects.filter(request=request, state=PackageState.FAILED).exists()


def _queue_package(request: DataRightsRequest, *, actor: User) -> DataRightsRequest:
    request.state = RequestState.IN_PROGRESS
    request.closed_by = actor
    if request.acknowledged_at is None:
        request.acknowledged_at = timezone.now()
        request.acknowledged_by = actor
    request.save()
    export, created = ExportPackage.objects.get_or_create(request=request)
    if not created:
        export.state = PackageState.QUEUED
        export.progress = 0
        export.failure = ""
        export.started_at = None
        export.save(update_fields=["state", "progress", "failure", "started_at"])
    _step(request, TimelineStep.PACKAGE_QUEUED, actor)
    _audit(actor, DataRightsAction.DATA_PACKAGE_QUEUED, request, package=str(export.pk))
    request_id = str(request.pk)

    def enqueue() -> None:
        from datarights.tasks import build_export_package

        build_export_package.delay(request_id)

    transaction.on_commit(enqueue)
    _notify_requester(request)
    return request


@transaction.atomic
def refuse_request(request: DataRightsRequest, *, actor: User, reasons: str) -> DataRightsRequest:
    """A refusal always carries its reasons (PIPL Art. 50), shown to the client."""
    _require_officer(actor)
    request = _locked(request)
    if request.state not in OPEN_STATES:
        raise DataRightsRefused(_("This request was already answered."))
    if ExportPackage.objects.filter(request=request, state__in=[PackageState.QUEUED, PackageState.BUILDING]).exists():
        raise DataRightsRefused(_("The export package is being built; wait until it is finished."))
    request.answer = _clean_answer(reasons, required=True, message=_("A refusal must state its reasons."))
    _close(request, RequestState.REFUSED, actor)
    request.save()
    _step(request, TimelineStep.REFUSED, actor)
    _audit(actor, DataRightsAction.DATA_REQUEST_REFUSED, request)
    _notify_requester(request)
    return request


# --- The package ---------------------------------------------------------------------------------------------


def _claim(request_id: Any) -> ExportPackage | None:
    with transaction.atomic():
        export = ExportPackage.objects.select_for_update().filter(request_id=request_id).first()
        # BUILDING too: a worker that died mid-build leaves it so, and the broker redelivers the task.
        if export is None or export.state not in (PackageState.QUEUED, PackageState.BUILDING):
            return None
        export.state = PackageState.BUILDING
        export.progress = 0
        export.started_at = timezone.now()
        export.save(update_fields=["state", "progress", "started_at"])
        return export


def build_package(request_id: Any) -> ExportPackage | None:
    """Build the access-and-copy package of a queued request (run by the worker; idempotent).

    Progress goes to the package row as it is built (committed at once, for the polling pages).
    The zip is encrypted as it is written; the row, the request's answer and the audit events
    are committed together at the end. A failure is recorded and the officer may queue it again.
    """
    export = _claim(request_id)
    if export is None:
        return None
    request = DataRightsRequest.objects.select_related("client").get(pk=request_id)
    last = [-1]

    def progress(done: int, total: int) -> None:
        percent = min(99, int(done * 100 / max(total, 1)))
        if percent != last[0]:
            last[0] = percent
            ExportPackage.objects.filter(pk=export.pk).update(progress=percent)

    stored: StoredFile | None = None
    try:
        with encrypted_writer(
            KeyScope.for_client(request.client_id),
            owner_label="datarights.exportpackage",
            name=f"data-copy-{request.pk}.zip",
            content_type="application/zip",
        ) as (sink, stored):
            files = package.write_package(request.client, sink, progress=progress)
        _finish(request.pk, stored=stored, files=files)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the package; the officer may queue it again
        # The class only: an exception's message may quote the data being written.
        logger.error("data-rights package %s failed: %s", export.pk, type(exc).__name__)
        if stored is not None and stored.pk is not None and StoredFile.objects.filter(pk=stored.pk).exists():
            delete_stored_file(stored, actor=None, reason="export package failed")
        _fail(request.pk, failure=type(exc).__name__)
    return ExportPackage.objects.get(pk=export.pk)


@transaction.atomic
def _finish(request_id: Any, *, stored: StoredFile, files: int) -> None:
    request = DataRightsRequest.objects.select_for_update().select_related("requested_by").get(pk=request_id)
    export = ExportPackage.objects.select_for_update().get(request=request)
    now = timezone.now()
    export.state = PackageState.READY
    export.progress = 100
    export.stored_file_id = stored.pk
    export.size = stored.size
    export.files = files
    export.finished_at = now
    export.expires_at = now + dt.timedelta(days=int(settings.FIRMPORTAL_DATARIGHTS_PACKAGE_DAYS))
    export.save()
    officer = request.closed_by
    _close(request, RequestState.FULFILLED, None)
    request.save(update_fields=["state", "closed_at", "acknowledged_at", "acknowledged_by"])
    _step(request, TimelineStep.PACKAGE_READY, None)
    _audit(None, DataRightsAction.DATA_PACKAGE_BUILT, request, package=str(export.pk), files=files, size=stored.size)
    _audit(officer, DataRightsAction.DATA_REQUEST_FULFILLED, request, package=str(export.pk))
    _notify_requester(request)


@transaction.atomic
def _fail(request_id: Any, *, failure: str) -> None:
    request = DataRightsRequest.objects.select_for_update().get(pk=request_id)
    ExportPackage.objects.filter(request=request).update(
        state=PackageState.FAILED, failure=failure[:200], finished_at=timezone.now()
    )
    _step(request, TimelineStep.PACKAGE_FAILED, None)
    _audit(None, DataRightsAction.DATA_PACKAGE_FAILED, request, failure=failure[:200])


@transaction.atomic
def purge_expired_packages(*, now: dt.datetime | None = None) -> int:
    """Expired packages lose their encrypted file (the row and its file key first, the bytes after commit)."""
    now = now or timezone.now()
    purged = 0
    for export in ExportPackage.objects.select_for_update().filter(
        state=PackageState.READY, expires_at__lte=now, stored_file_id__isnull=False
    ):
        stored = StoredFile.objects.filter(pk=export.stored_file_id).first() if export.stored_file_id else None
        if stored is not None:
            delete_stored_file(stored, actor=None, reason="data-rights package expired")
        ExportPackage.objects.filter(pk=export.pk).update(stored_file_id=None, state=PackageState.EXPIRED)
        purged += 1
    return purged
