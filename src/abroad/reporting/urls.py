from django.urls import path

from abroad.reporting import views

app_name = "statistics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("download/<slug:key>.<str:fmt>", views.download, name="download"),
    path("partners/<int:pk>/", views.partner, name="partner"),
    path("ifs02.<str:fmt>", views.ifs02, name="ifs02"),
]
