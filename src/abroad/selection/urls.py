from django.urls import include, path

app_name = "selection"

urlpatterns = [
    path("", include("abroad.selection.urls_student")),
    path("office/", include("abroad.selection.urls_office")),
]
