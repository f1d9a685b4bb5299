"""The people of a destruction: preparer, the five (six) signers and three supervisors."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import StaffRole, User
from retention import services
from retention.models import AppraisalBatch, Decision, DestructionList
from tests import cast


@dataclass
class Signers:
    preparer: User
    firm_head: User
    archives_head: User
    archives_handler: User
    accounting_head: User
    accounting_handler: User
    it_head: User
    it_supervisor: User

    def for_slot(self, code: str) -> User:
        return {
            "firm_head": self.firm_head,
            "archives_head": self.archives_head,
            "archives_handler": self.archives_handler,
            "accounting_head": self.accounting_head,
            "accounting_handler": self.accounting_handler,
            "it_head": self.it_head,
        }[code]


def make_signers() -> Signers:
    from retention.defaults import seed_defaults
    from retention.models import RetentionRule, SignOffSlot

    seed_defaults(RetentionRule, SignOffSlot)  # a transactional test's flush empties them
    return Signers(
        preparer=cast.make_staff("archivist_ann", StaffRole.ARCHIVIST),
        firm_head=cast.make_staff("head_hu", StaffRole.FIRM_HEAD),
        archives_head=cast.make_staff("archivist_amy", StaffRole.ARCHIVIST),
        archives_handler=cast.make_staff("archivist_abe", StaffRole.ARCHIVIST),
        accounting_head=cast.make_staff("manager_ma", StaffRole.MANAGER),
        accounting_handler=cast.make_staff("manager_mo", StaffRole.MANAGER),
        it_head=cast.make_staff("it_ivy", StaffRole.IT_ADMIN),
        it_supervisor=cast.make_staff("it_ian", StaffRole.IT_ADMIN),
    )


SIGN_SLOTS = ["firm_head", "archives_head", "accounting_head", "archives_handler", "accounting_handler", "it_head"]


def destroy_all_and_prepare(batch: AppraisalBatch, people: Signers) -> DestructionList:
    for item in batch.items.exclude(decision=Decision.HELD):
        services.appraise_item(item, decision=Decision.DESTROY, actor=people.preparer)
    dlist = services.issue_appraisal_opinion(batch, actor=people.preparer)
    assert dlist is not None
    return dlist


def assign_supervisors(dlist: DestructionList, people: Signers) -> None:
    services.assign_supervisor(
        dlist, slot_code="supervise_archives", supervisor=people.archives_head, actor=people.preparer
    )
    services.assign_supervisor(
        dlist, slot_code="supervise_accounting", supervisor=people.accounting_head, actor=people.preparer
    )
    services.assign_supervisor(dlist, slot_code="supervise_it", supervisor=people.it_supervisor, actor=people.preparer)


def sign_all(dlist: DestructionList, people: Signers) -> None:
    for slot in SIGN_SLOTS:
        services.sign_destruction_list(dlist, slot_code=slot, actor=people.for_slot(slot))
