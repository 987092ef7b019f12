"""The promoter's desk, under /mobility/desk/ (namespace "mobility")."""

from django.urls import path

from abroad.mobility import views_desk as views

urlpatterns = [
    path("", views.desk, name="desk"),
    path("la/<int:pk>/", views.la_review, name="la_review"),
    path("extension/<int:pk>/", views.extension_review, name="extension_review"),
    path("substitutes/", views.substitutes, name="substitutes"),
]
