"""The Lab API v2's configuration resources, written once: a collection and its records.

Printers, stations and delete reasons are each a collection (``GET`` a page of records in the
order of their names, ``POST`` a new one) and records named in the URL (``GET`` one, ``PATCH``
some of its fields, ``DELETE`` it). The flow is the same for all; what differs, each resource
declares, once for its two views (a class both inherit besides the generic view):

- ``model`` and ``lookup_field``, the field the URL names a record by (also the list's order,
  and the URL's parameter name);
- ``view_serializer``, the record as the API shows it (and as the schema describes it);
- ``input_serializer``, a ``ValidatedModelSerializer``: the model's rules check what POST and
  PATCH bring;
- ``not_found``, the domain error for a name no record has (it gets the name);
- ``destroy(record)``, what DELETE does: stations and printers are deleted only while nothing
  uses them, delete reasons are deactivated;
- ``error_statuses``, the app's table of domain error -> status (``V2View``);

and each view its ``required_rights``, the right of each method. The schema of the two views
is a ``ConfigurationSchema``: the six operations say the same things of every resource, in the
same words, so only the names and what differs are declared; the serializers it names are the
views'.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models
from django.urls import URLPattern, path
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response

from toolkit.api.pagination import BoundedLimitOffsetPagination
from toolkit.api.schema import PAGE_PARAMETERS, PAGE_PARAMETERS_INVALID, paginated, v2_errors
from toolkit.api.v2_views import V2View
from toolkit.api.validated import ValidatedModelSerializer
from toolkit.errors import DomainError


class ConfigurationView(V2View):
    """What the collection and the record views of a configuration resource share."""

    model: ClassVar[type[models.Model]]
    lookup_field: ClassVar[str]
    view_serializer: ClassVar[type[serializers.Serializer]]
    input_serializer: ClassVar[type[ValidatedModelSerializer]]
    not_found: ClassVar[Callable[[str], DomainError]]

    def represent(self, record: models.Model) -> dict[str, Any]:
        """The record as the API shows it."""
        return self.view_serializer(record).data

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
        return paginator.get_paginated_response(self.view_serializer(page, many=True).data)

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


def configuration_urls(
    collection: str,
    list_view: type[ConfigurationListView],
    detail_view: type[ConfigurationDetailView],
    *,
    name: str,
) -> list[URLPattern]:
    """A resource's two routes: ``<collection>``, named ``<name>s``, and a record below it
    named by its ``lookup_field``, named ``<name>``."""
    return [
        path(collection, list_view.as_view(), name=f"{name}s"),
        path(f"{collection}/<str:{detail_view.lookup_field}>", detail_view.as_view(), name=name),
    ]


def _deleted() -> dict[int, OpenApiResponse]:
    return {204: OpenApiResponse(description="Deleted.")}


@dataclass(frozen=True)
class ConfigurationSchema:
    """The OpenAPI description of a configuration resource's collection and record views.

    Decorate the views with ``list_view`` and ``detail_view``; a record and what POST and PATCH
    take are the view's ``view_serializer`` and ``input_serializer``. The three resources'
    operations say the same things in the same words, so the operation ids, summaries and
    answers follow from the names: with ``operation_id="v2_printer"`` and ``noun="printer"``
    they are ``v2_printers_list`` "List printers", ``v2_printers_create`` "Add a printer",
    ``v2_printer_get`` "Fetch a printer", ``v2_printer_update`` "Change a printer" and
    ``v2_printer_delete`` "Delete a printer", and a name no record has answers 404 "No such
    printer". What differs between resources (why input is refused, what DELETE does) each
    one declares.
    """

    tag: str
    operation_id: str
    noun: str
    path_parameter: OpenApiParameter  # the record's name in the URL
    page_component: str  # the component of a page of records, "Paginated<Name>List"
    page_description: str
    refused_new: str  # the 400 of POST
    refused_change: str  # the 400 of PATCH
    delete_description: str
    change_summary: str = ""  # "Change a <noun>" unless given
    delete_operation: str = "delete"  # e.g. "deactivate", for a resource that keeps its records
    delete_summary: str = ""  # "Delete a <noun>" unless given
    deleted: dict[int, OpenApiResponse] = field(default_factory=_deleted)  # DELETE's answer
    delete_refused: str = ""  # DELETE's 400, where a record in use is kept

    @property
    def no_such_record(self) -> str:
        return (
            f'No such {self.noun}: `{{"error": "No record found", "details": '
            f'["Provided: <{self.path_parameter.name}>"]}}`.'
        )

    def list_view(self, view):
        """Describe ``GET`` (a page of records) and ``POST`` (a new one) of ``view``."""
        return extend_schema_view(
            get=extend_schema(
                operation_id=f"{self.operation_id}s_list",
                tags=[self.tag],
                summary=f"List {self.noun}s",
                parameters=PAGE_PARAMETERS,
                responses={
                    200: OpenApiResponse(
                        paginated(self.page_component, view.view_serializer()),
                        description=self.page_description,
                    ),
                    **v2_errors({400: PAGE_PARAMETERS_INVALID}),
                },
            ),
            post=extend_schema(
                operation_id=f"{self.operation_id}s_create",
                tags=[self.tag],
                summary=f"Add a {self.noun}",
                request=view.input_serializer,
                responses={
                    201: OpenApiResponse(view.view_serializer, description=f"The new {self.noun}."),
                    **v2_errors({400: self.refused_new}),
                },
            ),
        )(view)

    def detail_view(self, view):
        """Describe ``GET``, ``PATCH`` and ``DELETE`` of one record of ``view``."""
        refusals = {400: self.delete_refused} if self.delete_refused else {}
        return extend_schema_view(
            get=extend_schema(
                operation_id=f"{self.operation_id}_get",
                tags=[self.tag],
                summary=f"Fetch a {self.noun}",
                parameters=[self.path_parameter],
                responses={
                    200: OpenApiResponse(view.view_serializer, description=f"The {self.noun}."),
                    **v2_errors({404: self.no_such_record}),
                },
            ),
            patch=extend_schema(
                operation_id=f"{self.operation_id}_update",
                tags=[self.tag],
                summary=self.change_summary or f"Change a {self.noun}",
                parameters=[self.path_parameter],
                request=view.input_serializer,
                responses={
                    200: OpenApiResponse(
                        view.view_serializer, description=f"The {self.noun}, changed."
                    ),
                    **v2_errors({400: self.refused_change, 404: self.no_such_record}),
                },
            ),
            delete=extend_schema(
                operation_id=f"{self.operation_id}_{self.delete_operation}",
                tags=[self.tag],
                summary=self.delete_summary or f"Delete a {self.noun}",
                description=self.delete_description,
                parameters=[self.path_parameter],
                responses={
                    **self.deleted,
                    **v2_errors({**refusals, 404: self.no_such_record}),
                },
            ),
        )(view)
