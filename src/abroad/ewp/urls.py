"""The EWP pages, under /ewp/ (namespace ``ewp``)."""

from django.urls import path

from abroad.ewp import views
from abroad.ewp.network import (
    approval,
    cnr,
    iias,
    institutions,
    la_cnr,
    las,
    omobilities,
    tors,
)
from abroad.ewp.network import views as node

app_name = "ewp"

urlpatterns = [
    path("agreement/<int:pk>/", views.agreement_detail, name="agreement"),
    path("agreement/<int:pk>/iia.xml", views.agreement_xml, name="agreement_xml"),
    path("mobility/<int:pk>/la.xml", views.la_xml, name="la_xml"),
    path("mobility/<int:pk>/nomination.xml", views.nomination_xml, name="nomination_xml"),
    path("nominations.xml", views.nominations_xml, name="nominations_xml"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbound, name="inbound"),
    path("inbox/<int:pk>/accept/", views.inbound_accept, name="inbound_accept"),
    path("inbox/<int:pk>/discard/", views.inbound_discard, name="inbound_discard"),
    # The EWP node (docs/ewp.md, "The node"): the discovery manifest and the APIs.
    path("manifest.xml", node.manifest, name="manifest"),
    path("echo", node.echo, name="echo"),
    path("iias/index", iias.index, name="iias_index"),
    path("iias/get", iias.get, name="iias_get"),
    path("iia-cnr", cnr.iia_cnr, name="iia_cnr"),
    path("iias-approval", approval.iias_approval, name="iias_approval"),
    path("omobility-las/index", las.index, name="las_index"),
    path("omobility-las/get", las.get, name="las_get"),
    path("omobility-las/update", las.update, name="las_update"),
    path("omobility-las/stats", las.stats_view, name="las_stats"),
    path("omobility-la-cnr", la_cnr.omobility_la_cnr, name="omobility_la_cnr"),
    path("omobilities/index", omobilities.index, name="omobilities_index"),
    path("omobilities/get", omobilities.get, name="omobilities_get"),
    path("omobilities/update", omobilities.update, name="omobilities_update"),
    path("imobility-tor-cnr", tors.tor_cnr, name="imobility_tor_cnr"),
    path("institutions", institutions.institutions, name="institutions"),
    path("ounits", institutions.ounits, name="ounits"),
]
