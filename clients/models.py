"""Clients of the firm, their engagements and their books: chart of accounts, periods, vouchers,
per-period account balances and source documents.

Confidential values (names, addresses, contacts, bank accounts, 摘要, amounts) are encrypted fields.
Master data uses the client's key (`KeyScope.for_client(client_id)`); records bound to a fiscal
year (vouchers, lines, balances, documents) use that year's key, so destroying one year's records
can destroy just that key. Dates, account codes, numbers and states stay plain for querying (see
docs/data-classification.md).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from clients import chart
from confidentiality.fields import EncryptedDecimalField, EncryptedJSONField, EncryptedTextField
from confidentiality.keyscope import KeyScope

ZERO = Decimal("0.00")


class BooksAction(models.TextChoices):
    """Audit actions of the bookkeeping slice (`audit.record(action=...)`)."""

    CLIENT_CREATED = "client_created", _("Client created")
    CLIENT_MEMBER_ADDED = "client_member_added", _("Client user added to a client")
    ENGAGEMENT_OPENED = "engagement_opened", _("Engagement opened")
    ENGAGEMENT_STATE_CHANGED = "engagement_state_changed", _("Engagement state changed")
    SUB_ACCOUNT_CREATED = "sub_account_created", _("Sub-account created")
    VOUCHER_CREATED = "voucher_created", _("Voucher created")
    VOUCHER_UPDATED = "voucher_updated", _("Draft voucher changed")
    VOUCHER_DELETED = "voucher_deleted", _("Draft voucher deleted")
    VOUCHER_REVIEWED = "voucher_reviewed", _("Voucher reviewed")
    VOUCHER_RETURNED = "voucher_returned", _("Voucher returned to its preparer")
    VOUCHER_POSTED = "voucher_posted", _("Voucher posted")
    VOUCHER_REVERSED = "voucher_reversed", _("Reversing voucher created")
    VOUCHERS_IMPORTED = "vouchers_imported", _("Vouchers imported")
    PERIOD_CLOSED = "period_closed", _("Accounting period closed")
    PERIOD_REOPENED = "period_reopened", _("Accounting period reopened")
    DOCUMENT_RECORDED = "document_recorded", _("Document recorded")
    # retention2 slice: employees' personal data held for the engagement (payroll).
    EMPLOYEE_RECORDED = "employee_recorded", _("Employee recorded for payroll")
    EMPLOYEE_REMOVED = "employee_removed", _("Employee removed from payroll (left the client)")
    # Documents and document requests (portal-docs slice)
    DOCUMENT_UPLOADED = "document_uploaded", _("Document uploaded")
    DOCUMENT_LINKED = "document_linked", _("Document linked to a voucher")
    DOCUMENT_BOOKED = "document_booked", _("Document marked booked")
    DOCUMENT_REJECTED = "document_rejected", _("Document rejected")
    DOCUMENT_SHARED = "document_shared", _("Document shared with the client")
    DOCUMENT_REQUEST_CREATED = "document_request_created", _("Document requested from the client")
    DOCUMENT_REQUEST_FULFILLED = "document_request_fulfilled", _("Document request fulfilled")
    DOCUMENT_REQUEST_CANCELLED = "document_request_cancelled", _("Document request cancelled")


class TaxpayerType(models.TextChoices):
    SMALL_SCALE = "small_scale", _("Small-scale taxpayer (小规模纳税人)")
    GENERAL = "general", _("General taxpayer (一般纳税人)")


class Client(models.Model):
    """A company whose books the firm keeps. Its name and identifiers are confidential."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = EncryptedTextField(_("company name"))
    credit_code = EncryptedTextField(_("unified social credit code"))
    taxpayer_type = models.CharField(_("taxpayer type"), max_length=16, choices=TaxpayerType.choices)
    address = EncryptedTextField(_("registered address"))
    # [{"name", "role", "phone", "email"}]: personal information of the client's people.
    contacts = EncryptedJSONField(_("contacts"))
    # [{"bank", "account_number"}]: secret (masked unless a purpose is stated).
    bank_accounts = EncryptedJSONField(_("bank accounts"))
    created_at = models.DateTimeField(default=timezone.now)

    # Secret fields: masked, revealed only with a stated purpose (confidentiality.secret_fields).
    SECRET_FIELDS = ("bank_accounts",)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["created_at"]
        # Client-scoped object permissions (granted per client by confidentiality.services, checked by
        # confidentiality.access). `view_client` is Django's default "view" permission of this model.
        permissions = [
            ("view_books", _("View the books of this client")),
            ("prepare_vouchers", _("Prepare vouchers for this client")),
            ("review_vouchers", _("Review and post vouchers of this client")),
            ("view_documents", _("View documents of this client")),
            ("upload_documents", _("Upload documents for this client")),
            ("manage_client", _("Manage this client's engagement")),
            ("reveal_secret", _("Reveal secret fields of this client (with a purpose)")),
        ]

    def __str__(self) -> str:
        # Never the name: str() reaches logs, admin and audit reprs.
        return f"client {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.id)


class ClientRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    FINANCE = "finance", _("Finance contact")


class ClientMembership(models.Model):
    """A client user belongs to a client company, as its owner or finance contact."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_memberships")
    role = models.CharField(max_length=16, choices=ClientRole.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "user"], name="one_membership_per_client_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.client_id}"


class EngagementState(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDING = "ending", _("Ending")
    HANDED_OVER = "handed_over", _("Handed over")
    ARCHIVED = "archived", _("Archived")


class ArchiveKeeper(models.TextChoices):
    FIRM = "firm", _("The firm keeps the accounting archives")
    CLIENT = "client", _("The client keeps the accounting archives")


class Engagement(models.Model):
    """The bookkeeping contract (代理记账合同): its dates, scope, and who keeps the archives."""

    ALLOWED_TRANSITIONS = {
        EngagementState.ACTIVE: {EngagementState.ENDING},
        EngagementState.ENDING: {EngagementState.ACTIVE, EngagementState.HANDED_OVER},
        EngagementState.HANDED_OVER: {EngagementState.ARCHIVED},
        EngagementState.ARCHIVED: set(),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="engagements")
    contract_start = models.DateField(_("contract start"))
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    scope = EncryptedTextField(_("scope of services"))
    archive_keeper = models.CharField(_("archives kept by"), max_length=16, choices=ArchiveKeeper.choices)
    # The person responsible for the archives (a name: confidential).
    archive_custodian = EncryptedTextField(_("archive custodian"))
    state = models.CharField(max_length=16, choices=EngagementState.choices, default=EngagementState.ACTIVE)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="managed_engagements"
    )
    created_at = models.DateTimeField(default=timezone.now)
    state_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-contract_start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=EngagementState.values), name="engagement_state_valid"),
            models.CheckConstraint(
                condition=models.Q(contract_end__isnull=True) | models.Q(contract_end__gte=models.F("contract_start")),
                name="engagement_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"engagement {self.pk} ({self.state})"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id)


class AccountCategory(models.TextChoices):
    ASSET = chart.Category.ASSET, _("Assets")
    LIABILITY = chart.Category.LIABILITY, _("Liabilities")
    EQUITY = chart.Category.EQUITY, _("Owners' equity")
    COST = chart.Category.COST, _("Costs")
    PROFIT_LOSS = chart.Category.PROFIT_LOSS, _("Profit and loss")


class Side(models.TextChoices):
    DEBIT = chart.DEBIT, _("Debit")
    CREDIT = chart.CREDIT, _("Credit")


class Account(models.Model):
    """A ledger account: a standard 小企业会计准则 account (no client) or a client's sub-account.

    Standard names are public; a client's sub-account name often names a counterparty, so it is
    encrypted with the client's key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    code = models.CharField(_("code"), max_length=16)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    sub_name = EncryptedTextField(_("sub-account name"))
    category = models.CharField(max_length=16, choices=AccountCategory.choices)
    normal_side = models.CharField(max_length=8, choices=Side.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(client__isnull=True), name="standard_account_code_unique"
            ),
            models.UniqueConstraint(
                fields=["client", "code"], condition=models.Q(client__isnull=False), name="client_account_code_unique"
            ),
            # Standard accounts are top level; a client's own accounts hang under one.
            models.CheckConstraint(
                condition=models.Q(client__isnull=True, parent__isnull=True)
                | models.Q(client__isnull=False, parent__isnull=False),
                name="account_standard_or_client_sub",
            ),
        ]

    def __str__(self) -> str:
        return f"account {self.code}"

    def encryption_scope(self) -> KeyScope:
        if self.client_id is None:
            raise ValueError("standard accounts hold no confidential data")
        return KeyScope.for_client(self.client_id)

    @property
    def is_standard(self) -> bool:
        return self.client_id is None

    @property
    def standard_name(self) -> str:
        """The name of the standard account (or of the standard parent), in the current language."""
        standard = self if self.parent_id is None else self.parent
        assert standard is not None
        english = (get_language() or "").startswith("en")
        return (standard.name_en if english else standard.name_zh) or standard.name_zh

    @property
    def display_name(self) -> str:
        """Decrypts a sub-account's name: only for pages that load through the access layer."""
        if self.is_standard:
            return self.standard_name
        return f"{self.standard_name} - {self.sub_name}"


class PeriodState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class AccountingPeriod(models.Model):
    """One month of one client's books (会计期间). Nothing is posted into a closed period."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="periods")
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    state = models.CharField(max_length=8, choices=PeriodState.choices, default=PeriodState.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Why it was reopened (may describe the client's affairs: encrypted).
    reopen_reason = EncryptedTextField(_("reason for reopening"))

    class Meta:
        ordering = ["year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["client", "year", "month"], name="one_period_per_client_month"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="period_month_valid"),
            models.CheckConstraint(condition=models.Q(state__in=PeriodState.values), name="period_state_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id, self.year)

    @property
    def is_closed(self) -> bool:
        return self.state == PeriodState.CLOSED

    @property
    def key(self) -> int:
        """Orders periods across years: 202403."""
        return self.year * 100 + self.month


class ArchiveCategory(models.TextChoices):
    """会计档案 categories of 会计档案管理办法 附表一 (retention is computed from category + fiscal year)."""

    SOURCE_VOUCHER = "source_voucher", _("Source document (原始凭证)")
    JOURNAL_VOUCHER = "journal_voucher", _("Journal voucher (记账凭证)")
    GENERAL_LEDGER = "general_ledger", _("General ledger (总账)")
    SUBSIDIARY_LEDGER = "subsidiary_ledger", _("Subsidiary ledger (明细账)")
    JOURNAL = "journal", _("Journal (日记账)")
    OTHER_BOOKS = "other_books", _("Other auxiliary books")
    FIXED_ASSET_CARD = "fixed_asset_card", _("Fixed asset card (固定资产卡片)")
    PERIODIC_REPORT = "periodic_report", _("Monthly, quarterly or half-year report")
    ANNUAL_REPORT = "annual_report", _("Annual financial report")
    BANK_RECONCILIATION = "bank_reconciliation", _("Bank reconciliation (银行存款余额调节表)")
    BANK_STATEMENT = "bank_statement", _("Bank statement (银行对账单)")
    TAX_RETURN = "tax_return", _("Tax return (纳税申报表)")
    HANDOVER_LIST = "handover_list", _("Archive handover list (会计档案移交清册)")
    OTHER = "other", _("Other accounting material")


class VoucherState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEWED = "reviewed", _("Reviewed")
    POSTED = "posted", _("Posted")


class VoucherKind(models.TextChoices):
    NORMAL = "normal", _("Normal")
    REVERSAL = "reversal", _("Red-ink reversal (红字冲销)")


class Voucher(models.Model):
    """A journal voucher (记账凭证). Posted vouchers are never changed: corrections reverse them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="vouchers")
    period = models.ForeignKey(AccountingPeriod, on_delete=models.PROTECT, related_name="vouchers")
    number = models.PositiveIntegerField(_("number"))
    date = models.DateField(_("date"))
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    archive_category = models.CharField(
        max_length=32, choices=ArchiveCategory.choices, default=ArchiveCategory.JOURNAL_VOUCHER
    )
    attachments_count = models.PositiveSmallIntegerField(_("attachments"), default=0)
    kind = models.CharField(max_length=16, choices=VoucherKind.choices, default=VoucherKind.NORMAL)
    state = models.CharField(max_length=16, choices=VoucherState.choices, default=VoucherState.DRAFT)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    # The debit total, kept encrypted so lists show it without decrypting every line.
    total = EncryptedDecimalField(_("total"))
    preparer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    poster = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["period__year", "period__month", "number"]
        constraints = [
            models.UniqueConstraint(fields=["client", "period", "number"], name="voucher_number_unique_in_period"),
            models.CheckConstraint(condition=models.Q(state__in=VoucherState.values), name="voucher_state_valid"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="voucher_number_positive"),
            # The reviewer is never the preparer (also enforced, with a message, in the service).
            models.CheckConstraint(
                condition=models.Q(reviewer__isnull=True) | ~models.Q(reviewer=models.F("preparer")),
                name="voucher_reviewer_not_preparer",
            ),
            models.CheckConstraint(
                condition=models.Q(state=VoucherState.DRAFT)
                | models.Q(state=VoucherState.REVIEWED, reviewer__isnull=False, reviewed_at__isnull=False)
                | models.Q(
                    state=VoucherState.POSTED,
                    reviewer__isnull=False,
                    poster__isnull=False,
                    posted_at__isnull=False,
                ),
                name="voucher_state_has_its_people",
            ),
        ]
        indexes = [models.Index(fields=["client", "state"])]

    def __str__(self) -> str:
        return f"voucher {self.pk}"

    def encryption_scope(self) -> KeyScope:
        # One key per client, fiscal year and archive category (retention destroys it alone).
        # Vouchers and their lines are 记账凭证 whatever else `archive_category` says.
        return KeyScope.for_client(self.client_id, self.fiscal_year, category=ArchiveCategory.JOURNAL_VOUCHER)

    @property
    def label(self) -> str:
        """记-0007 (2024-03)"""
        return f"记-{self.number:04d}"

    @property
    def is_posted(self) -> bool:
        return self.state == VoucherState.POSTED


class VoucherLine(models.Model):
    """One line of a voucher: account, 摘要 and an amount on exactly one side (never both)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    voucher = models.ForeignKey(Voucher, on_delete=models.CASCADE, related_name="lines")
    # Copied from the voucher: the key scope needs them without a join.
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    # Which column holds the amount: plain, so the database itself guarantees one side only.
    side = models.CharField(max_length=8, choices=Side.choices)
    summary = EncryptedTextField(_("summary (摘要)"))
    debit = EncryptedDecimalField(_("debit"))
    credit = EncryptedDecimalField(_("credit"))

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["voucher", "position"], name="voucher_line_position_unique"),
            models.CheckConstraint(
                condition=models.Q(side=chart.DEBIT, debit__isnull=False, credit__isnull=True)
                | models.Q(side=chart.CREDIT, credit__isnull=False, debit__isnull=True),
                name="voucher_line_one_side_only",
            ),
        ]
        indexes = [models.Index(fields=["client", "account"])]

    def __str__(self) -> str:
        return f"line {self.position} of {self.voucher_id}"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id, self.fiscal_year, category=ArchiveCategory.JOURNAL_VOUCHER)

    @property
    def amount(self) -> Decimal:
        value = self.debit if self.side == Side.DEBIT else self.credit
        return value if value is not None else ZERO


class AccountBalance(models.Model):
    """One account's opening, movements and closing in one period, maintained when vouchers post.

    Reports read these (O(accounts × periods)) instead of decrypting every line. Balances are
    signed debit-positive and cumulative since the first posting.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balances")
    period = models.ForeignKey(AccountingPeriod, on_delete=models.PROTECT, related_name="balances")
    fiscal_year = models.PositiveSmallIntegerField()
    period_key = models.PositiveIntegerField()  # year * 100 + month, for ordering without a join
    opening = EncryptedDecimalField(null=False, blank=False)
    debit = EncryptedDecimalField(null=False, blank=False)
    credit = EncryptedDecimalField(null=False, blank=False)
    closing = EncryptedDecimalField(null=False, blank=False)

    class Meta:
        ordering = ["period_key"]
        constraints = [
            models.UniqueConstraint(fields=["client", "account", "period"], name="one_balance_per_account_period"),
        ]
        indexes = [models.Index(fields=["client", "period_key"])]

    def __str__(self) -> str:
        return f"balance of {self.account_id} in {self.period_key}"

    def encryption_scope(self) -> KeyScope:
        # Balances are the ledgers' figures (总账/明细账): they share the general ledger's key.
        return KeyScope.for_client(self.client_id, self.fiscal_year, category=ArchiveCategory.GENERAL_LEDGER)


class DocumentStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("document status", "Received")
    BOOKED = "booked", pgettext_lazy("document status", "Booked")
    REJECTED = "rejected", pgettext_lazy("document status", "Rejected")


class DocumentOrigin(models.TextChoices):
    FIRM = "firm", _("Uploaded by the firm")
    CLIENT = "client", _("Uploaded by the client")


class DocumentRequestStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("document request", "Open")
    FULFILLED = "fulfilled", pgettext_lazy("document request", "Fulfilled")
    CANCELLED = "cancelled", pgettext_lazy("document request", "Cancelled")


class DocumentRequest(models.Model):
    """The firm asks the client for a document ("please upload the October bank statement").

    What is asked for describes the client's affairs: encrypted. Uploading against an open request
    fulfils it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="document_requests")
    description = EncryptedTextField(_("what is needed"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=DocumentRequestStatus.choices, default=DocumentRequestStatus.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DocumentRequestStatus.values), name="document_request_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=DocumentRequestStatus.OPEN, closed_at__isnull=True)
                | (~models.Q(status=DocumentRequestStatus.OPEN) & models.Q(closed_at__isnull=False)),
                name="document_request_closed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return f"document request {self.pk} ({self.status})"

    def encryption_scope(self) -> KeyScope:
        return KeyScope.for_client(self.client_id)

    @property
    def is_open(self) -> bool:
        return self.status == DocumentRequestStatus.OPEN


class Document(models.Model):
    """A source document or other accounting material (原始凭证 etc.), linked to a voucher or not.

    The file itself is stored encrypted by `confidentiality.files` and referenced by `stored_file_id`;
    metadata that may describe the client's affairs (title, original file name) is encrypted here.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="documents")
    voucher = models.ForeignKey(Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    archive_category = models.CharField(
        _("archive category"), max_length=32, choices=ArchiveCategory.choices, default=ArchiveCategory.SOURCE_VOUCHER
    )
    title = EncryptedTextField(_("title"))
    original_name = EncryptedTextField(_("original file name"))
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # The encrypted file in confidentiality.files (null until the file store is merged / for paper originals).
    stored_file_id = models.UUIDField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Who brought it in: the client's own uploads are listed in the portal; the firm's only once shared.
    origin = models.CharField(max_length=8, choices=DocumentOrigin.choices, default=DocumentOrigin.FIRM)
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.RECEIVED)
    # Why a document was rejected (shown to the client; may describe its affairs: encrypted).
    status_reason = EncryptedTextField(_("reason"))
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request = models.ForeignKey(
        DocumentRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [
            models.Index(fields=["client", "fiscal_year", "archive_category"]),
            models.Index(fields=["client", "origin", "uploaded_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=DocumentStatus.values), name="document_status_valid"),
            models.CheckConstraint(condition=models.Q(origin__in=DocumentOrigin.values), name="document_origin_valid"),
            models.CheckConstraint(
                condition=models.Q(shared_at__isnull=True) | models.Q(shared_by__isnull=False),
                name="document_shared_has_sharer",
            ),
        ]

    def __str__(self) -> str:
        return f"document {self.pk}"

    def encryption_scope(self) -> KeyScope:
        # The category is part of the key: a document's category must not change after saving.
        return KeyScope.for_client(self.client_id, self.fiscal_year, category=self.archive_category)

    @property
    def visible_in_portal(self) -> bool:
        """The client sees its own uploads, what the firm shared with it, and the source documents of
        its posted vouchers (part of its books, shown with the voucher). The firm's other working
        papers are not the client's until shared."""
        if self.origin == DocumentOrigin.CLIENT or self.shared_at is not None:
            return True
        return (
            self.voucher_id is not None
            and Voucher.objects.filter(pk=self.voucher_id, state=VoucherState.POSTED).exists()
        )


# --- Employees' personal data held for the engagement (retention2 slice) ---------------------------


class Employee(models.Model):
    """A client's employee, as payroll needs them: personal information held only for the engagement
    (PIPL Art. 21). Encrypted under a key of its own per engagement (`client:<id>#emp-<engagement>`),
    so ending the engagement can crypto-shred exactly this data, in every copy, backups included.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="employees")
    engagement = models.ForeignKey(Engagement, on_delete=models.PROTECT, related_name="employees")
    name = EncryptedTextField(_("employee name"))
    id_number = EncryptedTextField(_("ID number"))
    bank_account = EncryptedTextField(_("bank account"))
    created_at = models.DateTimeField(default=timezone.now)

    SECRET_FIELDS = ("id_number", "bank_account")

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("employee")

    def __str__(self) -> str:
        return f"employee {self.pk}"

    def encryption_scope(self) -> KeyScope:
        return employee_scope(self.client_id, self.engagement_id)


def employee_scope(client_id: uuid.UUID | str, engagement_id: uuid.UUID | str) -> KeyScope:
    """The key of one engagement's employee data (no fiscal year: it is not an accounting record)."""
    # 12 hex digits of the engagement keep the owner within the audit's 64-character client reference.
    return KeyScope(owner=f"client:{client_id}#emp-{uuid.UUID(str(engagement_id)).hex[:12]}", year=None)
