"""Which hosts socket printers may be aimed at: all, or those the environment variable
``PRINT_SOCKET_HOSTS`` names.

A socket printer sends raw bytes to any host and port it is given, from the spooler's host;
whoever may configure printers could aim it at the database, a cloud metadata address or
anything else inside the network. ``PRINT_SOCKET_HOSTS`` (comma-separated host names, IP
addresses or networks such as ``10.20.0.0/16``) limits them: a printer's host must be one of
the names (compared without case) or an address inside one of the networks. Unset or empty,
any host is taken (a lab without the setting keeps working as before).

The setting is read from the environment each time it is needed, as ``PRINT_SPOOL_ROOT`` is:
by the printer's rules when one is saved, and by the socket driver before each send, so a
printer saved before the setting was narrowed is held to it too.
"""

import ipaddress
import os

from django.core.exceptions import ValidationError


def allowed_socket_hosts() -> list[str]:
    """The entries of ``PRINT_SOCKET_HOSTS``, or [] when any host is allowed."""
    return [
        entry.strip()
        for entry in os.environ.get("PRINT_SOCKET_HOSTS", "").split(",")
        if entry.strip()
    ]


def socket_host_allowed(host: str) -> bool:
    allowed = allowed_socket_hosts()
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in allowed:
        if "/" in entry and address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue  # a malformed network allows nothing
        elif host.lower() == entry.lower():
            return True
    return False


def validate_socket_host(host: str) -> None:
    """Refuse a host ``PRINT_SOCKET_HOSTS`` does not allow (an empty host is the driver
    rule's to refuse)."""
    if host and not socket_host_allowed(host):
        raise ValidationError(
            "is not among the hosts socket printers may use (PRINT_SOCKET_HOSTS)",
            code="host_not_allowed",
        )
