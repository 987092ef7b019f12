"""The network pages, under /networks/ (namespace ``networks``): the ATHENS sessions (public
catalogue, the student's application), the office's pages under office/, and double-degree
plans under double-degree/."""

from django.urls import path

from abroad.networks import views, views_office, views_plans

app_name = "networks"

urlpatterns = [
    path("", views.session_list, name="sessions"),
    path("athens/<slug:code>/", views.session_detail, name="session"),
    path("athens/<slug:code>/map.json", views.session_map_data, name="session_map_data"),
    path("athens/<slug:code>/apply/", views.apply, name="apply"),
    path("athens/<slug:code>/apply/courses/", views.save_choices, name="save_choices"),
    path("athens/<slug:code>/apply/motivation/", views.save_motivation, name="save_motivation"),
    path("athens/<slug:code>/apply/submit/", views.submit, name="submit"),
    path("athens/<slug:code>/apply/withdraw/", views.withdraw, name="withdraw"),
    path("athens/<slug:code>/apply/accept/", views.accept, name="accept"),
    path("athens/<slug:code>/apply/decline/", views.decline, name="decline"),
    # The office
    path("office/", views_office.session_list, name="office_sessions"),
    path("office/new/", views_office.session_edit, name="office_session_new"),
    path("office/<slug:code>/", views_office.session_detail, name="office_session"),
    path("office/<slug:code>/edit/", views_office.session_edit, name="office_session_edit"),
    path("office/<slug:code>/import/", views_office.import_courses, name="office_import"),
    path("office/<slug:code>/rank/", views_office.rank, name="office_rank"),
    path("office/<slug:code>/allocate/", views_office.allocate, name="office_allocate"),
    path("office/<slug:code>/publish/", views_office.publish, name="office_publish"),
    path("office/<slug:code>/close/", views_office.close, name="office_close"),
    path(
        "office/<slug:code>/participants/",
        views_office.participants,
        name="office_participants",
    ),
    path(
        "office/participations/<int:pk>/result/",
        views_office.record_result,
        name="office_record_result",
    ),
    # Double degrees
    path("double-degree/", views_plans.desk, name="plan_desk"),
    path("double-degree/<int:mobility>/", views_plans.plan, name="plan"),
    path("double-degree/<int:mobility>/save/", views_plans.save, name="plan_save"),
    path("double-degree/<int:mobility>/submit/", views_plans.submit, name="plan_submit"),
    path("double-degree/<int:mobility>/decide/", views_plans.decide, name="plan_decide"),
]
