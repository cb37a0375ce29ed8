"""Who an API request acts as and what they may do, read from the database on every request.

Nothing is remembered between requests, in any process: a key revoked or deleted, a logout, a
partner deactivated or its key rotated, a user deactivated, a right or a group changed — in the
admin, over the API or by a script, in whichever process — counts on the very next request of
every web process.

Two statements: the key (or partner) with its user, then the user's rights, own and through
groups. (One statement that also aggregates the rights in subqueries costs the ORM more to
build and compile than the second round trip does: bench/RESULTS.md.)
"""

from django.contrib.auth.models import Permission
from django.db.models import Q

from accounts.models import ApiKey, ApiPartner

ALL_RIGHTS = None  # the rights of a superuser: every right


def usable_key(key_hash: str) -> ApiKey | None:
    """The usable key whose hash is ``key_hash``, with its user, or None: not revoked, not
    expired, of an active user. One statement: the key is found by its hash, and the rules
    are checked on the row found."""
    api_key = ApiKey.objects.select_related("user").filter(key_hash=key_hash).first()
    if api_key is None or api_key.is_revoked or api_key.is_expired:
        return None
    if not api_key.user.is_active:
        return None
    return api_key


def usable_partner(recipe_id: str, key_hashes: frozenset[str]) -> ApiPartner | None:
    """The usable partner with this recipe id whose billing key hashes to one of ``key_hashes``,
    with its user, or None. One statement."""
    return (
        ApiPartner.objects.usable()
        .select_related("user")
        .filter(recipe_id=recipe_id, key_hash__in=sorted(key_hashes))
        .first()
    )


def rights_of(user) -> frozenset[str] | None:
    """Every right ``user`` holds, as ``"app_label.codename"``, directly or through a group;
    ``ALL_RIGHTS`` (None) for an active superuser, an empty set for an inactive user.

    One statement, whose answer the user object keeps for the rest of the request (it is
    loaded afresh with each request), as Django's own permission checks do.
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
