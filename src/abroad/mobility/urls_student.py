"""The student's side of a mobility, under /mobility/ (namespace ``mobility``)."""

from django.urls import path

from abroad.mobility import views_pdf
from abroad.mobility import views_student as views

urlpatterns = [
    path("", views.mobility_list, name="list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/thesis/", views.thesis, name="thesis"),
    path("<int:pk>/dates/", views.planned_dates, name="planned_dates"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/documents/<int:doc>/", views.document, name="document"),
    path("<int:pk>/la/", views.agreement, name="la"),
    path("<int:pk>/la/open/", views.agreement_open, name="la_open"),
    path("<int:pk>/la/edit/", views.agreement_edit, name="la_edit"),
    path("<int:pk>/la/check/", views.agreement_check, name="la_check"),
    path("<int:pk>/la/submit/", views.agreement_submit, name="la_submit"),
    path("<int:pk>/la/<int:number>/", views.agreement_version, name="la_version"),
    path("<int:pk>/la/<int:number>/pdf/", views_pdf.la_pdf, name="la_pdf"),
    path("<int:pk>/extension/", views.extension, name="extension"),
    path(
        "<int:pk>/extension/<int:ext>/withdraw/",
        views.extension_withdraw,
        name="extension_withdraw",
    ),
]
