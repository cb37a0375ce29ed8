"""The JSON parser of every API view: DRF's, refusing a document nested too deeply to read.

Python's decoder recurses once per level of nesting, so ``[[[[…]]]]`` a hundred thousand deep
raises ``RecursionError``, which DRF's parser does not catch: every JSON endpoint, anonymous
ones included, answered 500. Here it is a ``ParseError`` like any other unreadable body, which
each face answers as a 400 in its own shape.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply") from None
