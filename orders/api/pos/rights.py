"""The Orders API's rights (camelCase on the wire) and the permissions that grant them."""

ORDER_PROCESS = "orders.process_order"
ORDER_UPDATE = "orders.update_order_status"
ORDER_DELETE = "orders.cancel_order"

# Wire name -> Django permission. Compared case-insensitively where a client names a right.
RIGHTS: dict[str, str] = {
    "orderProcess": ORDER_PROCESS,
    "orderUpdate": ORDER_UPDATE,
    "orderDelete": ORDER_DELETE,
}
WIRE_NAME = {permission: name for name, permission in RIGHTS.items()}


def rights_of(user) -> list[str]:
    """The Orders API rights ``user`` holds, by wire name."""
    return [name for name, permission in RIGHTS.items() if user.has_perm(permission)]
