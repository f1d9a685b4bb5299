"""Where archived records live: each source says how its rows group into volumes and how to remove them.

A volume is one client's records of one archive category and fiscal year, sharing one data key.
A model joins the archive by appearing in `SOURCES` with a `ModelSource` (rows that carry client,
fiscal year and category) or a custom source. Retention never reads record plaintext: it counts
rows, destroys their key, and deletes them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.apps import apps
from django.db import models
from django.db.models import Count

from confidentiality.keyscope import KeyScope


@dataclass(frozen=True)
class Volume:
    source: str
    client_id: uuid.UUID
    category: str
    fiscal_year: int
    scope: KeyScope
    record_count: int
    scrapped_on: dt.date | None = None


class ArchiveSource(Protocol):
    name: str

    def volumes(self, *, client_id: uuid.UUID | None = None) -> Iterator[Volume]: ...

    def rows(self, scope: KeyScope) -> models.QuerySet[Any]:
        """The rows of one volume (to delete, in batches)."""
        ...

    def related(self) -> list[tuple[str, str]]:
        """(model label, foreign key field) of dependent rows deleted before the volume's rows."""
        ...

    def unlink(self) -> list[tuple[str, str]]:
        """(model label, nullable foreign key) of rows elsewhere pointing at these rows: set to null."""
        ...

    def files(self, pks: list[Any]) -> Iterable[str]:
        """Storage names of plain storage files of these rows (deleted with them). Encrypted files
        of `confidentiality.files` are found by their scope and deleted by the run."""
        ...


@dataclass
class ModelSource:
    """Rows of `model` carrying a client, a fiscal year and a category (a field, or one fixed value)."""

    name: str
    model_label: str
    category: str | None = None
    category_field: str | None = None
    year_field: str = "fiscal_year"
    client_field: str = "client_id"
    dependents: list[tuple[str, str]] = field(default_factory=list)
    # (model label, nullable foreign key) of rows elsewhere that point at these rows: unlinked first.
    nullify: list[tuple[str, str]] = field(default_factory=list)
    file_fields: list[str] = field(default_factory=list)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    def _scope(self, client_id: uuid.UUID, year: int, category: str) -> KeyScope:
        return KeyScope.for_client(client_id, year, category=category)

    def volumes(self, *, client_id: uuid.UUID | None = None) -> Iterator[Volume]:
        qs = self.model._default_manager.all()
        if client_id is not None:
            qs = qs.filter(**{self.client_field: client_id})
        keys = [self.client_field, self.year_field] + ([self.category_field] if self.category_field else [])
        for row in qs.values(*keys).annotate(n=Count("pk")).order_by(*keys):
            category = row[self.category_field] if self.category_field else self.category
            assert category is not None
            year = int(row[self.year_field])
            cid = uuid.UUID(str(row[self.client_field]))
            yield Volume(self.name, cid, category, year, self._scope(cid, year, category), row["n"])

    def rows(self, scope: KeyScope) -> models.QuerySet[Any]:
        client_id, category = scope.client_id, scope.category
        qs = self.model._default_manager.filter(**{self.client_field: client_id, self.year_field: scope.year})
        if self.category_field:
            qs = qs.filter(**{self.category_field: category})
        elif category != self.category:
            return qs.none()
        return qs

    def related(self) -> list[tuple[str, str]]:
        return list(self.dependents)

    def unlink(self) -> list[tuple[str, str]]:
        return list(self.nullify)

    def files(self, pks: list[Any]) -> Iterable[str]:
        if not self.file_fields:
            return
        for row in self.model._default_manager.filter(pk__in=pks).only("pk", *self.file_fields):
            for name in self.file_fields:
                value = getattr(row, name, None)
                if value:
                    yield str(getattr(value, "name", value))


class FixedAssetSource:
    """Fixed-asset cards: one key per card; the volume's year is the year the asset was scrapped."""

    name = "retention.fixedasset"

    def volumes(self, *, client_id: uuid.UUID | None = None) -> Iterator[Volume]:
        from retention.models import FixedAsset

        qs = FixedAsset.objects.all()
        if client_id is not None:
            qs = qs.filter(client_id=client_id)
        for asset in qs.only("id", "client_id", "acquired_on", "scrapped_on"):
            scope = KeyScope.for_client(asset.client_id, asset.acquired_on.year, category=f"fa-{asset.pk.hex}")
            year = asset.scrapped_on.year if asset.scrapped_on else asset.acquired_on.year
            yield Volume(self.name, asset.client_id, "fixed_asset_card", year, scope, 1, asset.scrapped_on)

    def rows(self, scope: KeyScope) -> models.QuerySet[Any]:
        from retention.models import FixedAsset

        category = scope.category or ""
        if not category.startswith("fa-") or scope.client_id is None:
            return FixedAsset.objects.none()
        return FixedAsset.objects.filter(pk=uuid.UUID(category[3:]), client_id=scope.client_id)

    def related(self) -> list[tuple[str, str]]:
        return []

    def unlink(self) -> list[tuple[str, str]]:
        return []

    def files(self, pks: list[Any]) -> Iterable[str]:
        return []


def _registered() -> list[ArchiveSource]:
    sources: list[ArchiveSource] = [FixedAssetSource()]
    sources.extend(_books_sources())
    return sources


def _books_sources() -> list[ArchiveSource]:
    """The books' year-bound models, once the books slice provides them (see docs/retention.md)."""
    found: list[ArchiveSource] = []
    for spec in BOOKS_SOURCES:
        try:
            apps.get_model(spec.model_label)
        except LookupError:
            continue
        found.append(spec)
    return found


# The books' records. Vouchers and their lines are 记账凭证 (one key per client-year); balances
# are the ledgers' cached figures (总账/明细账 key); documents carry their own category.
BOOKS_SOURCES: list[ModelSource] = [
    ModelSource(
        name="clients.voucher",
        model_label="clients.Voucher",
        category="journal_voucher",
        dependents=[("clients.VoucherLine", "voucher")],
        nullify=[("clients.Document", "voucher"), ("clients.Voucher", "reverses")],
    ),
    ModelSource(
        name="clients.accountbalance",
        model_label="clients.AccountBalance",
        category="general_ledger",
    ),
    ModelSource(
        name="clients.document",
        model_label="clients.Document",
        category_field="archive_category",
    ),
]

# Extra sources added at run time (tests, later slices).
EXTRA_SOURCES: list[ArchiveSource] = []


def all_sources() -> list[ArchiveSource]:
    return _registered() + EXTRA_SOURCES


def source_named(name: str) -> ArchiveSource:
    for source in all_sources():
        if source.name == name:
            return source
    raise LookupError(name)


# Checks that say a volume must be kept because the books still have an open matter in it
# (未结清的债权债务, 未了事项). Each returns reason codes, never plaintext.
OpenMatterCheck = Callable[..., list[str]]

# The categories that carry the debts: the year's journal vouchers and their source documents.
DEBT_CATEGORIES = ("journal_voucher", "source_voucher")


def open_receivables_and_payables(volume: Volume, *, today: dt.date | None = None) -> list[str]:
    """未结清的债权债务: a client-year's vouchers (and their source documents) that touch a
    receivable or payable account (应收/预付/其他应收, 应付/预收/其他应付, or one counterparty's
    sub-account of them) whose debts of that year are not yet proven settled.

    The debts of year Y on an account are settled once its balance was zero at the end of Y or at
    the end of any later period up to `today`: a zero balance nets out everything before it. So the
    volume is held while every period-end balance of that account from the end of Y until now is
    non-zero (or unknown: no balance row, or a closing that no longer decrypts). Later business on
    the same counterparty never holds an earlier year whose debts were cleared in between.
    """
    if volume.category not in DEBT_CATEGORIES:
        return []
    try:
        line_model = apps.get_model("clients.VoucherLine")
        balance_model = apps.get_model("clients.AccountBalance")
    except LookupError:
        return []
    accounts = set(
        line_model._default_manager.filter(client_id=volume.client_id, fiscal_year=volume.fiscal_year)
        .filter(
            models.Q(account__code__regex=RECEIVABLE_PAYABLE_REGEX)
            | models.Q(account__parent__code__regex=RECEIVABLE_PAYABLE_REGEX)
        )
        .values_list("account_id", flat=True)
        .distinct()
    )
    if not accounts:
        return []
    year_end = volume.fiscal_year * 100 + 12
    now_key = (today.year * 100 + today.month) if today is not None else 999999
    rows = balance_model._default_manager.filter(
        client_id=volume.client_id, account_id__in=accounts, period_key__lte=now_key
    ).order_by("account_id", "period_key")
    by_account: dict[Any, list[Any]] = {}
    for row in rows:
        by_account.setdefault(row.account_id, []).append(row)
    reasons = []
    for account_id in sorted(accounts, key=str):
        history = by_account.get(account_id, [])
        # The balance at the end of the year is the last row up to then; later rows follow it.
        at_year_end = [row for row in history if row.period_key <= year_end][-1:]
        later = [row for row in history if row.period_key > year_end]
        if not any(_is_zero(row) for row in at_year_end + later):
            reasons.append(f"open_balance:{account_id}")
    return reasons


def _is_zero(balance: Any) -> bool:
    # Its closing is encrypted under its year's ledger key; a destroyed or missing key means we
    # cannot prove it settled, so the records stay held.
    try:
        return balance.closing is not None and balance.closing == 0
    except Exception:  # noqa: BLE001 - any decryption failure keeps the records
        return False


def flagged_open_matters(volume: Volume, *, today: dt.date | None = None) -> list[str]:
    """未了事项 flagged by staff (`retention.OpenMatter`) and not yet closed: a flag on a voucher
    holds that year's journal vouchers and source documents, a flag on a year holds all of it."""
    from retention.models import OpenMatter

    reasons = []
    for matter in OpenMatter.objects.filter(
        client_id=volume.client_id, fiscal_year=volume.fiscal_year, closed_at__isnull=True
    ).only("id", "voucher_id"):
        categories = matter.categories()
        if categories is None or volume.category in categories:
            reasons.append(f"open_matter:{matter.pk}")
    return reasons


# 应收账款, 预付账款, 其他应收款, 应付账款, 预收账款, 其他应付款 (小企业会计准则 codes).
RECEIVABLE_PAYABLE_CODES = ("1122", "1123", "1221", "2202", "2203", "2241")
RECEIVABLE_PAYABLE_REGEX = r"^(1122|1123|1221|2202|2203|2241)"

OPEN_MATTER_CHECKS: list[OpenMatterCheck] = [open_receivables_and_payables, flagged_open_matters]


def latest_year(client_id: uuid.UUID) -> int | None:
    """The latest fiscal year with records (used by the handover list)."""
    years = [v.fiscal_year for s in all_sources() for v in s.volumes(client_id=client_id)]
    return max(years) if years else None
