"""Where webhooks may be sent: https only, and never into the lab's own network unless an
operator said so.

A subscription makes the webhook worker POST to any URL a supervisor (or a client with the
right) gives; without limits it would reach the database host, a cloud metadata address or
anything else the worker's host can reach. So a destination must use ``https://``, and its
host must not resolve to a loopback, private, link-local, reserved or metadata address. Hosts
listed in the environment variable ``WEBHOOK_ALLOWED_HOSTS`` (comma-separated names or
addresses, compared without case) are exempt from both rules: a lab's own receivers on its
network, or a test's on 127.0.0.1.

The rules run when a subscription is saved and again before every send, on the addresses the
host resolves to then: a DNS record changed after the subscription was saved cannot turn it
into a probe of the inside network. The send connects to an address checked here.
"""

import ipaddress
import os
import socket
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError


class DestinationRefused(Exception):
    """A destination the rules refuse, with the reason in words."""


def allowed_hosts() -> set[str]:
    """The hosts of ``WEBHOOK_ALLOWED_HOSTS``, lower case (read each time: a changed
    environment applies at the next save or send)."""
    return {
        entry.strip().lower()
        for entry in os.environ.get("WEBHOOK_ALLOWED_HOSTS", "").split(",")
        if entry.strip()
    }


# IPv6 forms that carry an IPv4 address in their last 32 bits: NAT64 (through a gateway, the
# IPv4 address is what is reached) and the deprecated IPv4-compatible form.
_EMBEDDING_IPV4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in _EMBEDDING_IPV4) and int(address) & 0xFFFFFFFF > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and _forbidden(embedded):
            return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now (none when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_destination(url: str) -> list[str]:
    """The addresses ``url`` may be sent to, or ``DestinationRefused``. For an allowed host,
    every address it resolves to; else its public addresses, refused if it has any other."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # an unclosed IPv6 bracket, say
        raise DestinationRefused("is malformed") from None
    if not host:
        raise DestinationRefused("has no host")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("must not carry a user name or password")
    allowed = host in allowed_hosts()
    if parts.scheme != "https" and not (allowed and parts.scheme == "http"):
        raise DestinationRefused(
            "must use https:// (http:// only for hosts listed in WEBHOOK_ALLOWED_HOSTS)"
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused("has a port out of range") from None
    addresses = resolve(host, port)
    if allowed:
        return addresses
    for address in addresses:
        if _forbidden(ipaddress.ip_address(address.split("%", 1)[0])):
            raise DestinationRefused(
                f"resolves to {address}, a loopback, private, link-local or reserved address "
                "(allowed only for hosts listed in WEBHOOK_ALLOWED_HOSTS)"
            )
    return addresses


def validate_destination(url: str) -> None:
    """The model field's validator: ``check_destination``'s refusal as a ValidationError. A
    host that does not resolve yet is taken (the worker checks again before each send)."""
    try:
        check_destination(url)
    except DestinationRefused as refusal:
        raise ValidationError(f"The URL {refusal}.", code="destination_refused") from None
