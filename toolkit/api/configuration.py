"""The Lab API v2's configuration resources, written once: a collection and its records.

Printers, stations and delete reasons are each a collection (``GET`` a page of records in the
order of their names, ``POST`` a new one) and records named in the URL (``GET`` one, ``PATCH``
some of its fields, ``DELETE`` it). The flow is the same for all; what differs, each resource
declares, once for its two views (a class both inherit besides the generic view):

- ``model`` and ``lookup_field``, the field the URL names a record by (also the list's order,
  and the URL's parameter name);
- ``input_serializer``, a ``ValidatedModelSerializer``: the model's rules check what POST and
  PATCH bring; ``change_serializer``, where PATCH takes other fields than POST (the field the
  URL names a record by is fixed: ``StrictSerializer.fixed_fields``);
- ``view_serializer``, the record as the API shows it (and as the schema describes it);
- ``not_found``, the domain error for a name no record has (it gets the name);
- ``destroy(record)``, what DELETE does: stations and printers are deleted only while nothing
  uses them, delete reasons are deactivated;
- ``error_statuses``, the app's table of domain error -> status (``V2View``);

Each method needs the model's own right (``model_right``), as the admin's pages of the model
do. The schema of the two views is a ``ConfigurationSchema``: the six operations say the same
things of every resource, in the same words, so only the names and what differs are declared.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.contrib.auth import get_permission_codename
from django.db import models
from django.urls import URLPattern, path
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response

from toolkit.api.pagination import BoundedLimitOffsetPagination
from toolkit.api.schema import (
    PAGE_PARAMETERS,
    PAGE_PARAMETERS_INVALID,
    paginated,
    path_parameter,
    v2_operation,
)
from toolkit.api.v2_views import V2View
from toolkit.api.validated import ValidatedModelSerializer
from toolkit.errors import DomainError


def model_right(model: type[models.Model], action: str) -> str:
    """The permission Django gives ``model`` for ``action`` (``view``, ``add``, ``change``,
    ``delete``): what the admin's page of the model checks, and the configuration views too."""
    opts = model._meta
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


class ConfigurationView(V2View):
    """What the collection and the record views of a configuration resource share."""

    # The model's own right each method needs (``model_right``), as in the admin; a view
    # that also answers another method names its right in ``other_rights``.
    model_actions: ClassVar[dict[str, str]] = {}
    other_rights: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if hasattr(cls, "model"):
            cls.required_rights = {
                method: model_right(cls.model, action)
                for method, action in cls.model_actions.items()
            } | cls.other_rights

    model: ClassVar[type[models.Model]]
    view_serializer: ClassVar[type[serializers.Serializer]]
    lookup_field: ClassVar[str]
    input_serializer: ClassVar[type[ValidatedModelSerializer]]
    change_serializer: ClassVar[type[ValidatedModelSerializer] | None] = None
    not_found: ClassVar[Callable[[str], DomainError]]

    @classmethod
    def changes(cls) -> type[ValidatedModelSerializer]:
        """The serializer PATCH checks its input with."""
        return cls.change_serializer or cls.input_serializer

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

    model_actions = {"GET": "view", "POST": "add"}

    # The handlers carry no docstring: the schema describes each resource's operations.

    def records(self, request) -> models.QuerySet:
        """The records a page is taken from, in the order of their names (a resource with
        filters narrows them here)."""
        return self.model.objects.order_by(self.lookup_field)

    def get(self, request):
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(self.records(request), request, self)
        return paginator.get_paginated_response(self.view_serializer(page, many=True).data)

    def post(self, request):
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(self.represent(serializer.save()), status=201)


class ConfigurationRecordView(ConfigurationView):
    """``GET`` and ``PATCH`` (the fields given) one record, of a resource whose records are
    not deleted over the API."""

    model_actions = {"GET": "view", "PATCH": "change"}

    def get(self, request, **path):
        return Response(self.represent(self.find(path[self.lookup_field])))

    def patch(self, request, **path):
        record = self.find(path[self.lookup_field])
        serializer = self.changes()(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        return Response(self.represent(serializer.save()))


class ConfigurationDetailView(ConfigurationRecordView):
    """``GET``, ``PATCH`` and ``DELETE`` (``destroy``) one record."""

    model_actions = {"GET": "view", "PATCH": "change", "DELETE": "delete"}

    def destroy(self, record: models.Model) -> Response:
        raise NotImplementedError

    def delete(self, request, **path):
        return self.destroy(self.find(path[self.lookup_field]))


def configuration_urls(
    collection: str,
    list_view: type[ConfigurationListView],
    detail_view: type[ConfigurationRecordView],
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

    Decorate the views with ``list_view`` and ``detail_view``. The three resources' operations
    say the same things in the same words, so the operation ids, summaries and answers follow
    from the names: for the views of ``Printer`` with ``noun="printer"`` they are
    ``v2_printers_list`` "List printers", ``v2_printers_create`` "Add a printer",
    ``v2_printer_get`` "Fetch a printer", ``v2_printer_update`` "Change a printer" and
    ``v2_printer_delete`` "Delete a printer", and a name no record has answers 404 "No such
    printer"; the path parameter is the views' ``lookup_field``, a record and the input their
    ``view_serializer`` and ``input_serializer``. What differs between resources (why input is
    refused, what DELETE does) each one declares.
    """

    tag: str
    noun: str
    path_description: str  # of the record's name in the URL (the views' ``lookup_field``)
    page_description: str
    refused_new: str  # the 400 of POST
    refused_change: str  # the 400 of PATCH
    delete_description: str
    change_summary: str = ""  # "Change a <noun>" unless given
    delete_operation: str = "delete"  # e.g. "deactivate", for a resource that keeps its records
    delete_summary: str = ""  # "Delete a <noun>" unless given
    deleted: dict[int, OpenApiResponse] = field(default_factory=_deleted)  # DELETE's answer
    delete_refused: str = ""  # DELETE's 400, where a record in use is kept
    deletable: bool = True  # False: records are not deleted over the API (no DELETE)
    list_parameters: tuple = ()  # the collection's filters, besides the page's

    operation_name: str = ""  # the operation ids' name, where it is not the model's
    created_serializer: type | None = None  # POST's answer, where it is not a record's view

    def operation_id(self, view) -> str:
        """``v2_<name>``: ``operation_name``, or the model's name in snake case
        (``v2_delete_reason``)."""
        name = self.operation_name or re.sub(r"(?<!^)(?=[A-Z])", "_", view.model.__name__)
        return f"v2_{name.lower()}"

    def no_such_record(self, view) -> str:
        return (
            f'No such {self.noun}: `{{"error": "No record found", "details": '
            f'["Provided: <{view.lookup_field}>"]}}`.'
        )

    def list_view(self, view):
        """Describe ``GET`` (a page of records) and ``POST`` (a new one) of ``view``."""
        return extend_schema_view(
            get=v2_operation(
                operation_id=f"{self.operation_id(view)}s_list",
                tag=self.tag,
                summary=f"List {self.noun}s",
                parameters=[*PAGE_PARAMETERS, *self.list_parameters],
                ok={
                    200: OpenApiResponse(
                        paginated(f"Paginated{view.model.__name__}List", view.view_serializer()),
                        description=self.page_description,
                    )
                },
                errors={400: PAGE_PARAMETERS_INVALID},
            ),
            post=v2_operation(
                operation_id=f"{self.operation_id(view)}s_create",
                tag=self.tag,
                summary=f"Add a {self.noun}",
                request=view.input_serializer,
                ok={
                    201: OpenApiResponse(
                        self.created_serializer or view.view_serializer,
                        description=f"The new {self.noun}.",
                    )
                },
                errors={400: self.refused_new},
            ),
        )(view)

    def detail_view(self, view):
        """Describe ``GET``, ``PATCH`` and ``DELETE`` of one record of ``view``."""
        refusals = {400: self.delete_refused} if self.delete_refused else {}
        # What the three operations on a record share: its tag and the record's name in the path.
        record = {
            "tag": self.tag,
            "parameters": [path_parameter(view.lookup_field, self.path_description)],
        }
        no_such_record = self.no_such_record(view)
        operations = {}
        if self.deletable:
            operations["delete"] = v2_operation(
                operation_id=f"{self.operation_id(view)}_{self.delete_operation}",
                **record,
                summary=self.delete_summary or f"Delete a {self.noun}",
                description=self.delete_description,
                ok=self.deleted,
                errors={**refusals, 404: no_such_record},
            )
        return extend_schema_view(
            **operations,
            get=v2_operation(
                operation_id=f"{self.operation_id(view)}_get",
                **record,
                summary=f"Fetch a {self.noun}",
                ok={200: OpenApiResponse(view.view_serializer, description=f"The {self.noun}.")},
                errors={404: no_such_record},
            ),
            patch=v2_operation(
                operation_id=f"{self.operation_id(view)}_update",
                **record,
                summary=self.change_summary or f"Change a {self.noun}",
                request=view.changes(),
                ok={
                    200: OpenApiResponse(
                        view.view_serializer, description=f"The {self.noun}, changed."
                    )
                },
                errors={400: self.refused_change, 404: no_such_record},
            ),
        )(view)
