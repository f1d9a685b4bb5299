"""Reads of the client-care slice, always through the access layer.

Who may read a company's secure messages, decided at every access:
- staff: the staff member's live assignment to the company (`confidentiality.Assignment`) and the
  access layer's own checks (object permission row, NDA/training gate). A temporary access grant
  does not open the correspondence: it is for reading the books with a purpose, not for talking to
  the client; an assignment that ended closes the messages at once;
- client users: the company's own users (owner, finance contact) read and write;
- delegates: read-only, and only when the owner gave them the "secure messages" scope.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from clientcare.models import MESSAGES_SCOPE, Attachment, Complaint, Message, Thread, ThreadRead
from clients.models import Client, ClientMembership, ClientRole
from confidentiality import access

NEVER = datetime(1970, 1, 1, tzinfo=UTC)
VIEW = "clients.view_client"


# --- Who may use the messages of a company -------------------------------------------------------------


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_staff_member", False))


def _messages_delegations(user: Any) -> list[Any]:
    return [
        client_id
        for client_id, scope in access.live_delegations().filter(delegate=user).values_list("client_id", "scope")
        if MESSAGES_SCOPE in (scope or [])
    ]


def message_clients(user: Any) -> QuerySet[Client]:
    """The companies whose secure messages `user` may read now."""
    visible = access.visible_clients(user, perm=VIEW)
    if _is_staff(user):
        return visible.filter(pk__in=access.live_assignments().filter(user=user).values("client_id"))
    if getattr(user, "is_client_user", False):
        condition = Q(pk__in=ClientMembership.objects.filter(user=user).values("client_id"))
        delegated = _messages_delegations(user)
        if delegated:
            condition |= Q(pk__in=delegated)
        return visible.filter(condition)
    return Client.objects.none()


def can_read_messages(user: Any, client_id: Any) -> bool:
    if not access.has_client_perm(user, VIEW, client_id):
        return False
    if _is_staff(user):
        return access.live_assignments().filter(user=user, client_id=client_id).exists()
    if ClientMembership.objects.filter(user=user, client_id=client_id).exists():
        return True
    return str(client_id) in {str(c) for c in _messages_delegations(user)}


def can_write_messages(user: Any, client_id: Any) -> bool:
    """Staff assigned to the company, and the company's own users; never a delegate."""
    if not access.has_client_perm(user, VIEW, client_id):
        return False
    if _is_staff(user):
        return access.live_assignments().filter(user=user, client_id=client_id).exists()
    return ClientMembership.objects.filter(user=user, client_id=client_id).exists()


def is_member(user: Any, client_id: Any, *, owner: bool = False) -> bool:
    members = ClientMembership.objects.filter(user=user, client_id=client_id)
    if owner:
        members = members.filter(role=ClientRole.OWNER)
    return bool(getattr(user, "is_client_user", False)) and members.exists()


def _deny(request: HttpRequest, *, client_id: Any, object_type: str, object_id: Any) -> Http404:
    access.record_denied(request, client_id=client_id, object_type=object_type, object_ids=[str(object_id)])
    return Http404()


def get_thread_for_user(request: HttpRequest, thread_id: Any, *, write: bool = False) -> Thread:
    """The thread, when the user may read it (or, with `write`, answer in it); `Http404` otherwise."""
    thread = access.get_object_for_user(request, Thread.objects.select_related("client"), thread_id, perm=VIEW)
    allowed = can_write_messages if write else can_read_messages
    if not allowed(request.user, thread.client_id):
        raise _deny(request, client_id=thread.client_id, object_type="clientcare.thread", object_id=thread.pk)
    return thread


def get_attachment_for_user(request: HttpRequest, attachment_id: Any) -> Attachment:
    attachment = access.get_object_for_user(
        request, Attachment.objects.select_related("stored_file", "message"), attachment_id, perm=VIEW
    )
    if not can_read_messages(request.user, attachment.client_id):
        raise _deny(
            request, client_id=attachment.client_id, object_type="clientcare.attachment", object_id=attachment.pk
        )
    return attachment


def get_client_for_messages(request: HttpRequest, client_id: Any, *, write: bool = False) -> Client:
    client = access.get_client_for_user(request, client_id, perm=VIEW)
    allowed = can_write_messages if write else can_read_messages
    if not allowed(request.user, client.pk):
        raise _deny(request, client_id=client.pk, object_type="clients.client", object_id=client.pk)
    return client


# --- Threads, unread counts ------------------------------------------------------------------------------


def _last_read(user: Any, thread_ref: Any) -> Any:
    return Coalesce(
        Subquery(ThreadRead.objects.filter(thread=thread_ref, user=user).values("read_at")[:1]),
        Value(NEVER),
    )


def unread_messages(user: Any) -> QuerySet[Message]:
    """Messages of readable threads that `user` did not send and has not read yet."""
    return (
        Message.objects.filter(client__in=message_clients(user).values("pk"))
        .exclude(sender=user)
        .alias(last_read=_last_read(user, OuterRef("thread")))
        .filter(created_at__gt=F("last_read"))
    )


def unread_count(user: Any, *, client: Client | None = None) -> int:
    messages = unread_messages(user)
    if client is not None:
        messages = messages.filter(client=client)
    return messages.count()


def threads_for(user: Any, clients: QuerySet[Client]) -> QuerySet[Thread]:
    """Threads of these companies, newest activity first, each with `unread` (messages this user has not read)."""
    unread = (
        Message.objects.filter(thread=OuterRef("pk"))
        .exclude(sender=user)
        .alias(last_read=_last_read(user, OuterRef("thread")))
        .filter(created_at__gt=F("last_read"))
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Thread.objects.filter(client__in=clients.values("pk"))
        .select_related("client")
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            message_count=Subquery(
                Message.objects.filter(thread=OuterRef("pk"))
                .order_by()
                .values("thread")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
        )
        .order_by("-last_message_at", "pk")
    )


def read_receipts(thread: Thread) -> list[ThreadRead]:
    """Who has read the thread and how far (for 'read by ...' under each message)."""
    return list(ThreadRead.objects.filter(thread=thread).select_related("user").order_by("read_at"))


def get_complaint_for_desk(request: HttpRequest, complaint_id: Any) -> Complaint:
    """A complaint for the compliance desk. The desk handles every company's privacy complaints (it
    is not assigned to clients): the `view_compliance_desk` capability, checked here again, is its gate."""
    user = request.user
    if not (getattr(user, "is_staff_member", False) and user.has_perm("accounts.view_compliance_desk")):
        access.record_denied(request, object_type="clientcare.complaint", object_ids=[str(complaint_id)])
        raise Http404
    complaint = Complaint.objects.select_related("client", "filed_by").filter(pk=complaint_id).first()
    if complaint is None:
        raise Http404
    return complaint


def complaints_for_client(client: Client) -> QuerySet[Complaint]:
    return Complaint.objects.filter(client=client).order_by("-created_at")
