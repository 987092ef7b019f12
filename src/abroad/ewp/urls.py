"""The EWP pages, under /ewp/ (namespace ``ewp``)."""

from django.urls import path  # noqa: F401

app_name = "ewp"

urlpatterns: list = []
