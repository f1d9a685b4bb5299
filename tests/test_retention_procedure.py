"""Appraisal, holds, sign-off rules and supervised crypto-shredding, run in-process."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from audit.models import AuditEvent
from clients.models import AccountBalance, Document, Voucher, VoucherLine
from confidentiality import crypto
from confidentiality.models import DataKey, DataKeyState
from retention import registers, services
from retention.models import (
    AppraisalItem,
    Decision,
    DestructionList,
    Extension,
    FixedAsset,
    ListState,
    Register,
    RegisterKind,
    RetentionAction,
    RetentionRule,
)
from retention.services import RetentionRefused
from tests import retention_helpers as books
from tests.retention_cast import Signers, assign_supervisors, destroy_all_and_prepare, make_signers, sign_all

TODAY = dt.date(2026, 3, 1)
SECRET = "机密摘要-甲方付款"


@pytest.fixture
def people(db: None) -> Signers:
    return make_signers()


def _items(batch) -> dict[tuple[str, int], AppraisalItem]:  # type: ignore[no-untyped-def]
    return {(i.category, i.fiscal_year): i for i in batch.items.all()}


def test_daily_job_gathers_only_volumes_past_retention(people: Signers) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995)  # 30 years: through 2025-12-31 -> expired on 2026-03-01
    books.make_voucher(client, 1996)  # through 2026-12-31 -> not yet
    books.make_document(client, 2015, "bank_statement")  # 10 years: through 2025-12-31 -> expired
    books.make_document(client, 2016, "tax_return")  # through 2026-12-31
    books.make_document(client, 1980, "annual_report")  # permanent

    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    assert set(_items(batch)) == {("journal_voucher", 1995), ("bank_statement", 2015)}
    # The same volumes are not gathered twice while their appraisal is open.
    assert services.open_appraisal(today=TODAY) is None
    assert AuditEvent.objects.filter(action=RetentionAction.APPRAISAL_OPENED).count() == 1


def test_a_longer_firm_period_keeps_records_and_a_shorter_one_is_refused(people: Signers) -> None:
    client = books.make_client()
    books.make_document(client, 2015, "bank_statement")
    services.set_retention_period(category="bank_statement", years=15, actor=people.preparer)
    assert services.open_appraisal(today=TODAY) is None
    with pytest.raises(RetentionRefused):
        services.set_retention_period(category="bank_statement", years=5, actor=people.preparer)
    assert RetentionRule.objects.get(category="bank_statement").years == 15
    event = AuditEvent.objects.get(action=RetentionAction.PERIOD_CHANGED)
    assert event.details == {"category": "bank_statement", "before": 10, "after": 15}


def test_manual_hold_sets_the_volume_apart_and_it_cannot_be_destroyed(people: Signers) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995)
    hold = services.place_hold(
        client=client, kind="tax_audit", reason="税务稽查 2026-01", actor=people.preparer, fiscal_year=1995
    )
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    item = _items(batch)[("journal_voucher", 1995)]
    assert item.decision == Decision.HELD
    assert item.hold_reasons == [f"hold:tax_audit:{hold.pk}"]
    with pytest.raises(RetentionRefused):
        services.appraise_item(item, decision=Decision.DESTROY, actor=people.preparer)
    # Nothing to destroy: the opinion is issued with the held volume listed apart, and no list.
    assert services.issue_appraisal_opinion(batch, actor=people.preparer) is None
    assert Register.objects.filter(kind=RegisterKind.APPRAISAL_OPINION).count() == 2
    assert "税务稽查" not in str(list(AuditEvent.objects.values_list("details", flat=True)))


def test_open_receivable_of_a_counterparty_holds_that_years_vouchers(people: Signers) -> None:
    client = books.make_client()
    receivable = books.standard("1122", "应收账款", "debit")
    customer = books.sub_account(client, receivable, "112201", "乙公司")
    books.make_voucher(client, 1995, debit_account=customer)
    books.make_balance(client, customer, 2025, Decimal("5000.00"))  # still owed today
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    item = _items(batch)[("journal_voucher", 1995)]
    assert item.decision == Decision.HELD
    assert item.hold_reasons == [f"open_balance:{customer.pk}"]


def test_settled_receivable_does_not_hold(people: Signers) -> None:
    client = books.make_client()
    receivable = books.standard("1122", "应收账款", "debit")
    customer = books.sub_account(client, receivable, "112201", "乙公司")
    books.make_voucher(client, 1995, debit_account=customer)
    books.make_balance(client, customer, 2025, Decimal("0.00"))
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    assert _items(batch)[("journal_voucher", 1995)].decision == Decision.PENDING


def test_extension_gives_a_new_period_the_daily_job_respects(people: Signers) -> None:
    client = books.make_client()
    books.make_document(client, 2015, "bank_statement")
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    item = batch.items.get()
    with pytest.raises(RetentionRefused):
        services.appraise_item(item, decision=Decision.EXTEND, actor=people.preparer, new_period_years=8)
    services.appraise_item(item, decision=Decision.EXTEND, actor=people.preparer, new_period_years=15)
    assert services.issue_appraisal_opinion(batch, actor=people.preparer) is None
    assert Extension.objects.get().keep_until == dt.date(2030, 12, 31)
    assert services.open_appraisal(today=TODAY) is None
    assert services.open_appraisal(today=dt.date(2031, 1, 1)) is not None


def test_fixed_asset_card_expires_five_years_after_scrapping(people: Signers) -> None:
    client = books.make_client()
    asset = services.record_fixed_asset(
        client=client, name="数控机床", acquired_on=dt.date(2001, 5, 1), actor=people.preparer
    )
    assert services.open_appraisal(today=dt.date(2060, 1, 1)) is None  # in use: never expires
    services.scrap_fixed_asset(asset, scrapped_on=dt.date(2020, 3, 15), actor=people.preparer)
    assert services.open_appraisal(today=dt.date(2025, 12, 31)) is None
    batch = services.open_appraisal(today=dt.date(2026, 1, 1))
    assert batch is not None
    item = batch.items.get()
    assert (item.category, item.fiscal_year, item.retention_end) == ("fixed_asset_card", 2020, dt.date(2025, 12, 31))


# --- Sign-off -------------------------------------------------------------------------------------


@pytest.fixture
def dlist(people: Signers) -> DestructionList:
    client = books.make_client()
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    return destroy_all_and_prepare(batch, people)


def test_the_preparer_may_not_sign(dlist: DestructionList, people: Signers) -> None:
    with pytest.raises(RetentionRefused, match="编制人"):
        services.sign_destruction_list(dlist, slot_code="archives_head", actor=people.preparer)


def test_the_same_person_may_not_sign_twice(dlist: DestructionList, people: Signers) -> None:
    services.sign_destruction_list(dlist, slot_code="archives_head", actor=people.archives_head)
    with pytest.raises(RetentionRefused):
        services.sign_destruction_list(dlist, slot_code="archives_handler", actor=people.archives_head)
    with pytest.raises(RetentionRefused):
        services.sign_destruction_list(dlist, slot_code="archives_head", actor=people.archives_handler)


def test_a_signer_without_the_slots_role_is_refused(dlist: DestructionList, people: Signers) -> None:
    with pytest.raises(RetentionRefused, match="角色"):
        services.sign_destruction_list(dlist, slot_code="firm_head", actor=people.accounting_head)
    with pytest.raises(RetentionRefused, match="角色"):
        services.sign_destruction_list(dlist, slot_code="it_head", actor=people.archives_head)


def test_a_missing_signature_or_supervisor_keeps_the_list_unapproved(dlist: DestructionList, people: Signers) -> None:
    assign_supervisors(dlist, people)
    for slot in ["firm_head", "archives_head", "accounting_head", "archives_handler", "accounting_handler"]:
        services.sign_destruction_list(dlist, slot_code=slot, actor=people.for_slot(slot))
    dlist.refresh_from_db()
    assert dlist.state == ListState.SIGNING  # IT has not signed (electronic records)
    assert [s.code for s in services.missing_signatures(dlist)] == ["it_head"]
    with pytest.raises(RetentionRefused):  # nothing runs before every signature
        services.confirm_destruction(dlist, actor=people.archives_head)
    services.sign_destruction_list(dlist, slot_code="it_head", actor=people.it_head)
    dlist.refresh_from_db()
    assert dlist.state == ListState.APPROVED


def test_supervisors_are_distinct_and_never_the_preparer(dlist: DestructionList, people: Signers) -> None:
    with pytest.raises(RetentionRefused):
        services.assign_supervisor(
            dlist, slot_code="supervise_archives", supervisor=people.preparer, actor=people.preparer
        )
    with pytest.raises(RetentionRefused):
        services.assign_supervisor(
            dlist, slot_code="supervise_it", supervisor=people.archives_head, actor=people.preparer
        )
    services.assign_supervisor(
        dlist, slot_code="supervise_archives", supervisor=people.archives_head, actor=people.preparer
    )
    with pytest.raises(RetentionRefused):
        services.assign_supervisor(
            dlist, slot_code="supervise_accounting", supervisor=people.archives_head, actor=people.preparer
        )


def test_paper_lists_need_no_it_signature(people: Signers) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    for item in batch.items.all():
        services.appraise_item(item, decision=Decision.DESTROY, actor=people.preparer)
    dlist = services.issue_appraisal_opinion(batch, actor=people.preparer, electronic=False)
    assert dlist is not None
    assert "it_head" not in [s.code for s in services.missing_signatures(dlist)]
    with pytest.raises(RetentionRefused):
        services.sign_destruction_list(dlist, slot_code="it_head", actor=people.it_head)


# --- Execution ------------------------------------------------------------------------------------


def _all_bytes_in_database() -> bytes:
    """Every text and binary value of every table, as bytes (to look for plaintext)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        found.append(bytes(value))
                    elif value is not None:
                        found.append(str(value).encode())
    return b"\n".join(found)


def test_execution_shreds_keys_deletes_rows_and_leaves_other_years_readable(
    people: Signers, django_capture_on_commit_callbacks, tmp_path, settings
) -> None:  # type: ignore[no-untyped-def]
    from backups import keystore_backup
    from tests.backup_support import ensure_backup_keys

    ensure_backup_keys()
    settings.FIRMPORTAL_KEYSTORE_BACKUP_TARGET = {
        "BACKEND": "backups.targets.LocalDirectoryTarget",
        "OPTIONS": {"path": str(tmp_path / "keystore-backups")},
    }
    client = books.make_client()
    old = books.make_voucher(client, 1995, lines=4, summary=SECRET)
    old_line_ciphertext = bytes(VoucherLine.objects.filter(voucher=old).first().__dict__["summary"])  # type: ignore[union-attr]
    document = books.make_document(client, 1995, "source_voucher", title="发票 1995")
    import io

    from confidentiality.files import _path, store_encrypted

    stored = store_encrypted(
        document.encryption_scope(), io.BytesIO(SECRET.encode() * 100), owner_label="clients.document"
    )
    document.stored_file_id = stored.pk
    document.save(update_fields=["stored_file_id"])
    stored_path = _path(stored)
    assert stored_path.exists()
    kept = books.make_voucher(client, 2020, summary="仍在保管期内")
    books.make_balance(client, books.standard("1001", "库存现金", "debit"), 1995, Decimal("1.00"))
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    assert {(i.category, i.fiscal_year) for i in batch.items.all()} == {
        ("journal_voucher", 1995),
        ("source_voucher", 1995),
        ("general_ledger", 1995),
    }
    dlist = destroy_all_and_prepare(batch, people)
    assign_supervisors(dlist, people)
    sign_all(dlist, people)

    keystore_backup.backup_keystore(actor=None)  # a keystore backup that still holds the 1995 keys
    key_ids = [str(k.pk) for k in DataKey.objects.filter(owner__endswith="#journal_voucher", year=1995)]
    assert key_ids and all(crypto.provider().get(k, context=DataKey.objects.get(pk=k).wrap_context()) for k in key_ids)
    with django_capture_on_commit_callbacks(execute=True):  # the keystore deletes on commit
        assert services.execute_destruction(dlist.pk) is True
    dlist.refresh_from_db()
    assert dlist.state == ListState.EXECUTED

    # Rows gone; the keys of those volumes destroyed and holding no material.
    assert not Voucher.objects.filter(fiscal_year=1995).exists()
    assert not VoucherLine.objects.filter(fiscal_year=1995).exists()
    assert not Document.objects.filter(fiscal_year=1995).exists()
    assert not AccountBalance.objects.filter(fiscal_year=1995).exists()
    from confidentiality.models import StoredFile

    assert not StoredFile.objects.filter(pk=stored.pk).exists()
    assert not stored_path.exists()
    for item in dlist.items():
        keys = DataKey.objects.filter(owner=item.scope_owner, year=item.scope_year)
        assert keys.exists()
        assert all(k.state == DataKeyState.DESTROYED for k in keys)
        # No material left in the keystore (outside the database and its backups).
        assert all(crypto.provider().get(str(k.pk), context=k.wrap_context()) is None for k in keys)
    # The keystore's own backups were refreshed at once: none older than the destruction remains.
    generations = {generation for _taken, generation, _name in keystore_backup.existing()}
    assert generations == {keystore_backup._keystore().generation()}
    # A copy of a destroyed row's ciphertext (as an old backup would hold) no longer decrypts.
    crypto.reset_caches()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_bytes(b"any", old_line_ciphertext)
    # Other years still decrypt.
    kept_line = VoucherLine.objects.filter(voucher=kept).first()
    assert kept_line is not None and kept_line.summary == "仍在保管期内 1"
    # No plaintext of the destroyed records anywhere in the database.
    everything = _all_bytes_in_database()
    assert SECRET.encode() not in everything
    assert "发票 1995".encode() not in everything
    # The audit trail says that it happened, never what was destroyed.
    assert AuditEvent.objects.filter(action=RetentionAction.VOLUME_KEY_DESTROYED).count() == 3
    assert AuditEvent.objects.filter(action=RetentionAction.EXECUTED).count() == 1

    # Idempotent: running again changes nothing and issues no second certificate.
    assert services.execute_destruction(dlist.pk) is False
    assert Register.objects.filter(kind=RegisterKind.DESTRUCTION_CERTIFICATE, subject_id=dlist.pk).count() == 2
    assert AuditEvent.objects.filter(action=RetentionAction.VOLUME_KEY_DESTROYED).count() == 3

    # Supervisors confirm afterwards.
    for supervisor in (people.archives_head, people.accounting_head, people.it_supervisor):
        services.confirm_destruction(dlist, actor=supervisor)
    dlist.refresh_from_db()
    assert dlist.state == ListState.CONFIRMED


def test_a_hold_placed_after_signing_keeps_that_volume(people: Signers) -> None:
    client = books.make_client()
    books.make_voucher(client, 1995, summary=SECRET)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    dlist = destroy_all_and_prepare(batch, people)
    assign_supervisors(dlist, people)
    sign_all(dlist, people)
    services.place_hold(client=client, kind="litigation", reason="诉讼", actor=people.preparer)
    services.execute_destruction(dlist.pk)
    assert Voucher.objects.filter(fiscal_year=1995).count() == 1
    line = VoucherLine.objects.filter(fiscal_year=1995).first()
    assert line is not None and line.summary == f"{SECRET} 1"
    assert AuditEvent.objects.filter(action=RetentionAction.VOLUME_SKIPPED).count() == 1


def test_registers_are_encrypted_readable_pdf_and_permanent(people: Signers) -> None:
    import subprocess

    client = books.make_client("上海登记簿测试公司")
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    dlist = destroy_all_and_prepare(batch, people)
    assign_supervisors(dlist, people)
    sign_all(dlist, people)
    services.execute_destruction(dlist.pk)
    register = Register.objects.get(kind=RegisterKind.DESTRUCTION_LIST, fmt="pdf")
    assert b"%PDF" not in bytes(register.content)  # stored encrypted
    pdf = registers.read_content(register)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    for field in ["名称", "卷号", "册数", "起止年度", "档案编号", "应保管期限", "已保管期限", "销毁时间"]:
        assert field in text.replace(" ", "")
    assert "上海登记簿测试公司" in text.replace(" ", "").replace("\n", "")
    with pytest.raises(PermissionError):
        register.delete()
    with pytest.raises(PermissionError):
        Register.objects.all().delete()
    assert FixedAsset.objects.count() == 0


def test_run_retention_command_opens_an_appraisal(people: Signers) -> None:
    from io import StringIO

    from django.core.management import call_command

    client = books.make_client()
    books.make_voucher(client, 1995)
    out = StringIO()
    call_command("run_retention", "--today", "2026-03-01", stdout=out)
    assert "Opened appraisal" in out.getvalue()
    out = StringIO()
    call_command("run_retention", "--today", "2026-03-01", stdout=out)
    assert "No records" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_the_database_refuses_to_delete_a_register(people: Signers) -> None:
    from django.db import DatabaseError, transaction

    client = books.make_client()
    books.make_voucher(client, 1995)
    batch = services.open_appraisal(today=TODAY)
    assert batch is not None
    destroy_all_and_prepare(batch, people)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM retention_register")
