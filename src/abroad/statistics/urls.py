from django.urls import path

from abroad.statistics import views

app_name = "statistics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("download/<slug:key>.<str:fmt>", views.download, name="download"),
    path("partners/<int:pk>/", views.partner, name="partner"),
]
