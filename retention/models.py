"""Retention of the accounting archive: schedule, holds, appraisal, destruction, registers, handover.

The unit of retention and destruction is a *volume* (卷): one client's records of one archive
category and one fiscal year. Each volume has its own data key (`KeyScope.for_client(client,
fiscal_year, category=...)`), so destroying it is destroying one key (crypto-shredding), then
deleting its rows. Volumes are not stored: they are found from the records (see `sources.py`);
appraisal items snapshot them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from confidentiality.fields import EncryptedTextField
from confidentiality.keyscope import KeyScope
from retention.schedule import Category

REGISTER_SCOPE = "archive-registers"


class RetentionRule(models.Model):
    """The firm's period for a category: at least the legal minimum (None = permanent)."""

    category = models.CharField(_("category"), max_length=32, choices=Category.choices, unique=True)
    years = models.PositiveIntegerField(_("years"), null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.category}: {self.years if self.years is not None else 'permanent'}"


class FixedAsset(models.Model):
    """A fixed-asset card (固定资产卡片). It expires 5 years after the asset is scrapped.

    Each card has a key of its own (category `fa-<id>`), because each card expires on its own day.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="fixed_assets")
    name = EncryptedTextField(_("asset name"))
    acquired_on = models.DateField(_("acquired on"))
    scrapped_on = models.DateField(_("scrapped on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["acquired_on"]

    def __str__(self) -> str:
        return f"fixed asset {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id, self.acquired_on.year, category=f"fa-{self.pk.hex}")


class RetentionAction(models.TextChoices):
    """Audit actions of this slice (ids and counts in details, never what was destroyed)."""

    PERIOD_CHANGED = "retention_period_changed", _("Retention period changed")
    HOLD_PLACED = "retention_hold_placed", _("Hold placed")
    HOLD_RELEASED = "retention_hold_released", _("Hold released")
    APPRAISAL_OPENED = "appraisal_opened", _("Appraisal batch opened")
    ITEM_APPRAISED = "appraisal_item_decided", _("Appraisal item decided")
    APPRAISAL_ISSUED = "appraisal_opinion_issued", _("Appraisal opinion issued")
    LIST_PREPARED = "destruction_list_prepared", _("Destruction list prepared")
    LIST_SIGNED = "destruction_list_signed", _("Destruction list signed")
    SUPERVISOR_ASSIGNED = "destruction_supervisor_assigned", _("Destruction supervisor assigned")
    LIST_APPROVED = "destruction_list_approved", _("Destruction list approved")
    EXECUTION_STARTED = "destruction_started", _("Destruction started")
    EXECUTION_RESUMED = "destruction_resumed", _("Destruction resumed")
    VOLUME_KEY_DESTROYED = "volume_key_destroyed", _("Volume key destroyed")
    VOLUME_SKIPPED = "volume_destruction_skipped", _("Volume kept (hold)")
    VOLUME_DELETED = "volume_rows_deleted", _("Volume rows deleted")
    EXECUTED = "destruction_executed", _("Destruction executed")
    CONFIRMED = "destruction_confirmed", _("Destruction confirmed by supervisor")
    HANDOVER_PREPARED = "handover_prepared", _("Handover prepared")
    HANDOVER_RECEIVED = "handover_received", _("Handover received by client")
    ERASURE_ASSESSED = "erasure_assessed", _("Erasure request assessed")
    FIXED_ASSET_SCRAPPED = "fixed_asset_scrapped", _("Fixed asset scrapped")
    # retention2 slice: open matters flagged in the books, engagement personal data.
    OPEN_MATTER_FLAGGED = "open_matter_flagged", _("Open matter flagged")
    OPEN_MATTER_CLOSED = "open_matter_closed", _("Open matter closed")
    PERSONAL_DATA_SHREDDED = "engagement_personal_data_shredded", _("Engagement personal data crypto-shredded")
    PERSONAL_DATA_LOCKED = "engagement_personal_data_locked", _("Engagement personal data locked")


class HoldKind(models.TextChoices):
    TAX_AUDIT = "tax_audit", _("Tax audit")
    LITIGATION = "litigation", _("Litigation")
    INVESTIGATION = "investigation", _("Investigation")
    OPEN_MATTER = "open_matter", _("Open matter (未了事项)")


class Hold(models.Model):
    """A manual hold: records of a client (optionally one year, one category) are not destroyed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="retention_holds")
    fiscal_year = models.PositiveIntegerField(_("fiscal year"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=HoldKind.choices)
    # Why may name the matter (a court case, an audit notice): confidential.
    reason = EncryptedTextField(_("reason"))
    until = models.DateField(_("until"), null=True, blank=True)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"hold {self.pk} ({self.kind})"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id)


class BatchState(models.TextChoices):
    OPEN = "open", _("Being appraised")
    APPRAISED = "appraised", _("Appraisal opinion issued")


class AppraisalBatch(models.Model):
    """Records past their retention, found by the daily job, appraised by the archivist (鉴定)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("number"), max_length=32, unique=True)
    state = models.CharField(max_length=16, choices=BatchState.choices, default=BatchState.OPEN)
    as_of = models.DateField(_("as of"))
    opened_at = models.DateTimeField(default=timezone.now)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    appraised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("appraisal batch")

    def __str__(self) -> str:
        return self.number


class Decision(models.TextChoices):
    PENDING = "pending", _("Not yet appraised")
    DESTROY = "destroy", _("Destroy")
    EXTEND = "extend", _("Keep longer (new period)")
    HELD = "held", _("Held (not destroyed)")


class AppraisalItem(models.Model):
    """One volume in an appraisal: client, category, fiscal year, and what the appraisal decided."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(AppraisalBatch, on_delete=models.PROTECT, related_name="items")
    # No foreign key: the client may be gone long before its destruction register is.
    client_id = models.UUIDField()
    category = models.CharField(max_length=32, choices=Category.choices)
    fiscal_year = models.PositiveIntegerField()
    scope_owner = models.CharField(max_length=80)
    scope_year = models.IntegerField(null=True, blank=True)
    source = models.CharField(max_length=64)
    record_count = models.PositiveIntegerField(default=0)
    period_years = models.PositiveIntegerField()
    retention_end = models.DateField()
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    hold_reasons = models.JSONField(default=list, blank=True)  # codes, never plaintext
    new_period_years = models.PositiveIntegerField(null=True, blank=True)
    volume_no = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["volume_no", "fiscal_year", "category"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "scope_owner", "scope_year"], name="one_item_per_volume"),
        ]

    def __str__(self) -> str:
        return f"{self.category} FY{self.fiscal_year} of {self.client_id}"

    @property
    def scope(self) -> KeyScope:
        return KeyScope(owner=self.scope_owner, year=self.scope_year)

    @property
    def archive_code(self) -> str:
        """档案编号: stable, without plaintext."""
        return f"{str(self.client_id)[:8].upper()}-{self.fiscal_year}-{self.category}"


class Extension(models.Model):
    """A new, longer period given to a volume by an appraisal; the daily job respects it."""

    scope_owner = models.CharField(max_length=80)
    scope_year = models.IntegerField(null=True, blank=True)
    keep_until = models.DateField()
    item = models.OneToOneField(AppraisalItem, on_delete=models.PROTECT, related_name="extension")

    class Meta:
        indexes = [models.Index(fields=["scope_owner", "scope_year"])]

    def __str__(self) -> str:
        return f"{self.scope_owner}/{self.scope_year} until {self.keep_until}"


class ListState(models.TextChoices):
    SIGNING = "signing", _("Awaiting signatures")
    APPROVED = "approved", _("Approved")
    EXECUTING = "executing", _("Executing")
    EXECUTED = "executed", _("Executed")
    CONFIRMED = "confirmed", _("Confirmed by supervisors")


class DestructionList(models.Model):
    """会计档案销毁清册: the volumes an appraisal decided to destroy, signed off before execution."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.OneToOneField(AppraisalBatch, on_delete=models.PROTECT, related_name="destruction_list")
    number = models.CharField(_("number"), max_length=32, unique=True)
    state = models.CharField(max_length=16, choices=ListState.choices, default=ListState.SIGNING)
    electronic = models.BooleanField(_("electronic records"), default=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    approved_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-prepared_at"]
        verbose_name = _("destruction list")

    def __str__(self) -> str:
        return self.number

    def items(self) -> models.QuerySet[AppraisalItem]:
        return self.batch.items.filter(decision=Decision.DESTROY)


class SlotPurpose(models.TextChoices):
    SIGN = "sign", _("Signs the destruction list")
    SUPERVISE = "supervise", _("Supervises the destruction (监销)")


class SignOffSlot(models.Model):
    """Configurable data: who must sign (or supervise) a destruction list, by staff role."""

    code = models.SlugField(primary_key=True, max_length=32)
    label = models.CharField(_("label"), max_length=64)
    purpose = models.CharField(max_length=16, choices=SlotPurpose.choices)
    staff_role = models.CharField(_("staff role"), max_length=32)
    electronic_only = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["purpose", "position"]

    def __str__(self) -> str:
        return self.code


class Signature(models.Model):
    destruction_list = models.ForeignKey(DestructionList, on_delete=models.PROTECT, related_name="signatures")
    slot = models.ForeignKey(SignOffSlot, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["destruction_list", "slot"], name="one_signature_per_slot"),
            models.UniqueConstraint(fields=["destruction_list", "signer"], name="one_signature_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.slot_id} by {self.signer_id}"


class Supervision(models.Model):
    """A supervisor (监销人) assigned to a list; confirms after execution."""

    destruction_list = models.ForeignKey(DestructionList, on_delete=models.PROTECT, related_name="supervisions")
    slot = models.ForeignKey(SignOffSlot, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["destruction_list", "slot"], name="one_supervisor_per_slot"),
            models.UniqueConstraint(fields=["destruction_list", "supervisor"], name="one_supervision_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.slot_id}: {self.supervisor_id}"


class RunState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")


class DestructionRun(models.Model):
    """The execution of one list: resumable; each volume records how far it got.

    A worker holds the run by a lease it renews after every batch; a run whose lease ran out (its
    worker died) is taken over by the next worker, which resumes where the progress rows say.
    """

    destruction_list = models.OneToOneField(DestructionList, on_delete=models.PROTECT, related_name="run")
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"run of {self.destruction_list_id} ({self.state})"


class VolumeProgress(models.Model):
    run = models.ForeignKey(DestructionRun, on_delete=models.PROTECT, related_name="volumes")
    item = models.OneToOneField(AppraisalItem, on_delete=models.PROTECT, related_name="progress")
    key_destroyed_at = models.DateTimeField(null=True, blank=True)
    rows_deleted = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"progress of {self.item_id}"


class RegisterKind(models.TextChoices):
    APPRAISAL_OPINION = "appraisal_opinion", _("会计档案鉴定意见书")
    DESTRUCTION_LIST = "destruction_register", _("会计档案销毁清册")
    DESTRUCTION_CERTIFICATE = "destruction_certificate", _("销毁证明")
    HANDOVER_LIST = "handover_list", _("会计档案移交清册")


class PermanentQuerySet(models.QuerySet["Register"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("archive registers are permanent")

    def update(self, **kwargs: object) -> int:
        raise PermissionError("archive registers are permanent")


class Register(models.Model):
    """A permanent register document (PDF or xlsx), encrypted with the firm's register key.

    Never deletable: the model and its queryset refuse, and on PostgreSQL a trigger refuses any
    UPDATE or DELETE of the rows.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=RegisterKind.choices)
    fmt = models.CharField(max_length=8)  # "pdf" or "xlsx"
    title = models.CharField(max_length=200)  # a number and a kind: never client plaintext
    category = models.CharField(max_length=32, choices=Category.choices)
    # Which list or handover it belongs to; one certificate per list is a unique constraint.
    subject_id = models.UUIDField()
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = PermanentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "fmt", "subject_id"], name="one_register_per_subject"),
        ]

    def __str__(self) -> str:
        return self.title

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("archive registers are permanent")


class HandoverState(models.TextChoices):
    PREPARED = "prepared", _("Prepared, awaiting the client's receipt")
    RECEIVED = "received", _("Received by the client")


class Handover(models.Model):
    """Engagement end: the archives handed over with a 会计档案移交清册 and an export package."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="handovers")
    number = models.CharField(max_length=32, unique=True)
    state = models.CharField(max_length=16, choices=HandoverState.choices, default=HandoverState.PREPARED)
    firm_keeps_archives = models.BooleanField(_("the contract says the firm keeps the archives"))
    grace_days = models.PositiveIntegerField(default=90)
    package = models.BinaryField(null=True, blank=True)  # encrypted zip (client scope)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(null=True, blank=True)
    delete_after = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-prepared_at"]

    def __str__(self) -> str:
        return self.number


class ProcessingLock(models.Model):
    """PIPL Art. 47: data kept only because a retention duty runs. Storage and security only;
    visible to the archivist alone (the access layer asks `queries.is_locked`)."""

    client_id = models.UUIDField(db_index=True)
    category = models.CharField(max_length=32, blank=True)
    fiscal_year = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=64)  # a code, e.g. "erasure_request" or "engagement_ended"
    until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client_id", "category", "fiscal_year"], name="one_lock_per_volume", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"lock {self.client_id} {self.category} {self.fiscal_year}"


class OpenMatter(models.Model):
    """An open matter flagged in the books (未了事项): a voucher or a fiscal year the staff say is
    not settled yet. Its records are held (never destroyed) until the matter is closed.

    A flag on a voucher holds that year's journal vouchers and source documents; a flag on a year
    holds every record of that year. `voucher_id` is no foreign key: closed flags outlive the
    vouchers they named.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="open_matters")
    fiscal_year = models.PositiveIntegerField(_("fiscal year"))
    voucher_id = models.UUIDField(null=True, blank=True)
    # What the matter is (a dispute, an unpaid deposit): the client's affairs, encrypted.
    note = EncryptedTextField(_("what is open"))
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    flagged_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-flagged_at"]
        indexes = [models.Index(fields=["client", "fiscal_year"], name="open_matter_client_year")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True, closed_by__isnull=True)
                | models.Q(closed_at__isnull=False, closed_by__isnull=False),
                name="open_matter_closed_has_closer",
            ),
        ]

    def __str__(self) -> str:
        return f"open matter {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def categories(self) -> tuple[str, ...] | None:
        """The archive categories it holds in its year (None: every category)."""
        if self.voucher_id is not None:
            return ("journal_voucher", "source_voucher")
        return None
