"""What this process recently verified about API keys and rights, kept for a few seconds.

Every API request presents a key, and most need a right. Looking the key up and then the right
is two round trips to the database before the request's own work starts, which is most of the
cost of a simple read. So each process remembers, for ``API_CREDENTIAL_CACHE_SECONDS``
(default 5; 0 turns this off):

- a key that authenticated (its row and its user's row), by the key's hash;
- an API partner that authenticated (its row and its user's row), by its recipe id and the
  hashes of the billing key as sent;
- the set of rights a user holds, by the user's id, name and joining time (an id alone may be
  given again to a new user where the database reuses the ids of deleted rows).

Only what passed is kept: an unknown, revoked or expired key, an unknown or inactive partner,
or an inactive user, is looked up every time. A kept key's expiry is still checked on every
request.

Saving or deleting a key, a partner, a user, a group or a permission, or changing who is in a
group or holds a permission, clears everything kept here, in the process that made the change
(at once, and again when its transaction commits). Other processes (the other web workers) see
the change when what they kept runs out: a revoked key or partner, or a withdrawn right, stops
working everywhere within ``API_CREDENTIAL_CACHE_SECONDS``. Code that changes these rows with
``QuerySet.update`` (which sends no save signal) sends ``credentials_revoked`` instead, as
``ApiKey.objects.revoke()`` and ``ApiPartner.objects.revoke()`` do. A change that is rolled
back after this process read the changed rows in the same transaction may be kept for those
seconds: requests verify their key and rights first, outside any transaction.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import ApiKey, ApiPartner, credentials_revoked
from toolkit.kept import MISSING, KeptRows, copy_of

ALL_RIGHTS = None  # the rights of a superuser: every right

# Keys by ("key", hash), partners by ("partner", recipe id, hashes), rights by
# ("rights", user id, user name, joining time).
_kept = KeptRows("API_CREDENTIAL_CACHE_SECONDS")


@dataclass
class _KnownKey:
    api_key: ApiKey | ApiPartner
    # When this process last recorded the key's (or partner's) use (``note_use``), so that a
    # kept key does not look unused to it for as long as it is kept.
    last_used_at: object


def usable_key(key_hash: str) -> ApiKey | None:
    """The usable key whose hash is ``key_hash``, with its user, or None (as
    ``ApiKey.objects.usable_with_hash``, which answers when nothing is kept)."""
    known = _kept.get(("key", key_hash))
    if known is not MISSING and not known.api_key.is_expired:
        api_key = copy_of(known.api_key)
        api_key.user = copy_of(known.api_key.user)
        api_key.last_used_at = known.last_used_at
        return api_key
    reading = _kept.reading()
    api_key = ApiKey.objects.usable_with_hash(key_hash)
    if api_key is None:
        _kept.discard(("key", key_hash))
        return None
    kept = copy_of(api_key)
    kept.user = copy_of(api_key.user)
    _kept.keep(("key", key_hash), _KnownKey(kept, api_key.last_used_at), reading)
    return api_key


def usable_partner(recipe_id: str, key_hashes: frozenset[str]) -> ApiPartner | None:
    """The usable partner with this recipe id whose billing key hashes to one of ``key_hashes``,
    with its user, or None."""
    known = _kept.get(("partner", recipe_id, key_hashes))
    if known is not MISSING:
        partner = copy_of(known.api_key)
        partner.user = copy_of(known.api_key.user)
        partner.last_used_at = known.last_used_at
        return partner
    reading = _kept.reading()
    partner = (
        ApiPartner.objects.usable()
        .select_related("user")
        .filter(recipe_id=recipe_id, key_hash__in=sorted(key_hashes))
        .first()
    )
    if partner is None:
        _kept.discard(("partner", recipe_id, key_hashes))
        return None
    kept = copy_of(partner)
    kept.user = copy_of(partner.user)
    _kept.keep(("partner", recipe_id, key_hashes), _KnownKey(kept, partner.last_used_at), reading)
    return partner


def noted_partner_use(recipe_id: str, key_hashes: frozenset[str], last_used_at) -> None:
    """``note_use`` recorded (or found recorded) this use time for the kept partner."""
    known = _kept.get(("partner", recipe_id, key_hashes))
    if known is not MISSING:
        known.last_used_at = last_used_at


def noted_use(key_hash: str, last_used_at) -> None:
    """``note_use`` recorded (or found recorded) this use time for the kept key."""
    known = _kept.get(("key", key_hash))
    if known is not MISSING:
        known.last_used_at = last_used_at


def rights_of(user) -> frozenset[str] | None:
    """Every right ``user`` holds, as ``"app_label.codename"``, directly or through a group;
    ``ALL_RIGHTS`` (None) for an active superuser, an empty set for an inactive user. One
    statement where nothing is kept."""
    if not user.is_active:
        return frozenset()
    if user.is_superuser:
        return ALL_RIGHTS
    who = ("rights", user.pk, user.get_username(), getattr(user, "date_joined", None))
    rights = _kept.get(who)
    if rights is MISSING:
        reading = _kept.reading()
        rights = _load_rights(user.pk, user._state.db or "default")
        _kept.keep(who, rights, reading)
    return rights


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


def forget_all() -> None:
    """Forget every kept key and right in this process, now and again when the current
    transaction commits."""
    _kept.forget()


def _forget_on_change(**kwargs) -> None:
    forget_all()


def connect_signals() -> None:
    """Clear what is kept whenever a key, user, group or permission, or a link between them,
    changes in this process (called once, from ``AccountsConfig.ready``)."""
    credentials_revoked.connect(_forget_on_change, dispatch_uid="credentials:revoked")
    user_model = get_user_model()
    for model in (ApiKey, ApiPartner, user_model, Group, Permission):
        uid = f"credentials:{model._meta.label}"
        post_save.connect(_forget_on_change, sender=model, dispatch_uid=f"{uid}:save")
        post_delete.connect(_forget_on_change, sender=model, dispatch_uid=f"{uid}:delete")
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
    ):
        uid = f"credentials:{through._meta.label}:m2m"
        m2m_changed.connect(_forget_on_change, sender=through, dispatch_uid=uid)
