from django.urls import path

from abroad.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("destinations/", views.offer_list, name="offers"),
    path("destinations/export.csv", views.offer_export, name="offers-export"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution"),
    path("map/", views.map_view, name="map"),
    path("map/points.json", views.map_data, name="map-data"),
    path("contacts/", views.contacts, name="contacts"),
    path("info/<slug:slug>/", views.info, name="info"),
]
