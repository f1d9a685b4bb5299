"""The access layer: the only way any view, form, template tag, task or report finds client data.

Who may see a client, decided at the moment of access:
- staff: a live assignment (started, not ended, not past its end date) or an approved temporary
  grant still running, AND the matching django-guardian object permission row (granted only by
  `confidentiality.access_services`), AND the NDA/training gates. A global (model-level) permission
  never grants client access (`accept_global_perms=False` semantics), superusers included;
- client users: their own companies (`ClientMembership`);
- delegates: live delegations, read-only, within their scope.

Forbidden looks like missing: `Http404` either way, and a refusal writes a denied-access event.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit import services as audit
from clients.models import Client, ClientMembership, ClientRole
from confidentiality import gates
from confidentiality.models import (
    CLIENT_PERMISSIONS,
    DELEGATE_SCOPE_PERMISSIONS,
    GRANT_PERMISSIONS,
    ROLE_PERMISSIONS,
    AccessGrant,
    Assignment,
    ClientGroupObjectPermission,
    ClientUserObjectPermission,
    Delegation,
    DelegationState,
    GrantState,
)

M = TypeVar("M", bound=models.Model)

# What client users may do for their own company, by their role there.
MEMBER_PERMISSIONS: dict[str, frozenset[str]] = {
    ClientRole.OWNER: frozenset({"view_client", "view_books", "view_documents", "upload_documents"}),
    ClientRole.FINANCE: frozenset({"view_client", "view_books", "view_documents", "upload_documents"}),
}
# A delegate always sees the company's front page, and only the pages of their scope.
DELEGATE_BASE_PERMISSIONS = frozenset({"view_client"})

DENIED = "denied"

# PIPL Art. 47 processing locks (`retention.ProcessingLock`): data kept only because a retention
# duty applies is "storage and security only", and of the firm's staff the archivist alone reads it
# (still through their own assignment or an approved, purpose-bound grant). The lock restricts the
# firm's processing, not the client's right to its own records (PIPL Art. 45; the archives are the
# client's): the client's people keep reading within their own permissions (a handover package, the
# books of the years kept). Nobody may change anything.
LOCKED_READ_PERMISSIONS = frozenset({"view_client", "view_books", "view_documents"})

# Client-scoped models whose rows belong to one archive volume: (year field, category), the category
# a fixed code, a field name prefixed "=", or None (only locks naming no category apply).
LOCKABLE_VOLUMES: dict[str, tuple[str, str | None]] = {
    "clients.voucher": ("fiscal_year", "journal_voucher"),
    "clients.voucherline": ("fiscal_year", "journal_voucher"),
    "clients.accountbalance": ("fiscal_year", "general_ledger"),
    "clients.document": ("fiscal_year", "=archive_category"),
    "clients.accountingperiod": ("year", None),
}


# --- Live sources of access --------------------------------------------------------------------------


def live_assignments(at: Any = None) -> QuerySet[Assignment]:
    """Assignments in force at `at` (now by default): started, not ended, not past their end date."""
    now = at or timezone.now()
    return Assignment.objects.filter(ended_at__isnull=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )


def live_grants(at: Any = None) -> QuerySet[AccessGrant]:
    """Approved temporary (or emergency) grants running at `at`."""
    now = at or timezone.now()
    return AccessGrant.objects.filter(state=GrantState.APPROVED, starts_at__lte=now, ends_at__gt=now)


def live_delegations(at: Any = None) -> QuerySet[Delegation]:
    now = at or timezone.now()
    return Delegation.objects.filter(state=DelegationState.ACTIVE, ends_at__gt=now)


# --- Who decides temporary access ------------------------------------------------------------------


def _is_firm_head(user: Any) -> bool:
    from accounts.models import StaffRole

    return is_active_staff(user) and user.has_role(StaffRole.FIRM_HEAD)


def may_decide_access_requests_for(user: Any, client_id: Any) -> bool:
    """Whether `user` may approve or refuse temporary access to this client.

    Only the engagement managers assigned to that client now (a live `manager` assignment) and the
    firm head (单位负责人, accountable for every client) decide; a manager of another client does
    not. The `approve_access` capability and "never one's own request" are checked by the service.
    """
    from confidentiality.models import AssignmentRole

    if not is_active_staff(user):
        return False
    if _is_firm_head(user):
        return True
    return live_assignments().filter(user=user, client_id=client_id, role=AssignmentRole.MANAGER).exists()


def decidable_access_requests(user: Any) -> QuerySet[AccessGrant]:
    """Pending (non-emergency) requests `user` may decide, plus their own pending ones (shown, not decidable)."""
    from confidentiality.models import AssignmentRole

    pending = AccessGrant.objects.filter(state=GrantState.PENDING, emergency=False)
    if not is_active_staff(user):
        return pending.none()
    if _is_firm_head(user):
        return pending
    managed = live_assignments().filter(user=user, role=AssignmentRole.MANAGER).values("client_id")
    return pending.filter(Q(client_id__in=managed) | Q(user=user))


# --- Who is asking ------------------------------------------------------------------------------------


def _codename(perm: str) -> str:
    app_label, _, codename = perm.rpartition(".")
    if app_label not in ("", "clients"):
        return ""
    return codename if codename in CLIENT_PERMISSIONS else ""


def _is_active(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "offboarded_at", None) is None
    )


def is_active_staff(user: Any) -> bool:
    return _is_active(user) and bool(getattr(user, "is_staff_member", False))


def staff_gate_passed(user: Any) -> bool:
    return bool(gates.gate_status(user).ok)


# --- Permissions on one client ------------------------------------------------------------------------

_PERM_CACHE = "_fp_client_perms"
_LOCK_CACHE = "_fp_client_locks"

Lock = tuple[str, int | None]  # (category or "", fiscal year or None)


def client_locks(user: Any, client_id: Any) -> tuple[Lock, ...]:
    """The processing locks on a client: one query per client per request (cached on the user)."""
    from retention.models import ProcessingLock

    key = str(client_id)
    cache: dict[str, tuple[Lock, ...]] = {}
    if user is not None:
        cache = getattr(user, _LOCK_CACHE, None) or {}
        setattr(user, _LOCK_CACHE, cache)
    if key not in cache:
        cache[key] = tuple(ProcessingLock.objects.filter(client_id=key).values_list("category", "fiscal_year"))
    return cache[key]


def lock_applies(locks: tuple[Lock, ...], *, category: str | None, fiscal_year: int | None) -> bool:
    """Whether one of `locks` covers a record of this category and year (None: the client's master
    data, covered only by a lock on the whole client)."""
    for lock_category, lock_year in locks:
        if lock_category and lock_category != category:
            continue
        if lock_year is not None and lock_year != fiscal_year:
            continue
        return True
    return False


# The archive volumes a ledger or statement of one fiscal year is read from.
REPORT_CATEGORIES = ("general_ledger", "subsidiary_ledger", "journal_voucher", "periodic_report", "annual_report")


def refuse_locked_year(request_or_user: Any, client: Client, fiscal_year: int) -> None:
    """Reports sum a whole fiscal year: when a processing lock covers that year's ledgers, they are
    refused like any locked record (404 and a denied event), except for the archivist's reading."""
    _request, user = _split(request_or_user)
    locks = client_locks(user, client.pk)
    if not locks or is_archivist(user) or getattr(user, "is_client_user", False):
        return
    if any(lock_applies(locks, category=category, fiscal_year=fiscal_year) for category in REPORT_CATEGORIES):
        record_denied(request_or_user, client_id=client.pk, object_type="clients.report", object_ids=[str(fiscal_year)])
        raise Http404


def is_archivist(user: Any) -> bool:
    return bool(getattr(user, "is_staff_member", False) and user.has_perm("accounts.manage_retention"))


def reads_locked(user: Any) -> bool:
    """Who keeps reading a locked scope: the archivist of the firm, and the client's own people."""
    return bool(getattr(user, "is_client_user", False)) or is_archivist(user)


def _volume_of(obj: models.Model) -> tuple[str | None, int | None] | None:
    """(category, fiscal year) of a record bound to an archive volume; None for anything else."""
    spec = LOCKABLE_VOLUMES.get(obj._meta.label_lower)
    if spec is not None:
        year_field, category = spec
        if category is not None and category.startswith("="):
            category = getattr(obj, category[1:])
        return category, getattr(obj, year_field)
    scope = getattr(obj, "encryption_scope", None)
    if scope is None or isinstance(obj, Client):
        return None
    try:
        key_scope = scope()
    except (ValueError, TypeError, AttributeError):
        return None
    return key_scope.category, key_scope.year


def client_permissions(user: Any, client_id: Any) -> frozenset[str]:
    """The client permission codenames `user` holds on the client right now (empty when none).

    Cached on the user object (one request). Staff: the permissions of their live assignments and
    grants on that client, intersected with their object-permission rows; gates must be passed.
    """
    if not _is_active(user) or client_id is None:
        return frozenset()
    key = str(client_id)
    # getattr/setattr, not user.__dict__: `request.user` is a SimpleLazyObject, which forwards
    # attribute access to the user but has a __dict__ of its own. A cache in the proxy's __dict__
    # was missed by `user.has_perm(...)` (which runs on the wrapped user), so every page computed
    # the same permissions twice (four queries more per request).
    cache: dict[str, frozenset[str]] | None = getattr(user, _PERM_CACHE, None)
    if cache is None:
        cache = {}
        setattr(user, _PERM_CACHE, cache)
    if key in cache:
        return cache[key]
    perms: frozenset[str]
    if user.is_staff_member:
        perms = _staff_permissions(user, key) if staff_gate_passed(user) else frozenset()
    elif user.is_client_user:
        perms = _client_user_permissions(user, key)
    else:
        perms = frozenset()
    locks = client_locks(user, key)
    if lock_applies(locks, category=None, fiscal_year=None):
        # The whole client is locked: the archivist and the client's people read, nobody changes.
        perms = perms & LOCKED_READ_PERMISSIONS if reads_locked(user) else frozenset()
    cache[key] = perms
    return perms


def _staff_permissions(user: Any, client_id: Any) -> frozenset[str]:
    """Live sources (assignment roles, a running grant) intersected with the permission rows held.

    One round trip: the four sources are read as one UNION ALL of (kind, value) rows, because this
    runs on every page of client data and each query is a round trip to the database.
    """
    now = timezone.now()
    text = models.CharField()

    def rows(queryset: QuerySet[Any], kind: str, value: Any) -> QuerySet[Any]:
        # No ORDER BY (the models' default ordering): SQLite refuses one inside a UNION's parts.
        return (
            queryset.order_by()
            .annotate(fp_kind=Value(kind, output_field=text), fp_value=value)
            .values_list("fp_kind", "fp_value")
        )

    sources = rows(live_assignments(now).filter(user=user, client_id=client_id), "role", F("role")).union(
        rows(live_grants(now).filter(user=user, client_id=client_id), "grant", Value("", output_field=text)),
        rows(
            ClientUserObjectPermission.objects.filter(user=user, content_object_id=client_id),
            "held",
            F("permission__codename"),
        ),
        rows(
            ClientGroupObjectPermission.objects.filter(group__in=user.groups.all(), content_object_id=client_id),
            "held",
            F("permission__codename"),
        ),
        all=True,
    )
    entitled: set[str] = set()
    held: set[str] = set()
    for kind, value in sources:
        if kind == "role":
            entitled |= ROLE_PERMISSIONS.get(value, frozenset())
        elif kind == "grant":
            entitled |= GRANT_PERMISSIONS
        else:
            held.add(value)
    return frozenset(entitled & held)


_MEMBER_CACHE = "_fp_member_of"


def _client_user_permissions(user: Any, client_id: str) -> frozenset[str]:
    perms: set[str] = set()
    roles = list(ClientMembership.objects.filter(user=user, client_id=client_id).values_list("role", flat=True))
    for role in roles:
        perms |= MEMBER_PERMISSIONS.get(role, frozenset())
    # Whether they are a member or a delegate: the access log's reader role asks it on every page.
    members: dict[str, bool] = getattr(user, _MEMBER_CACHE, None) or {}
    members[client_id] = bool(roles)
    setattr(user, _MEMBER_CACHE, members)
    for scope in live_delegations().filter(delegate=user, client_id=client_id).values_list("scope", flat=True):
        perms |= DELEGATE_BASE_PERMISSIONS
        for page in scope or []:
            perms |= DELEGATE_SCOPE_PERMISSIONS.get(page, frozenset())
    return frozenset(perms)


def is_member_of(user: Any, client_id: Any) -> bool:
    """Whether a client user is the client's owner or finance contact (not only a delegate); read
    from the per-request cache the permission check filled, else one query."""
    key = str(client_id)
    known: dict[str, bool] | None = getattr(user, _MEMBER_CACHE, None)
    if known is None or key not in known:
        client_permissions(user, key)  # fills it (and the permissions the page asks for next)
        known = getattr(user, _MEMBER_CACHE, None) or {}
        if key not in known:  # an inactive account: nothing was computed
            return ClientMembership.objects.filter(user=user, client_id=key).exists()
    return known[key]


def has_client_perm(user: Any, perm: str, client: Client | Any) -> bool:
    """`perm` ("clients.<codename>") on `client` (a Client or its id), decided by this layer only."""
    codename = _codename(perm)
    if not codename:
        return False
    client_id = client.pk if isinstance(client, models.Model) else client
    return codename in client_permissions(user, client_id)


def forget_cached(user: Any) -> None:
    """Drop the per-request caches on this user object (after a change within the same request)."""
    for name in (_PERM_CACHE, _LOCK_CACHE, _MEMBER_CACHE):
        if hasattr(user, name):
            delattr(user, name)
    gates.forget(user)


def is_delegate_only(user: Any, client_id: Any) -> bool:
    """True when the client user reaches this client only as a delegate (their reads are all logged)."""
    if not getattr(user, "is_client_user", False):
        return False
    return not is_member_of(user, client_id)


# --- Lists ----------------------------------------------------------------------------------------------


def visible_clients(user: Any, *, perm: str | None = None) -> QuerySet[Client]:
    """Clients this user may see now (optionally: on which they hold `perm`)."""
    codename = _codename(perm) if perm else "view_client"
    if not codename or not _is_active(user):
        return Client.objects.none()
    return _visible_clients(user, codename).exclude(_lock_refuses(user, codename, Q(pk__in=_whole_client_locks())))


def _lock_refuses(user: Any, codename: str, locked: Q | Exists) -> Q:
    """The rows a lock hides from this user: all locked rows, except the reads of an archivist or of
    the client's people. Decided inside the list's own SQL (the archivist test is a subquery), so
    lists cost no extra query."""
    if codename in LOCKED_READ_PERMISSIONS and getattr(user, "is_client_user", False):
        return Q(pk__in=[])  # hides nothing
    if codename in LOCKED_READ_PERMISSIONS and getattr(user, "is_staff_member", False):
        from django.contrib.auth.models import Permission

        archivist = Exists(
            Permission.objects.filter(content_type__app_label="accounts", codename="manage_retention").filter(
                Q(group__user=user) | Q(user=user)
            )
        )
        return Q(locked) & ~Q(archivist)
    return Q(locked)


def _whole_client_locks() -> Any:
    from retention.models import ProcessingLock

    return ProcessingLock.objects.filter(category="", fiscal_year__isnull=True).values("client_id")


def _visible_clients(user: Any, codename: str) -> QuerySet[Client]:
    if user.is_staff_member:
        if not staff_gate_passed(user):
            return Client.objects.none()
        now = timezone.now()
        roles = [role for role, perms in ROLE_PERMISSIONS.items() if codename in perms]
        sources = Q(pk__in=live_assignments(now).filter(user=user, role__in=roles).values("client_id"))
        if codename in GRANT_PERMISSIONS:
            sources |= Q(pk__in=live_grants(now).filter(user=user).values("client_id"))
        held = Q(
            pk__in=ClientUserObjectPermission.objects.filter(user=user, permission__codename=codename).values(
                "content_object_id"
            )
        ) | Q(
            pk__in=ClientGroupObjectPermission.objects.filter(
                group__in=user.groups.all(), permission__codename=codename
            ).values("content_object_id")
        )
        return Client.objects.filter(sources).filter(held)
    if user.is_client_user:
        member_roles = [role for role, perms in MEMBER_PERMISSIONS.items() if codename in perms]
        condition = Q(pk__in=ClientMembership.objects.filter(user=user, role__in=member_roles).values("client_id"))
        # A person is the delegate of a handful of companies at most: their scopes are read here.
        delegated = [
            client_id
            for client_id, scope in live_delegations().filter(delegate=user).values_list("client_id", "scope")
            if codename in DELEGATE_BASE_PERMISSIONS
            or any(codename in DELEGATE_SCOPE_PERMISSIONS.get(page, frozenset()) for page in scope or [])
        ]
        if delegated:
            condition |= Q(pk__in=delegated)
        return Client.objects.filter(condition)
    return Client.objects.none()


def visible_to(user: Any, queryset: QuerySet[M], *, perm: str | None = None) -> QuerySet[M]:
    """Filters a client-scoped queryset (a model with a `client` foreign key, or Client) to what `user` may see."""
    clients = visible_clients(user, perm=perm).values("pk")
    if queryset.model is Client:
        return queryset.filter(pk__in=clients)
    queryset = queryset.filter(client__in=clients)
    codename = _codename(perm) if perm else "view_client"
    spec = LOCKABLE_VOLUMES.get(queryset.model._meta.label_lower)
    if spec is not None and codename:
        queryset = queryset.exclude(_lock_refuses(user, codename, _locked_volume(spec)))
    return queryset


def _locked_volume(spec: tuple[str, str | None]) -> Exists:
    """Rows of a volume under a processing lock (one correlated subquery, no extra query)."""
    from retention.models import ProcessingLock

    year_field, category = spec
    locks = ProcessingLock.objects.filter(client_id=OuterRef("client_id")).filter(
        Q(fiscal_year__isnull=True) | Q(fiscal_year=OuterRef(year_field))
    )
    if category is None:
        locks = locks.filter(category="")
    elif category.startswith("="):
        locks = locks.filter(Q(category="") | Q(category=OuterRef(category[1:])))
    else:
        locks = locks.filter(category__in=["", category])
    return Exists(locks)


# --- One object -----------------------------------------------------------------------------------------


def _split(request_or_user: Any) -> tuple[HttpRequest | None, Any]:
    if isinstance(request_or_user, HttpRequest):
        return request_or_user, request_or_user.user
    return None, request_or_user


def _request_for(request: HttpRequest | None, user: Any) -> HttpRequest:
    """The request to record against; a bare one for calls made outside a request (tasks, reports)."""
    if request is not None:
        return request
    bare = HttpRequest()
    bare.user = user
    return bare


def record_denied(
    request_or_user: Any, *, client_id: Any = "", object_type: str = "", object_ids: list[str] | None = None
) -> None:
    request, user = _split(request_or_user)
    audit.record_access(
        request=_request_for(request, user),
        action=DENIED,
        client_ref=str(client_id or ""),
        object_type=object_type,
        object_ids=object_ids or [],
    )


def require_gate(request_or_user: Any) -> None:
    """Staff who have not passed the gates are stopped before any lookup (so nothing is confirmed)."""
    _, user = _split(request_or_user)
    if is_active_staff(user) and not staff_gate_passed(user):
        record_denied(request_or_user, object_type="gate")
        raise gates.AccessGateBlockedError(gates.gate_status(user))


def _parse_uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _log_delegate_read(
    request: HttpRequest | None, user: Any, client_id: Any, object_type: str, ids: list[str]
) -> None:
    if request is not None and is_delegate_only(user, client_id):
        audit.record_access(
            request=request, action="view", client_ref=str(client_id), object_type=object_type, object_ids=ids
        )


def get_client_for_user(request_or_user: Any, client_id: Any, *, perm: str = "clients.view_client") -> Client:
    """The client, when `user` holds `perm` on it now; `Http404` when missing or forbidden."""
    request, user = _split(request_or_user)
    require_gate(request_or_user)
    pk = _parse_uuid(client_id)
    client = Client.objects.filter(pk=pk).first() if pk is not None else None
    if client is None:
        raise Http404
    if not has_client_perm(user, perm, client):
        record_denied(request_or_user, client_id=client.pk, object_type="clients.client", object_ids=[str(client.pk)])
        raise Http404
    _log_delegate_read(request, user, client.pk, "clients.client", [str(client.pk)])
    return client


def client_id_of(obj: models.Model) -> Any:
    """The client a client-scoped object belongs to (the object itself for a Client)."""
    if isinstance(obj, Client):
        return obj.pk
    client_id = getattr(obj, "client_id", None)
    if client_id is None:
        raise TypeError(f"{obj._meta.label} is not client-scoped (no client foreign key)")
    return client_id


def get_object_for_user(request_or_user: Any, model_or_queryset: type[M] | QuerySet[M], pk: Any, *, perm: str) -> M:
    """A client-scoped object, when `user` holds `perm` on its client now; `Http404` when missing or forbidden."""
    request, user = _split(request_or_user)
    require_gate(request_or_user)
    queryset: QuerySet[M] = (
        model_or_queryset if isinstance(model_or_queryset, QuerySet) else model_or_queryset._default_manager.all()
    )
    try:
        obj = queryset.filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError):
        obj = None
    if obj is None:
        raise Http404
    client_id = client_id_of(obj)
    label = obj._meta.label_lower
    if not has_client_perm(user, perm, client_id) or _locked_for(user, perm, obj, client_id):
        record_denied(request_or_user, client_id=client_id, object_type=label, object_ids=[str(obj.pk)])
        raise Http404
    _log_delegate_read(request, user, client_id, label, [str(obj.pk)])
    return obj


def _locked_for(user: Any, perm: str, obj: models.Model, client_id: Any) -> bool:
    """A record of a locked volume: refused to all but the reads of the archivist and the client's
    people (locks are cached)."""
    locks = client_locks(user, client_id)
    if not locks:
        return False
    volume = _volume_of(obj)
    if volume is None or not lock_applies(locks, category=volume[0], fiscal_year=volume[1]):
        return False
    return not (_codename(perm) in LOCKED_READ_PERMISSIONS and reads_locked(user))
