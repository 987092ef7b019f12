from django.urls import include, path

app_name = "mobility"

urlpatterns = [
    path("", include("abroad.mobility.urls_student")),
    path("desk/", include("abroad.mobility.urls_desk")),
    path("office/", include("abroad.mobility.urls_office")),
]
