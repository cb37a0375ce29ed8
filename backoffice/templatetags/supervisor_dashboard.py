"""The supervisor dashboard, drawn on the admin index (templates/admin/index.html)."""

from django import template

from backoffice.dashboard import build_dashboard

register = template.Library()


@register.inclusion_tag("admin/orders/dashboard.html", takes_context=True)
def supervisor_dashboard(context):
    return {"dashboard": build_dashboard(context["request"].user)}
