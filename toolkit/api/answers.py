"""Serializers that write the answers of the hottest endpoints, with their fields built once.

A serializer's answer is also its OpenAPI schema: the class a view answers with is the class
its ``extend_schema`` names. ``Serializer(obj).data`` builds the serializer's fields afresh for
every object: a deep copy of each declared field, then binding it, about 10 µs a field. For an
answer of a few fields on a request that writes to the database that is noise; for the Lab API
v2 order (35 fields, and a dozen for each of its items) it is about 0.8 ms, some 45 % of a
fetch, the most frequent request the lab gets (bench/shapes_bench.py).

``AnswerSerializer.represent(obj)`` writes ``obj`` with one instance of the class, built on
first use and kept for the life of the process, as a ``ListSerializer`` keeps one child for all
of its items: its fields are bound once, and ``to_representation`` only reads them, so the
instance can serve any request, in any thread. It has no context: a field that needs one (the
request, say) has no place in an ``AnswerSerializer``. Writing costs about 2 µs a field.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

from rest_framework import serializers


class AnswerSerializer(serializers.Serializer):
    # The shape of an answer, written with fields built once per process (``represent``). No
    # docstring: the schema would give it to every answer that has none of its own.

    @classmethod
    def represent(cls, instance: Any) -> dict[str, Any]:
        """``instance`` as this serializer writes it (what ``cls(instance).data`` holds)."""
        return _kept(cls).to_representation(instance)

    @classmethod
    def represent_all(cls, instances: Iterable[Any]) -> list[dict[str, Any]]:
        """Each of ``instances`` as this serializer writes it, in order."""
        kept = _kept(cls)
        return [kept.to_representation(instance) for instance in instances]


@cache
def _kept(serializer_class: type[AnswerSerializer]) -> AnswerSerializer:
    serializer = serializer_class()
    serializer.fields  # noqa: B018 -- bound now rather than on the first answer
    return serializer
