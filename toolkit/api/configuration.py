"""The Lab API v2's configuration resources, written once: a collection and its records.

Printers, stations and delete reasons are each a collection (``GET`` a page of records in the
order of their names, ``POST`` a new one) and records named in the URL (``GET`` one, ``PATCH``
some of its fields, ``DELETE`` it). The flow is the same for all; what differs, each resource
declares, once for its two views (a class both inherit besides the generic view):

- ``model`` and ``lookup_field``, the field the URL names a record by (also the list's order,
  and the URL's parameter name);
- ``input_serializer``, a ``ValidatedModelSerializer``: the model's rules check what POST and
  PATCH bring;
- ``represent(record)``, the record as the API shows it;
- ``not_found``, the domain error for a name no record has (it gets the name);
- ``destroy(record)``, what DELETE does: stations and printers are deleted only while nothing
  uses them, delete reasons are deactivated;
- ``error_statuses``, the app's table of domain error -> status (``V2View``);

and each view its ``required_rights``, the right of each method, and its schema.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from django.db import models
from rest_framework.response import Response

from toolkit.api.pagination import BoundedLimitOffsetPagination
from toolkit.api.v2_views import V2View
from toolkit.api.validated import ValidatedModelSerializer
from toolkit.errors import DomainError


class ConfigurationView(V2View):
    """What the collection and the record views of a configuration resource share."""

    model: ClassVar[type[models.Model]]
    lookup_field: ClassVar[str]
    input_serializer: ClassVar[type[ValidatedModelSerializer]]
    not_found: ClassVar[Callable[[str], DomainError]]

    def represent(self, record: models.Model) -> dict[str, Any]:
        raise NotImplementedError

    def find(self, name: str) -> models.Model:
        """The record the URL names, or the resource's ``not_found`` error."""
        # No stored name contains NUL, and PostgreSQL refuses to compare text containing one.
        found = None
        if "\x00" not in name:
            found = self.model.objects.filter(**{self.lookup_field: name}).first()
        if found is None:
            raise self.not_found(name)
        return found


class ConfigurationListView(ConfigurationView):
    """``GET``: a page of the records, in the order of their names; ``POST``: a new record."""

    # The handlers carry no docstring: the schema describes each resource's operations.

    def get(self, request):
        paginator = BoundedLimitOffsetPagination()
        records = self.model.objects.order_by(self.lookup_field)
        page = paginator.paginate_queryset(records, request, self)
        return paginator.get_paginated_response([self.represent(record) for record in page])

    def post(self, request):
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(self.represent(serializer.save()), status=201)


class ConfigurationDetailView(ConfigurationView):
    """``GET``, ``PATCH`` (the fields given) and ``DELETE`` (``destroy``) one record."""

    def destroy(self, record: models.Model) -> Response:
        raise NotImplementedError

    def get(self, request, **path):
        return Response(self.represent(self.find(path[self.lookup_field])))

    def patch(self, request, **path):
        record = self.find(path[self.lookup_field])
        serializer = self.input_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(self.represent(serializer.save()))

    def delete(self, request, **path):
        return self.destroy(self.find(path[self.lookup_field]))
