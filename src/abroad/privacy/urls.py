from django.urls import path

from abroad.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.notice, name="notice"),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/export/", views.my_data_export, name="my_data_export"),
    path("office/", views.office_people, name="office_people"),
    path("office/<int:pk>/", views.office_person, name="office_person"),
    path("office/<int:pk>/export/", views.office_export, name="office_export"),
    path("office/<int:pk>/erase/", views.office_erase, name="office_erase"),
]
