"""Who an API request acts as and what they may do, read from the database on every request.

Nothing is remembered between requests, in any process: a key revoked or deleted, a logout, a
partner deactivated or its key rotated, a user deactivated, a right or a group changed — in the
admin, over the API or by a script, in whichever process — counts on the very next request of
every web process.

To keep that cheap, a key (or a partner), its user and the user's rights come in one statement:
the rights as two text columns, the user's own permissions and those of their groups, each
joined into one string by a subquery (``StringAgg``). A request that needs a right then asks
nothing more of the database (``rights_of``).
"""

from django.contrib.auth.models import Permission
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.aggregates import StringAgg
from django.db.models.functions import Concat

from accounts.models import ApiKey, ApiPartner

ALL_RIGHTS = None  # the rights of a superuser: every right
_SEPARATOR = ","  # app labels and codenames never hold one


def _joined_rights(permissions: QuerySet, grouped_by: str) -> Subquery:
    """One text column: the ``"app_label.codename"`` of ``permissions``, joined."""
    name = Concat("content_type__app_label", Value("."), "codename")
    joined = (
        permissions.order_by()
        .values(grouped_by)
        .annotate(names=StringAgg(name, delimiter=Value(_SEPARATOR)))
        .values("names")
    )
    return Subquery(joined)


def with_rights(credentials: QuerySet, user_path: str = "user") -> QuerySet:
    """``credentials`` (keys, partners) with their user and the user's rights, in one statement
    (``own_rights`` and ``group_rights``, read by ``usable_key`` and ``usable_partner``)."""
    return credentials.select_related(user_path).annotate(
        own_rights=_joined_rights(Permission.objects.filter(user=OuterRef(user_path)), "user"),
        group_rights=_joined_rights(
            Permission.objects.filter(group__user=OuterRef(user_path)), "group__user"
        ),
    )


def _with_loaded_rights(credential):
    """``credential``, its user carrying the rights read with it."""
    names = _SEPARATOR.join(filter(None, (credential.own_rights, credential.group_rights)))
    credential.user.loaded_rights = frozenset(filter(None, names.split(_SEPARATOR)))
    return credential


def usable_key(key_hash: str) -> ApiKey | None:
    """The usable key whose hash is ``key_hash``, with its user and their rights, or None:
    not revoked, not expired, of an active user. One statement."""
    api_key = with_rights(ApiKey.objects.filter(key_hash=key_hash)).first()
    if api_key is None or api_key.is_revoked or api_key.is_expired:
        return None
    if not api_key.user.is_active:
        return None
    return _with_loaded_rights(api_key)


def usable_partner(recipe_id: str, key_hashes: frozenset[str]) -> ApiPartner | None:
    """The usable partner with this recipe id whose billing key hashes to one of ``key_hashes``,
    with its user and their rights, or None. One statement."""
    partner = with_rights(
        ApiPartner.objects.usable().filter(recipe_id=recipe_id, key_hash__in=sorted(key_hashes))
    ).first()
    return None if partner is None else _with_loaded_rights(partner)


def rights_of(user) -> frozenset[str] | None:
    """Every right ``user`` holds, as ``"app_label.codename"``, directly or through a group;
    ``ALL_RIGHTS`` (None) for an active superuser, an empty set for an inactive user.

    The rights read with the user's key (``usable_key``, ``usable_partner``) where there are
    some; otherwise one statement, whose answer the user object keeps for the rest of the
    request, as Django's own permission checks do.
    """
    if not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_RIGHTS
    loaded = getattr(user, "loaded_rights", None)
    if loaded is None:
        loaded = user.loaded_rights = _load_rights(user.pk, user._state.db or "default")
    return loaded


def _load_rights(user_id: int, db: str) -> frozenset[str]:
    """The user's own permissions and their groups' permissions, in one statement."""
    rows = (
        Permission.objects.using(db)
        .filter(Q(user__pk=user_id) | Q(group__user__pk=user_id))
        .values_list("content_type__app_label", "codename")
        .order_by()
        .distinct()
    )
    return frozenset(f"{app_label}.{codename}" for app_label, codename in rows)
