from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="ws-index"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="workstations/login.html", next_page="ws-index"),
        name="ws-login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="ws-login"), name="ws-logout"),
    path("jobscan/", views.job_scan, name="ws-jobscan"),
    path("tray/", views.tray_assignment, name="ws-tray"),
    path("cancel/", views.order_cancel, name="ws-cancel"),
    path("pick/", views.pick_verification, name="ws-pick"),
    path("display/", views.dynamic_display, name="ws-display"),
]
