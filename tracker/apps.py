from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Job tracking"

    def ready(self):
        from orders import hooks
        from orders.models import Station

        from .services import (
            forget_stations,
            latest_checkin_station,
            refuse_cancel_after_non_cancel_station,
        )

        hooks.cancel_refusals.register(refuse_cancel_after_non_cancel_station)
        hooks.production_stations.register(latest_checkin_station)

        # A station saved or deleted in this process is looked up afresh at once.
        post_save.connect(forget_stations, sender=Station, dispatch_uid="stations:save")
        post_delete.connect(forget_stations, sender=Station, dispatch_uid="stations:delete")
