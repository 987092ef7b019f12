"""The office's pages of the mobilities, under /mobility/office/ (namespace "mobility")."""

from django.urls import path

from abroad.mobility import views_office as views

urlpatterns = [
    path("", views.office_list, name="office_list"),
    path("export.csv", views.office_export, name="office_export"),
    path("<int:pk>/", views.office_mobility, name="office_mobility"),
    path("<int:pk>/state/", views.office_state, name="office_state"),
    path("<int:pk>/dates/", views.office_dates, name="office_dates"),
    path("<int:pk>/certificate/", views.office_certificate, name="office_certificate"),
    path("la/<int:pk>/host-signature/", views.host_signature, name="host_signature"),
]
