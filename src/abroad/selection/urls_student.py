"""The student's side of the calls, under /calls/ (the office's pages are under
/calls/office/, so no call code may be "office")."""

from django.urls import path, register_converter

from abroad.selection import views_student as views


class CallCodeConverter:
    """A call's code (a slug), never "office": that prefix belongs to the office's pages."""

    regex = r"(?!office/)[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CallCodeConverter, "call_code")

urlpatterns = [
    path("", views.call_list, name="calls"),
    path("<call_code:code>/", views.call_detail, name="call"),
    path("<call_code:code>/ranking/", views.save_ranking, name="ranking"),
    path("<call_code:code>/submit/", views.submit, name="submit"),
    path("<call_code:code>/withdraw/", views.withdraw, name="withdraw"),
    path(
        "<call_code:code>/applications/<int:pk>/",
        views.application_detail,
        name="application",
    ),
    path(
        "<call_code:code>/assignments/<int:pk>/accept/",
        views.accept,
        name="accept",
    ),
    path(
        "<call_code:code>/assignments/<int:pk>/renounce/",
        views.renounce,
        name="renounce",
    ),
]
