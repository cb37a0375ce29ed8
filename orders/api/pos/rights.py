"""The Orders API's rights by their names on the wire (camelCase): a view of the rights table,
``accounts.rights.Right``, whose entries carry their ``wire_name``."""

from accounts.rights import Right

# Wire name -> right, in the contract's order (the login answer and the schema keep it).
# Compared case-insensitively where a client names a right.
RIGHTS: dict[str, Right] = {
    right.wire_name: right
    for right in (Right.PROCESS_ORDER, Right.UPDATE_ORDER_STATUS, Right.CANCEL_ORDER)
}
WIRE_NAME: dict[str, str] = {right: name for name, right in RIGHTS.items()}


def rights_of(user) -> list[str]:
    """The Orders API rights ``user`` holds, by wire name."""
    return [name for name, right in RIGHTS.items() if user.has_perm(right)]
