"""The access-and-copy package is built by a real Celery worker process, reporting progress that the
portal's polling fragment shows, and ends as an encrypted, downloadable zip with every original file."""

from __future__ import annotations

import io
import os
import re
import zipfile

import pytest
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEvent
from datarights import services
from datarights.models import DataRightsAction, ExportPackage, PackageState, RequestState
from tests import cast
from tests.datarights_cast import access_request, add_document, build_books, package_zip
from tests.workers import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_package_task_runs_on_a_real_worker_and_reports_progress() -> None:
    books = build_books()
    # Enough original files (incompressible, 12 × 768 KiB) that the build has a middle to watch.
    bodies = {}
    for number in range(12):
        body = os.urandom(768 * 1024)
        bodies[f"files/{add_document(books.world, body, name=f'scan-{number:02d}.pdf').pk}/scan-{number:02d}.pdf"] = (
            body
        )
    data_request = access_request(books)
    with transaction.atomic():
        services.fulfil_request(data_request, actor=books.officer)  # queues the task after commit
    assert ExportPackage.objects.get(request=data_request).state == PackageState.QUEUED

    http = cast.signed_in(books.world.client_a_owner)
    progress_url = reverse("portal:datarights-progress", args=[data_request.pk])
    seen: list[int] = []

    def ready() -> bool:
        fragment = http.get(progress_url).content.decode()
        seen.extend(int(value) for value in re.findall(r'data-progress="(\d+)"', fragment))
        return 'id="package-download"' in fragment

    with running_worker():
        assert wait_for(ready, timeout=120, interval=0.05), "the worker never finished the package"

    export = ExportPackage.objects.get(request=data_request)
    assert export.state == PackageState.READY and export.progress == 100 and export.files == 13
    # The fragment polled by htmx showed the build moving (a percentage strictly between 0 and 100).
    assert any(0 < value < 100 for value in seen), seen
    assert seen == sorted(seen)
    data_request.refresh_from_db()
    assert data_request.state == RequestState.FULFILLED
    assert AuditEvent.objects.filter(action=DataRightsAction.DATA_PACKAGE_BUILT).count() == 1
    archive = package_zip(data_request)
    assert len([n for n in archive.namelist() if n.startswith("files/")]) == 13
    response = http.get(reverse("portal:datarights-package", args=[data_request.pk]))
    downloaded = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    assert sorted(downloaded.namelist()) == sorted(archive.namelist())
    for name, body in bodies.items():
        assert downloaded.read(name) == body
