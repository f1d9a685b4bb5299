"""Rotating a client's keys reaches every scope of that client, archive categories included."""

from __future__ import annotations

import uuid

import pytest

from confidentiality import crypto, rotation
from confidentiality.keyscope import KeyScope


@pytest.mark.django_db
def test_client_rotation_covers_year_and_category_scopes_of_that_client_only() -> None:
    client_id, other_id = uuid.uuid4(), uuid.uuid4()
    scopes = [
        KeyScope.for_client(client_id),
        KeyScope.for_client(client_id, 2024),
        KeyScope.for_client(client_id, 2024, category="journal_voucher"),
        KeyScope.for_client(client_id, 2015, category="bank_statement"),
    ]
    for scope in [*scopes, KeyScope.for_client(other_id, 2024, category="journal_voucher")]:
        crypto.active_key_id(scope)
    jobs = rotation.start_client_rotation(client_id, actor=None)
    rotated = {(job.owner, job.year) for job in jobs}
    assert rotated == {(scope.owner, scope.year) for scope in scopes}
