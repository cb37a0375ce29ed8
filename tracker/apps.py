from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Job tracking"

    def ready(self):
        from orders import hooks

        from .services import latest_checkin_station, refuse_cancel_after_non_cancel_station

        hooks.cancel_refusals.register(refuse_cancel_after_non_cancel_station)
        hooks.production_stations.register(latest_checkin_station)
