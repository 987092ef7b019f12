"""The recognition pages, under /recognition/ (namespace ``recognition``)."""

from django.urls import path, re_path

from abroad.recognition import views, views_office

app_name = "recognition"

urlpatterns = [
    path("mobility/<int:pk>/", views.transcript, name="transcript"),
    path("mobility/<int:pk>/enter/", views.transcript_enter, name="transcript_enter"),
    path("mobility/<int:pk>/conversion/", views.conversion_page, name="conversion"),
    path("mobility/<int:pk>/accept/", views.accept, name="accept"),
    path("mobility/<int:pk>/dispute/", views.dispute, name="dispute"),
    path("mobility/<int:pk>/propose/", views.propose, name="propose"),
    path("mobility/<int:pk>/validate/", views.validate, name="validate"),
    path("line/<int:pk>/adjust/", views.adjust, name="adjust"),
    path("rules/", views_office.rules_list, name="rules"),
    path("grading-tables/", views_office.grading_tables, name="grading_tables"),
    path("grading-tables/<int:pk>/", views_office.grading_table, name="grading_table"),
    re_path(r"^export\.(?P<fmt>csv|xlsx)$", views_office.export, name="export"),
    path("desk/", views_office.desk, name="desk"),
]
