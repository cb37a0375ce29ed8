from django.urls import path

from . import views

# Included at /api/orderCancel (labsite/urls.py); anything below it answers 404 in the envelope.
urlpatterns = [path("", views.OrderCancelView.as_view(), name="item-cancel")]
