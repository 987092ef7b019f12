"""The office's pages of the calls, under /calls/office/ (namespace "selection")."""

from django.urls import path

from abroad.selection import views_office as views

urlpatterns = [
    path("", views.call_list, name="office_calls"),
    path("new/", views.call_create, name="office_call_create"),
    path("<slug:code>/", views.call_detail, name="office_call"),
    path("<slug:code>/edit/", views.call_edit, name="office_call_edit"),
    path("<slug:code>/offers/", views.call_offers, name="office_call_offers"),
    path("<slug:code>/offers/change/", views.call_offers_change, name="office_call_offers_change"),
    path("<slug:code>/fill-offers/", views.fill_offers, name="office_fill_offers"),
    path("<slug:code>/rank/", views.rank, name="office_rank"),
    path("<slug:code>/ranking/", views.ranking, name="office_ranking"),
    path("<slug:code>/ranking.csv", views.ranking_export, name="office_ranking_export"),
    path("<slug:code>/rounds/", views.round_create, name="office_round_create"),
    path("<slug:code>/rounds/<int:number>/", views.round_detail, name="office_round"),
    path("<slug:code>/rounds/<int:number>/run/", views.round_run, name="office_round_run"),
    path(
        "<slug:code>/rounds/<int:number>/compare/",
        views.round_compare,
        name="office_round_compare",
    ),
    path(
        "<slug:code>/rounds/<int:number>/publish/",
        views.round_publish,
        name="office_round_publish",
    ),
    path("<slug:code>/rounds/<int:number>/close/", views.round_close, name="office_round_close"),
    path("<slug:code>/commission/", views.commission, name="office_commission"),
    path(
        "<slug:code>/commission/<int:application>/",
        views.commission_score,
        name="office_commission_score",
    ),
    path("<slug:code>/nominations/", views.nominations, name="office_nominations"),
    path(
        "<slug:code>/nominations.<str:fmt>",
        views.nominations_export,
        name="office_nominations_export",
    ),
]
