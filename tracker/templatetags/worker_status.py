"""The background workers' heartbeats, shown on the admin index."""

from django import template
from django.utils import timezone

from orders.models import LabSettings
from toolkit.workers import last_heartbeat

register = template.Library()

WORKERS = [("tracker", "Job Tracker"), ("spooler", "Print spooler"), ("webhooks", "Webhook worker")]


@register.inclusion_tag("tracker/worker_status.html")
def worker_status():
    window = LabSettings.load().tracker_heartbeat_seconds
    now = timezone.now()
    rows = []
    for kind, label in WORKERS:
        beat = last_heartbeat(kind)
        age = int((now - beat.beat_at).total_seconds()) if beat else None
        rows.append(
            {
                "label": label,
                "alive": age is not None and age <= window,
                "age": age,
                "host": f"{beat.hostname} pid {beat.pid}" if beat else "",
            }
        )
    return {"workers": rows, "window": window}
