"""The grant pages, under /grants/ (namespace ``grants``)."""

from django.urls import path

from abroad.grants import views

app_name = "grants"

urlpatterns = [
    path("mobility/<int:pk>/", views.mobility_grant, name="mobility"),
    path("office/payments/", views.payments, name="payments"),
    path("office/payments/export/", views.payments_export, name="payments_export"),
    path("office/rates/import/", views.rates_import, name="rates_import"),
]
