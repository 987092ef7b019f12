"""Public pages from the cache (abroad.core.cache): served to anonymous visitors without
queries, made stale by every change of what they show (a save, a delete, a link, an import,
the admin, a bulk write that calls catalogue_changed), never mixed between a signed-in user
and the public, nor between languages or HTMX fragments; ETag and Last-Modified answer 304
without rendering."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.http import http_date, parse_http_date

from abroad.catalogue.enums import AgreementStatus, ContactKind
from abroad.catalogue.importers.eche import import_eche
from abroad.catalogue.models import Contact, Institution, Offer, School
from abroad.core.cache import catalogue_changed
from abroad.people.enums import Role
from abroad.people.models import User
from tests.catalogue.test_import_eche import eche_row, write_eche
from tests.conftest import logged_in
from tests.factories import (
    CourseOfStudyFactory,
    NetworkFactory,
    OfferFactory,
    PromoterFactory,
    UserFactory,
    member,
)
from tests.networks.factories import CourseFactory, SessionFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def one_time_bucket(settings: Any) -> None:
    """A cached page is re-rendered when its time bucket ends (CACHE_PAGE_SECONDS), and its
    validators move on with it. Two requests of a test must not straddle that boundary: with a
    bucket longer than the epoch's age, every instant of the test is in bucket 0."""
    settings.CACHE_PAGE_SECONDS = int(time.time()) + 3600


@pytest.fixture
def world() -> dict[str, Any]:
    course = CourseOfStudyFactory.create(code="MECH", name="Mechanical Engineering")
    promoter = PromoterFactory.create(user__first_name="Anna", user__last_name="Bianchi")
    network = NetworkFactory.create(code="idea-league", name="IDEA League")
    offer = OfferFactory.create(
        courses=[course],
        seats=2,
        agreement__promoter=promoter,
        agreement__network=network,
        agreement__partner__name="Aalto University",
        agreement__partner__erasmus_code="SF ESPOO12",
    )
    member(network, offer.agreement.partner)
    session = SessionFactory.create(year=2027)
    athens_course = CourseFactory.create(session=session, title="Robotics week")
    return {
        "course": course,
        "promoter": promoter,
        "network": network,
        "offer": offer,
        "agreement": offer.agreement,
        "partner": offer.agreement.partner,
        "session": session,
        "athens_course": athens_course,
    }


def anonymous_get(url: str, **headers: Any) -> Any:
    return Client().get(url, **headers)


# ----------------------------------------------------------------------- from the cache


PUBLIC_URLS: list[Callable[[dict[str, Any]], str]] = [
    lambda w: reverse("home"),
    lambda w: reverse("catalogue:offers"),
    lambda w: reverse("catalogue:offers") + "?course=MECH&country=DE",
    lambda w: reverse("catalogue:offers-export"),
    lambda w: reverse("catalogue:map"),
    lambda w: reverse("catalogue:map-data"),
    lambda w: w["agreement"].get_absolute_url(),
    lambda w: w["partner"].get_absolute_url(),
    lambda w: reverse("catalogue:contacts"),
    lambda w: reverse("catalogue:info", args=["networks"]),
    lambda w: reverse("networks:sessions"),
    lambda w: w["session"].get_absolute_url(),
    lambda w: reverse("networks:session_map_data", args=[w["session"].code]),
    lambda w: "/api/offers?course=MECH",
    lambda w: "/api/agreements",
    lambda w: f"/api/agreements/{w['agreement'].pk}",
    lambda w: "/api/institutions",
    lambda w: "/api/courses",
    lambda w: "/api/networks",
    lambda w: "/api/athens/sessions",
    lambda w: f"/api/athens/sessions/{w['session'].code}/courses",
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_public_page_comes_from_the_cache_without_queries(
    world: dict[str, Any], url: Callable[[dict[str, Any]], str], django_assert_max_num_queries: Any
) -> None:
    first = anonymous_get(url(world))
    assert first.status_code == 200
    assert first["ETag"]
    with django_assert_max_num_queries(1):
        again = anonymous_get(url(world))
    assert again.status_code == 200
    assert again["ETag"] == first["ETag"]
    strip = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub(b"", again.content) == strip.sub(b"", first.content)
    assert again["Content-Type"] == first["Content-Type"]


def test_the_export_keeps_its_file_name_from_the_cache(world: dict[str, Any]) -> None:
    url = reverse("catalogue:offers-export")
    anonymous_get(url)
    again = anonymous_get(url)
    assert again["Content-Disposition"] == 'attachment; filename="destinations.csv"'
    assert "Aalto University" in again.content.decode("utf-8-sig")


# ------------------------------------------------------------------- made stale by changes


def _rename_partner(w: dict[str, Any]) -> None:
    partner: Institution = w["partner"]
    partner.name = "Aalto Yliopisto"
    partner.save()


def _delete_offer(w: dict[str, Any]) -> None:
    w["offer"].delete()


def _more_seats(w: dict[str, Any]) -> None:
    offer: Offer = w["offer"]
    offer.seats = 17
    offer.save()


def _draft_agreement(w: dict[str, Any]) -> None:
    w["agreement"].status = AgreementStatus.DRAFT
    w["agreement"].save()


def _rename_school(w: dict[str, Any]) -> None:
    school: School = w["course"].school
    school.name = "School of Tomorrow"
    school.save()


def _rename_course(w: dict[str, Any]) -> None:
    w["course"].name = "Robot Engineering"
    w["course"].save()


def _rename_network(w: dict[str, Any]) -> None:
    w["network"].name = "IDEA Alliance"
    w["network"].save()


def _new_member(w: dict[str, Any]) -> None:
    from tests.factories import InstitutionFactory

    member(w["network"], InstitutionFactory.create(name="Delft"))


def _rename_promoter(w: dict[str, Any]) -> None:
    user: User = w["promoter"].user
    user.last_name = "Rossi"
    user.save()


def _new_contact(w: dict[str, Any]) -> None:
    Contact.objects.create(kind=ContactKind.OFFICE, name="Mobility Help Point")


def _session_year(w: dict[str, Any]) -> None:
    w["session"].year = 2031
    w["session"].save()


def _rename_athens_course(w: dict[str, Any]) -> None:
    w["athens_course"].title = "Drones week"
    w["athens_course"].save()


def _unlink_course(w: dict[str, Any]) -> None:
    w["offer"].courses.remove(w["course"])


CHANGES: list[tuple[str, Callable[[dict[str, Any]], str], str, str, Callable[..., None]]] = [
    ("institution", lambda w: reverse("catalogue:offers"), "Aalto University", "Aalto Yliopisto",
     _rename_partner),
    ("offer deleted", lambda w: reverse("catalogue:offers"), "Aalto University", "", _delete_offer),
    ("offer", lambda w: "/api/offers", '"seats": 2', '"seats": 17', _more_seats),
    ("agreement", lambda w: "/api/agreements", '"count": 1', '"count": 0', _draft_agreement),
    ("school", lambda w: reverse("catalogue:contacts"), "School of Industrial",
     "School of Tomorrow", _rename_school),
    ("course of study", lambda w: reverse("home"), "Mechanical Engineering", "Robot Engineering",
     _rename_course),
    ("network", lambda w: reverse("catalogue:info", args=["networks"]), "IDEA League",
     "IDEA Alliance", _rename_network),
    ("network member", lambda w: "/api/networks", '"member_count": 1}', '"member_count": 2}',
     _new_member),
    ("promoter's name", lambda w: w["agreement"].get_absolute_url(), "Anna Bianchi", "Anna Rossi",
     _rename_promoter),
    ("contact", lambda w: reverse("catalogue:contacts"), "International Mobility Unit",
     "Mobility Help Point", _new_contact),
    ("ATHENS session", lambda w: reverse("networks:sessions"), "2027", "2031", _session_year),
    ("ATHENS course", lambda w: w["session"].get_absolute_url(), "Robotics week", "Drones week",
     _rename_athens_course),
    ("course link", lambda w: reverse("catalogue:offers") + "?course=MECH", "Aalto University", "",
     _unlink_course),
]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "before", "after", "change"),
    [case[1:] for case in CHANGES],
    ids=[case[0] for case in CHANGES],
)
def test_each_change_of_what_a_public_page_shows_reaches_it(
    world: dict[str, Any],
    url: Callable[[dict[str, Any]], str],
    before: str,
    after: str,
    change: Callable[[dict[str, Any]], None],
) -> None:
    first = anonymous_get(url(world))
    page = first.content.decode()
    assert before in page
    if after:
        assert after not in page
    change(world)
    again = anonymous_get(url(world), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    page = again.content.decode()
    if after:
        assert after in page
    else:
        assert before not in page


def test_a_bulk_write_reaches_the_pages_once_it_calls_catalogue_changed(
    world: dict[str, Any],
) -> None:
    url = reverse("catalogue:offers")
    assert "Aalto University" in anonymous_get(url).content.decode()
    # A queryset's update sends no signal: the page is stale until catalogue_changed()...
    Institution.objects.filter(pk=world["partner"].pk).update(name="Aalto Yliopisto")
    assert "Aalto University" in anonymous_get(url).content.decode()
    catalogue_changed()
    assert "Aalto Yliopisto" in anonymous_get(url).content.decode()


def test_an_import_reaches_the_pages(world: dict[str, Any], tmp_path: Path) -> None:
    url = reverse("catalogue:offers")
    assert "Aalto University" in anonymous_get(url).content.decode()
    # The ECHE import writes with bulk_update (no signals) inside write_atomically.
    row = eche_row("SF ESPOO12", "AALTO-KORKEAKOULUSAATIO SR", "ESPOO", "FI")
    path = write_eche(tmp_path / "eche.xlsx", [row])
    report = import_eche(path)
    assert report.updated
    assert "Aalto University" not in anonymous_get(url).content.decode()


def test_a_change_in_the_admin_reaches_the_pages(world: dict[str, Any]) -> None:
    url = reverse("catalogue:offers")
    assert "Aalto University" in anonymous_get(url).content.decode()
    office = UserFactory.create(username="imu", role=Role.OFFICE, is_staff=True, is_superuser=True)
    response = logged_in(office).post(
        reverse("admin:catalogue_offer_changelist"),
        {"action": "delete_selected", "_selected_action": [world["offer"].pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Offer.objects.exists()
    assert "Aalto University" not in anonymous_get(url).content.decode()


def test_a_log_in_does_not_make_the_pages_stale(world: dict[str, Any]) -> None:
    url = reverse("catalogue:offers")
    first = anonymous_get(url)
    promoter: User = world["promoter"].user
    promoter.last_login = dt.datetime.now(tz=dt.UTC)
    promoter.save(update_fields=["last_login"])
    assert anonymous_get(url)["ETag"] == first["ETag"]


# ---------------------------------------------------------------- never mixed between people


def test_a_signed_in_user_never_gets_the_anonymous_page_nor_leaves_theirs(
    world: dict[str, Any], student: User
) -> None:
    url = reverse("catalogue:offers")
    anonymous = anonymous_get(url)
    assert "Log in" in anonymous.content.decode()
    signed_in = logged_in(student).get(url)
    assert "Log out" in signed_in.content.decode()
    assert "Log in<" not in signed_in.content.decode()
    assert "no-store" in signed_in["Cache-Control"]
    assert "ETag" not in signed_in
    # ...and the next anonymous visitor gets the public page, not the student's.
    again = anonymous_get(url)
    assert "Log out" not in again.content.decode()
    assert again["ETag"] == anonymous["ETag"]


def test_an_anonymous_visitor_never_gets_a_page_rendered_for_a_user(
    world: dict[str, Any], office: User
) -> None:
    world["agreement"].status = AgreementStatus.DRAFT
    world["agreement"].save()
    url = world["agreement"].get_absolute_url()
    assert logged_in(office).get(url).status_code == 200  # the office sees the draft
    assert anonymous_get(url).status_code == 404
    home = logged_in(office).get(reverse("home")).content.decode()
    assert "Log out" in home
    assert "Log out" not in anonymous_get(reverse("home")).content.decode()


def test_languages_are_cached_apart(world: dict[str, Any]) -> None:
    url = reverse("catalogue:offers")
    english = anonymous_get(url, HTTP_ACCEPT_LANGUAGE="en")
    italian = anonymous_get(url, HTTP_ACCEPT_LANGUAGE="it")
    assert '<html lang="en">' in english.content.decode()
    assert '<html lang="it">' in italian.content.decode()
    assert english["ETag"] != italian["ETag"]
    cookie = Client()
    cookie.cookies["django_language"] = "it"
    assert '<html lang="it">' in cookie.get(url).content.decode()
    assert '<html lang="en">' in anonymous_get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_htmx_fragment_and_the_page_are_cached_apart(world: dict[str, Any]) -> None:
    url = reverse("catalogue:offers") + "?country=DE"
    page = anonymous_get(url).content.decode()
    fragment = anonymous_get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    assert "<html" in page
    assert "<html" not in fragment.content.decode()
    assert "Aalto University" in fragment.content.decode()
    assert "<html" in anonymous_get(url).content.decode()


def test_a_cached_page_carries_each_visitors_own_csrf_token(world: dict[str, Any]) -> None:
    url = reverse("catalogue:offers")
    anonymous_get(url)  # cached
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    response = visitor.post(
        reverse("set_language"),
        {"csrfmiddlewaretoken": token.group(1), "language": "it", "next": url},
    )
    assert response.status_code == 302


def test_a_visitor_with_a_message_waiting_gets_a_page_of_their_own(world: dict[str, Any]) -> None:
    url = reverse("catalogue:offers")
    cached = anonymous_get(url)
    visitor = Client()
    visitor.cookies["messages"] = "anything"
    response = visitor.get(url)
    assert response.status_code == 200
    assert "ETag" not in response
    assert anonymous_get(url)["ETag"] == cached["ETag"]


# ------------------------------------------------------------------ conditional requests


def test_if_none_match_answers_304_without_a_query(
    world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    url = reverse("catalogue:offers") + "?course=MECH"
    first = anonymous_get(url)
    assert first["ETag"].startswith('W/"')
    assert first["Last-Modified"]
    assert "no-cache" in first["Cache-Control"]
    with django_assert_max_num_queries(0):
        response = anonymous_get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304
    assert response["ETag"] == first["ETag"]
    assert response.content == b""


def test_if_modified_since_answers_304_until_the_data_changes(world: dict[str, Any]) -> None:
    url = "/api/offers"
    first = anonymous_get(url)
    since = http_date(dt.datetime.now(tz=dt.UTC).timestamp() + 1)
    assert anonymous_get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    _more_seats(world)
    changed = anonymous_get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert '"seats": 17' in changed.content.decode()
    assert anonymous_get(url, HTTP_IF_MODIFIED_SINCE=since).status_code == 304


def test_a_new_time_bucket_renders_the_page_again_with_new_validators(
    world: dict[str, Any], settings: Any
) -> None:
    settings.CACHE_PAGE_SECONDS = 60
    url = "/api/offers"
    first = anonymous_get(url)
    bucket = int(time.time()) // 60
    again = anonymous_get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    if int(time.time()) // 60 == bucket:  # the same minute: still fresh
        assert again.status_code == 304
    settings.CACHE_PAGE_SECONDS = 1  # now every second is a bucket of its own, later than the first
    later = anonymous_get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert later.status_code == 200
    assert later["ETag"] != first["ETag"]
    assert parse_http_date(later["Last-Modified"]) >= parse_http_date(first["Last-Modified"])


def test_a_signed_in_user_gets_no_validators_and_a_full_page(
    world: dict[str, Any], student: User
) -> None:
    url = reverse("catalogue:offers")
    etag = anonymous_get(url)["ETag"]
    response = logged_in(student).get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "ETag" not in response
    assert "private" in response["Cache-Control"]


def test_a_broken_cache_breaks_neither_a_page_nor_a_change(
    world: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(not_a_folder / "cache"),
        }
    }
    url = reverse("catalogue:offers")
    assert "Aalto University" in anonymous_get(url).content.decode()
    _rename_partner(world)
    response = anonymous_get(url)
    assert response.status_code == 200
    assert "Aalto Yliopisto" in response.content.decode()
    assert "ETag" not in response


def test_with_the_database_cache_a_hit_costs_one_query(
    world: dict[str, Any], settings: Any, django_assert_max_num_queries: Any
) -> None:
    from django.core.management import call_command

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "abroad_test_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    url = reverse("catalogue:offers")
    first = anonymous_get(url)
    with django_assert_max_num_queries(1):
        again = anonymous_get(url)
    assert again["ETag"] == first["ETag"]
    _rename_partner(world)
    changed = anonymous_get(url)
    assert changed["ETag"] != first["ETag"]
    assert "Aalto Yliopisto" in changed.content.decode()
