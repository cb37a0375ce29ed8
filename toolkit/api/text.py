"""Text every API face echoes back to a client."""


def encodable(text: str) -> str:
    """``text`` safe to encode as UTF-8: a lone surrogate (from a JSON ``"\\udXXX"`` escape in
    client input) is shown escaped rather than failing the response with a 500."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")
