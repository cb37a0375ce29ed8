"""gunicorn's access log without the secrets some clients put in a URL.

Item cancel partners authenticate with ``partnerBillingKey`` in the query string, and gunicorn
logs the whole request line. ``RedactingLogger`` writes the value of every query parameter
named in ``SECRET_PARAMETERS`` (in any case) as ``[redacted]`` in every atom a log format may
name (the request line ``%(r)s``, the query ``%(q)s``, the environ's ``QUERY_STRING`` and
``RAW_URI``); the headers that carry credentials are never written.
"""

from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

SECRET_PARAMETERS = frozenset(
    {"partnerbillingkey", "password", "token", "refreshtoken", "apikey", "api_key", "key"}
)
SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")
REDACTED = "[redacted]"


def redacted_query(query: str) -> str:
    """``query`` with the value of each secret parameter replaced by ``[redacted]``."""
    parts = []
    for part in query.split("&"):
        name, has_value, _ = part.partition("=")
        if has_value and unquote_plus(name).lower() in SECRET_PARAMETERS:
            part = f"{name}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        query = environ.get("QUERY_STRING", "")
        if query:
            safe = redacted_query(query)
            uri = f"{environ.get('RAW_URI', '').partition('?')[0]}?{safe}"
            atoms["q"] = atoms["{query_string}e"] = safe
            atoms["{raw_uri}e"] = uri
            atoms["r"] = f"{environ['REQUEST_METHOD']} {uri} {atoms['H']}"
        for header in SECRET_HEADERS:
            # As a request header (``%({authorization}i)s``) and in the environ (``…e``).
            for atom in (f"{{{header}}}i", f"{{http_{header.replace('-', '_')}}}e"):
                if atom in atoms:
                    atoms[atom] = REDACTED
        return atoms
