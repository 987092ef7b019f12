"""The office's call editor (issue 18, points 1 and 4): creating a call and changing its dates
and rules on /calls/office/, its offers chosen with the catalogue's filters and added or
removed in bulk, with 2,100 offers in a call; the rule that a call's offers come from its
programmes and mobility types (a semester call refuses an ATHENS week and a double degree);
who may; constant query counts."""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from abroad.catalogue.enums import MobilityType, Programme
from abroad.catalogue.models import CourseOfStudy, Institution, Network, Offer, School
from abroad.core.importing import refresh_statistics
from abroad.core.models import AuditEvent
from abroad.people.models import User
from abroad.selection import services
from abroad.selection.enums import ApplicationState, AssignmentState, RoundState
from abroad.selection.models import Call, CallOffer, Round
from abroad.selection.services import SelectionError
from tests.conftest import logged_in
from tests.factories import (
    AgreementFactory,
    CourseOfStudyFactory,
    InstitutionFactory,
    NetworkFactory,
    OfferFactory,
    SchoolFactory,
)
from tests.selection.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    PreferenceFactory,
    RoundFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

MANY = 2_100
FORMAT = "%Y-%m-%dT%H:%M"


def url(name: str, *args: Any) -> str:
    return reverse(f"selection:{name}", args=args)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@dataclass
class Big:
    call: Call
    course: CourseOfStudy
    school: School
    # partners by country: DE (1,000 offers), FR (700), ES (400)
    partners: dict[str, Institution]


def bulk_offers(
    count: int,
    *,
    course: CourseOfStudy,
    partner: Institution,
    programme: str = Programme.ERASMUS,
    network: Network | None = None,
    months: int = 6,
    mobility_type: str = MobilityType.STUDY,
) -> list[Offer]:
    """``count`` offers of one agreement with ``partner``, open to ``course``, in two bulk
    inserts (the offers, their courses)."""
    agreement = AgreementFactory.create(partner=partner, programme=programme, network=network)
    offers = Offer.objects.bulk_create(
        Offer(
            agreement=agreement,
            mobility_type=mobility_type,
            level_master=True,
            isced_code="0715",
            seats=1 + index % 3,
            months=months,
            language="en",
        )
        for index in range(count)
    )
    Offer.courses.through.objects.bulk_create(
        Offer.courses.through(offer_id=offer.pk, courseofstudy_id=course.pk) for offer in offers
    )
    return offers


def big_call(*, fill: bool = True) -> Big:
    """An open engineering call of the 3I School with 2,100 offers (all in the call when
    ``fill``), made with bulk inserts."""
    school = SchoolFactory.create()
    course = CourseOfStudyFactory.create(school=school)
    call = CallFactory.create(code="engineering-2027-1", title="Engineering", schools=[school])
    partners = {
        country: InstitutionFactory.create(country=country, name=f"University {country}")
        for country in ("DE", "FR", "ES")
    }
    offers: list[Offer] = []
    for country, count in (("DE", 1_000), ("FR", 700), ("ES", 400)):
        offers += bulk_offers(count, course=course, partner=partners[country])
    if fill:
        CallOffer.objects.bulk_create(
            CallOffer(call=call, offer=offer, seats=offer.seats) for offer in offers
        )
    return Big(call, course, school, partners)


def edit_data(call: Call, **changes: Any) -> dict[str, Any]:
    """The edit form as the page fills it, with ``changes``."""
    data: dict[str, Any] = {
        "title": call.title,
        "schools": [school.pk for school in call.schools.all()],
        "academic_year": call.academic_year,
        "number": call.number,
        "opens_at": timezone.localtime(call.opens_at).strftime(FORMAT),
        "closes_at": timezone.localtime(call.closes_at).strftime(FORMAT),
        "max_preferences": call.max_preferences,
        "programmes": list(call.programmes),
        "mobility_types": list(call.mobility_types),
        "levels": list(call.levels),
        "min_credits": call.min_credits,
        "min_average": "" if call.min_average is None else call.min_average,
        "months_per_cycle": call.months_per_cycle,
        "months_single_cycle": call.months_single_cycle,
        "formula": call.formula,
    }
    if call.require_first_year_completed:
        data["require_first_year_completed"] = "on"
    data.update(changes)
    return data


@pytest.fixture
def office_client(office: User) -> Client:
    return logged_in(office)


# ---------------------------------------------------------------------------------- who may


def editor_urls(call: Call) -> dict[str, tuple[str, str]]:
    return {
        "create": ("get", url("office_call_create")),
        "create_post": ("post", url("office_call_create")),
        "edit": ("get", url("office_call_edit", call.code)),
        "edit_post": ("post", url("office_call_edit", call.code)),
        "offers": ("get", url("office_call_offers", call.code)),
        "candidates": ("get", url("office_call_offers", call.code) + "?show=candidates"),
        "change": ("post", url("office_call_offers_change", call.code)),
    }


def test_the_office_opens_every_page_of_the_editor(office_client: Client) -> None:
    call = CallFactory.create()
    for name, (method, address) in editor_urls(call).items():
        if method == "get":
            response = office_client.get(address)
            assert (name, response.status_code) == (name, 200)
            page = response.content.decode()
            assert " style=" not in page, name
            assert "<script>" not in page, name


@pytest.mark.parametrize("persona", ["student", "other_student", "promoter"])
def test_students_and_promoters_get_404(personas: dict[str, Client], persona: str) -> None:
    # the promoter of the personas is of the 3I School, the call's: still not the office
    call = CallFactory.create()
    before = (Call.objects.count(), CallOffer.objects.count(), AuditEvent.objects.count())
    statuses = {
        name: getattr(personas[persona], method)(address).status_code
        for name, (method, address) in editor_urls(call).items()
    }
    assert set(statuses.values()) == {404}, statuses
    assert (Call.objects.count(), CallOffer.objects.count(), AuditEvent.objects.count()) == before


def test_anonymous_is_sent_to_log_in(personas: dict[str, Client]) -> None:
    call = CallFactory.create()
    for method, address in editor_urls(call).values():
        if "?" in address:
            continue
        response = getattr(personas["anonymous"], method)(address)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={address}"


def test_the_office_is_not_scoped_by_school(office_client: Client) -> None:
    """There is one office for every School (people.rules.is_office): it edits the calls of
    every School. (No School-scoped office exists to refuse.)"""
    design = SchoolFactory.create(code="DES", name="School of Design")
    call = CallFactory.create(schools=[design])
    assert office_client.get(url("office_call_edit", call.code)).status_code == 200


def test_the_services_ask_the_same_rule(student: User) -> None:
    call = CallFactory.create()
    for change in (services.add_call_offers, services.remove_call_offers):
        with pytest.raises(PermissionDenied):
            change(call=call, offers=Offer.objects.all(), actor=student)
    with pytest.raises(PermissionDenied):
        services.update_call(call=call, schools=[], actor=student)


# ------------------------------------------------------------------------ create and edit


def test_the_call_page_links_to_the_editor_not_to_the_admin(office_client: Client) -> None:
    call = CallFactory.create()
    page = office_client.get(url("office_call", call.code)).content.decode()
    assert url("office_call_edit", call.code) in page
    assert url("office_call_offers", call.code) in page
    assert "/office/admin/selection/call/" not in page
    assert url("office_call_create") in office_client.get(url("office_calls")).content.decode()


def test_the_form_shows_tick_boxes_not_json(office_client: Client) -> None:
    call = CallFactory.create(levels=["MSc"])
    page = office_client.get(url("office_call_edit", call.code)).content.decode()
    assert '<textarea name="levels"' not in page
    assert "[]" not in page
    assert 'type="checkbox" name="levels" value="MSc"' in page
    assert 'type="checkbox" name="programmes" value="erasmus"' in page
    assert 'type="checkbox" name="mobility_types" value="thesis"' in page
    assert 'type="datetime-local" name="closes_at"' in page


def test_the_office_creates_a_call(office_client: Client, office: User) -> None:
    school = SchoolFactory.create()
    now = timezone.localtime()
    response = office_client.post(
        url("office_call_create"),
        {
            "code": "semester-2028-1",
            "title": "Semester call 2028/2029",
            "schools": [school.pk],
            "academic_year": 2028,
            "number": 1,
            "opens_at": (now + dt.timedelta(days=1)).strftime(FORMAT),
            "closes_at": (now + dt.timedelta(days=40)).strftime(FORMAT),
            "max_preferences": 5,
            "programmes": ["erasmus", "bilateral"],
            "mobility_types": ["study", "study_thesis"],
            "levels": ["BSc", "MSc"],
            "require_first_year_completed": "on",
            "min_credits": 30,
            "months_per_cycle": 12,
            "months_single_cycle": 24,
            "formula": "engineering",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == url("office_call_offers", "semester-2028-1")
    call = Call.objects.get(code="semester-2028-1")
    assert (call.levels, call.programmes, call.mobility_types, call.max_preferences) == (
        ["BSc", "MSc"],
        ["erasmus", "bilateral"],
        ["study", "study_thesis"],
        5,
    )
    assert list(call.schools.all()) == [school]
    event = AuditEvent.objects.get(action="call.created")
    assert (event.actor, event.object_id, event.data["schools"]) == (office, str(call.pk), ["3I"])


def test_new_reserved_code_and_a_call_that_has_closed_are_refused(office_client: Client) -> None:
    school = SchoolFactory.create()
    now = timezone.localtime()
    base = {
        "title": "A call",
        "schools": [school.pk],
        "academic_year": 2028,
        "number": 1,
        "max_preferences": 5,
        "programmes": ["erasmus"],
        "mobility_types": ["study"],
        "min_credits": 0,
        "months_per_cycle": 12,
        "months_single_cycle": 24,
        "formula": "engineering",
    }
    past = base | {
        "code": "old",
        "opens_at": (now - dt.timedelta(days=40)).strftime(FORMAT),
        "closes_at": (now - dt.timedelta(days=1)).strftime(FORMAT),
    }
    response = office_client.post(url("office_call_create"), past)
    assert response.status_code == 200
    assert "A new call closes in the future." in response.content.decode()
    reserved = base | {
        "code": "new",
        "opens_at": now.strftime(FORMAT),
        "closes_at": (now + dt.timedelta(days=1)).strftime(FORMAT),
    }
    response = office_client.post(url("office_call_create"), reserved)
    assert "code" in response.context["form"].errors
    no_programme = reserved | {"code": "fine", "programmes": []}
    response = office_client.post(url("office_call_create"), no_programme)
    assert "programmes" in response.context["form"].errors
    assert not Call.objects.exists()


def test_the_deadline_of_a_call_with_2100_offers_is_saved(
    office_client: Client, office: User, django_assert_max_num_queries: Any
) -> None:
    """The issue: the admin's change page posted 2,092 fields and answered 400. The editor
    posts the call's own fields only, whatever the number of offers."""
    big = big_call()
    assert big.call.call_offers.count() == MANY
    new_closing = timezone.localtime(big.call.closes_at + dt.timedelta(days=7)).replace(
        second=0, microsecond=0
    )
    data = edit_data(big.call, closes_at=new_closing.strftime(FORMAT))
    assert sum(len(v) if isinstance(v, list) else 1 for v in data.values()) < 40
    with django_assert_max_num_queries(20):
        response = office_client.get(url("office_call_edit", big.call.code))
    assert response.status_code == 200
    with django_assert_max_num_queries(25):
        response = office_client.post(url("office_call_edit", big.call.code), data)
    assert response.status_code == 302, response.context["form"].errors
    big.call.refresh_from_db()
    assert big.call.closes_at == new_closing
    assert big.call.call_offers.count() == MANY
    event = AuditEvent.objects.get(action="call.changed")
    assert (event.actor, event.data["fields"]) == (office, ["closes_at"])


def test_saving_without_changes_says_so(office_client: Client) -> None:
    call = CallFactory.create()
    response = office_client.post(url("office_call_edit", call.code), edit_data(call))
    assert messages_of(response) == ["Nothing changed."]
    assert not AuditEvent.objects.filter(action="call.changed").exists()


def test_an_open_call_keeps_its_opening_and_never_closes_in_the_past(
    office_client: Client,
) -> None:
    call = CallFactory.create()  # opened yesterday
    before = (call.opens_at, call.closes_at)
    now = timezone.localtime()
    moved = edit_data(call, opens_at=(now + dt.timedelta(days=2)).strftime(FORMAT))
    response = office_client.post(url("office_call_edit", call.code), moved)
    assert response.status_code == 200
    assert "its opening can no longer move" in response.content.decode()
    past = edit_data(call, closes_at=(now - dt.timedelta(hours=1)).strftime(FORMAT))
    response = office_client.post(url("office_call_edit", call.code), past)
    assert "is in the past" in response.content.decode()
    call.refresh_from_db()
    assert (call.opens_at, call.closes_at) == before


def test_an_upcoming_call_moves_its_opening(office_client: Client) -> None:
    now = timezone.localtime().replace(second=0, microsecond=0)
    call = CallFactory.create(
        opens_at=now + dt.timedelta(days=3), closes_at=now + dt.timedelta(days=30)
    )
    data = edit_data(call, opens_at=(now + dt.timedelta(days=5)).strftime(FORMAT))
    assert office_client.post(url("office_call_edit", call.code), data).status_code == 302
    call.refresh_from_db()
    assert call.opens_at == now + dt.timedelta(days=5)


def test_a_closed_call_being_allocated_keeps_its_closing(office_client: Client) -> None:
    now = timezone.localtime().replace(second=0, microsecond=0)
    call = CallFactory.create(
        opens_at=now - dt.timedelta(days=30), closes_at=now - dt.timedelta(days=1)
    )
    later = edit_data(call, closes_at=(now + dt.timedelta(days=5)).strftime(FORMAT))
    # closed, not ranked: the office may reopen it by moving the closing
    assert office_client.post(url("office_call_edit", call.code), later).status_code == 302
    call.refresh_from_db()
    call.closes_at = now - dt.timedelta(days=1)
    call.save()
    RoundFactory.create(call=call)
    response = office_client.post(url("office_call_edit", call.code), later)
    assert "its closing can no longer move" in response.content.decode()


def test_a_published_round_freezes_the_rules(office_client: Client) -> None:
    call = CallFactory.create()
    RoundFactory.create(call=call, state=RoundState.PUBLISHED)
    data = edit_data(call, min_credits=60, title="Renamed")
    response = office_client.post(url("office_call_edit", call.code), data)
    assert "can no longer change (minimum credits)." in response.content.decode()
    call.refresh_from_db()
    assert call.min_credits == 0
    assert call.title != "Renamed"
    # the title alone may still change
    data = edit_data(call, title="Renamed")
    assert office_client.post(url("office_call_edit", call.code), data).status_code == 302


def test_fewer_preferences_than_an_application_ranks_are_refused(office_client: Client) -> None:
    call = CallFactory.create()
    application = ApplicationFactory.create(call=call)
    for rank in (1, 2, 3):
        PreferenceFactory.create(
            application=application, rank=rank, call_offer__call=call, call_offer__seats=1
        )
    response = office_client.post(
        url("office_call_edit", call.code), edit_data(call, max_preferences=2)
    )
    assert "already ranks 3 destinations" in response.content.decode()


# ------------------------------------------------------- which offers may belong to a call


@pytest.fixture
def semester() -> tuple[Call, CourseOfStudy, dict[str, Offer]]:
    """A semester call (the default programmes: Erasmus+, bilateral) and the offers a School
    has: an Erasmus semester, an ATHENS week and a 24-month double degree."""
    school = SchoolFactory.create()
    course = CourseOfStudyFactory.create(school=school)
    call = CallFactory.create(schools=[school])
    athens = NetworkFactory.create(code="athens", name="ATHENS")
    offers = {
        "erasmus": OfferFactory.create(courses=[course]),
        "athens": OfferFactory.create(
            courses=[course],
            months=1,
            agreement__programme=Programme.NETWORK,
            agreement__network=athens,
            agreement__partner__name="Mines Paris",
        ),
        "double_degree": OfferFactory.create(
            courses=[course],
            months=24,
            mobility_type=MobilityType.STUDY_OR_THESIS,
            agreement__programme=Programme.DOUBLE_DEGREE,
            agreement__partner__name="Tongji University",
        ),
    }
    return call, course, offers


def test_a_semester_call_is_for_the_exchange_programmes(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]],
) -> None:
    call, _course, offers = semester
    assert call.programmes == ["erasmus", "bilateral"]
    assert list(services.call_offer_candidates(call)) == [offers["erasmus"]]
    assert services.fill_call_offers(call=call) == 1
    assert list(call.call_offers.values_list("offer_id", flat=True)) == [offers["erasmus"].pk]


@pytest.mark.parametrize("kind", ["athens", "double_degree"])
def test_a_semester_call_refuses_an_athens_week_and_a_double_degree(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]], office: User, kind: str
) -> None:
    call, _course, offers = semester
    with pytest.raises(SelectionError) as refused:
        services.add_call_offers(
            call=call, offers=Offer.objects.filter(pk=offers[kind].pk), actor=office
        )
    message = str(refused.value)
    assert "nothing was added" in message
    assert "this call is for Erasmus+ (EU and associated countries), Bilateral" in message
    assert not call.call_offers.exists()
    assert not AuditEvent.objects.filter(action="call.offers_added").exists()


def test_the_refusal_through_the_page(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]], office_client: Client
) -> None:
    call, _course, offers = semester
    page = office_client.get(url("office_call_offers", call.code) + "?show=candidates")
    listed = [row.offer for row in page.context["rows"]]
    assert listed == [offers["erasmus"]]  # the ATHENS week is not even a candidate
    response = office_client.post(
        url("office_call_offers_change", call.code),
        {"action": "add", "scope": "selected", "offer": [offers["athens"].pk], "show": "in"},
    )
    [message] = messages_of(response)
    assert message.startswith("1 offer may not belong to this call; nothing was added.")
    assert "Mines Paris is a Network programme offer" in message


def test_a_double_degree_call_takes_the_double_degrees(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]], office: User
) -> None:
    call, _course, offers = semester
    call.programmes = [Programme.DOUBLE_DEGREE]
    call.save()
    assert services.fill_call_offers(call=call) == 1
    assert call.call_offers.get().offer == offers["double_degree"]


def test_a_call_cannot_stop_being_for_the_programme_of_its_offers(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]], office_client: Client
) -> None:
    call, _course, _offers = semester
    services.fill_call_offers(call=call)
    data = edit_data(call, programmes=["bilateral"])
    response = office_client.post(url("office_call_edit", call.code), data)
    assert "remove them from the call first" in response.content.decode()
    call.refresh_from_db()
    assert call.programmes == ["erasmus", "bilateral"]


def test_the_rule_and_its_twin_agree(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]],
) -> None:
    from abroad.selection import queries

    call, _course, _offers = semester
    matching = set(Offer.objects.filter(queries.fits_call_q(call)))
    assert matching == {o for o in Offer.objects.all() if queries.fits_call(call, o)}
    call.mobility_types = [MobilityType.STUDY_OR_THESIS]
    call.programmes = list(Programme)
    matching = set(Offer.objects.filter(queries.fits_call_q(call)))
    assert matching == {o for o in Offer.objects.all() if queries.fits_call(call, o)}


# ------------------------------------------------------------ the offers: list and bulk


def test_the_offers_pages_keep_their_queries_with_2100_offers(
    office_client: Client, django_assert_max_num_queries: Any
) -> None:
    big = big_call()
    address = url("office_call_offers", big.call.code)
    with django_assert_max_num_queries(20):
        response = office_client.get(address + "?country=FR&page=3")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 700
    assert len(response.context["rows"]) == 50
    assert response.context["in_call_count"] == 700
    with django_assert_max_num_queries(20):
        response = office_client.get(address + "?show=candidates")
    assert response.context["page"].paginator.count == 0
    # htmx asks for the results only
    response = office_client.get(address + "?country=FR", HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<section id="results"')


def test_add_all_matching_the_filter_is_one_insert(
    office_client: Client,
    office: User,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    big = big_call(fill=False)
    page = office_client.get(url("office_call_offers", big.call.code) + "?show=candidates")
    assert page.context["candidate_count"] == MANY
    with django_assert_max_num_queries(20), django_capture_on_commit_callbacks() as done:
        response = office_client.post(
            url("office_call_offers_change", big.call.code),
            {"action": "add", "scope": "all", "filters": "country=DE", "show": "candidates"},
        )
    # a thousand rows at once: the planner's statistics are refreshed once it commits
    assert refresh_statistics in done
    assert response["Location"] == url("office_call_offers", big.call.code) + (
        "?country=DE&show=candidates"
    )
    assert messages_of(response) == ["1000 offers added to the call."]
    in_call = big.call.call_offers
    assert in_call.count() == 1_000
    assert set(in_call.values_list("offer__agreement__partner__country", flat=True)) == {"DE"}
    # the seats per year of each offer
    assert not in_call.exclude(seats__in=[1, 2, 3]).exists()
    event = AuditEvent.objects.get(action="call.offers_added")
    assert (event.actor, event.data["added"], len(event.data["offers"])) == (office, 1000, 1000)
    # again: nothing more to add
    office_client.post(
        url("office_call_offers_change", big.call.code),
        {"action": "add", "scope": "all", "filters": "country=DE"},
    )
    assert in_call.count() == 1_000
    # everything else
    with django_assert_max_num_queries(20):
        office_client.post(
            url("office_call_offers_change", big.call.code),
            {"action": "add", "scope": "all", "filters": ""},
        )
    assert in_call.count() == MANY


def test_remove_all_matching_the_filter_is_one_delete(
    office_client: Client, office: User, django_assert_max_num_queries: Any
) -> None:
    big = big_call()
    with django_assert_max_num_queries(30):
        response = office_client.post(
            url("office_call_offers_change", big.call.code),
            {"action": "remove", "scope": "all", "filters": "country=FR"},
        )
    assert messages_of(response) == ["700 offers removed from the call."]
    assert big.call.call_offers.count() == 1_400
    assert not big.call.call_offers.filter(offer__agreement__partner__country="FR").exists()
    event = AuditEvent.objects.get(action="call.offers_removed")
    assert (event.actor, event.data["removed"]) == (office, 700)


def test_an_offer_ranked_or_given_stays_in_the_call(office_client: Client) -> None:
    big = big_call()
    ranked = big.call.call_offers.filter(offer__agreement__partner__country="ES").first()
    given = big.call.call_offers.filter(offer__agreement__partner__country="FR").first()
    assert ranked is not None
    assert given is not None
    application = ApplicationFactory.create(call=big.call, state=ApplicationState.SUBMITTED)
    PreferenceFactory.create(application=application, rank=1, call_offer=ranked)
    round = Round.objects.create(
        call=big.call, number=1, acceptance_deadline=timezone.now() + dt.timedelta(days=7)
    )
    AssignmentFactory.create(
        round=round, application=application, call_offer=given, state=AssignmentState.OFFERED
    )
    response = office_client.post(
        url("office_call_offers_change", big.call.code),
        {"action": "remove", "scope": "all", "filters": ""},
    )
    [message] = messages_of(response)
    assert message.startswith("2 of these offers are ranked in applications or given in rounds")
    assert "nothing was removed" in message
    assert big.call.call_offers.count() == MANY
    # the page shows no tick box for them
    page = office_client.get(url("office_call_offers", big.call.code) + "?country=ES")
    rows = {row.offer.pk: row for row in page.context["rows"]}
    assert rows[ranked.offer_id].in_use
    assert f'name="offer" value="{ranked.offer_id}"' not in page.content.decode()
    # ticked ones that nobody chose go
    free = list(
        big.call.call_offers.filter(offer__agreement__partner__country="ES")
        .exclude(pk=ranked.pk)
        .values_list("offer_id", flat=True)[:3]
    )
    response = office_client.post(
        url("office_call_offers_change", big.call.code),
        {"action": "remove", "scope": "selected", "offer": free},
    )
    assert messages_of(response) == ["3 offers removed from the call."]


def test_seats_of_the_page_are_saved(office_client: Client, office: User) -> None:
    big = big_call()
    first, second = big.call.call_offers.order_by("pk")[:2]
    response = office_client.post(
        url("office_call_offers_change", big.call.code),
        {
            "action": "seats",
            f"seats-{first.pk}": "7",
            f"seats-{second.pk}": str(second.seats),
            "page": "2",
            "filters": "country=DE",
        },
    )
    assert response["Location"] == url("office_call_offers", big.call.code) + ("?country=DE&page=2")
    assert messages_of(response) == ["Seats changed on 1 offer."]
    first.refresh_from_db()
    assert first.seats == 7
    event = AuditEvent.objects.get(action="call.seats_changed")
    assert (
        event.data["seats"] == {str(first.offer_id): [1, 7]}
        or event.data["seats"][str(first.offer_id)][1] == 7
    )


def test_seats_below_those_accepted_are_refused(office_client: Client) -> None:
    call = CallFactory.create()
    call_offer = CallOffer.objects.create(call=call, offer=OfferFactory.create(), seats=2)
    round = RoundFactory.create(call=call)
    for _index in range(2):
        AssignmentFactory.create(round=round, call_offer=call_offer, state=AssignmentState.ACCEPTED)
    response = office_client.post(
        url("office_call_offers_change", call.code),
        {"action": "seats", f"seats-{call_offer.pk}": "1"},
    )
    assert messages_of(response) == [
        f"{call_offer.offer.agreement.partner}: 2 seats are already accepted."
    ]
    call_offer.refresh_from_db()
    assert call_offer.seats == 2


def test_the_migration_names_the_programmes_of_a_call_that_had_none(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]],
) -> None:
    """A call with no programmes took every programme: it now lists the exchange programmes
    and those of the offers it holds, so none of them stops fitting it."""
    from django.apps import apps

    migration = importlib.import_module(
        "abroad.selection.migrations.0004_call_programmes_and_mobility_types"
    )
    call, _course, offers = semester
    CallOffer.objects.create(call=call, offer=offers["athens"], seats=2)
    Call.objects.filter(pk=call.pk).update(programmes=[])
    empty = CallFactory.create(code="empty")
    Call.objects.filter(pk=empty.pk).update(programmes=[])
    migration.name_the_programmes(apps, None)
    call.refresh_from_db()
    empty.refresh_from_db()
    assert call.programmes == ["bilateral", "erasmus", "network"]
    assert empty.programmes == ["bilateral", "erasmus"]


def test_the_refusals_speak_italian(
    semester: tuple[Call, CourseOfStudy, dict[str, Offer]], office: User
) -> None:
    """Needs the Italian of /work/po/wp-calls.po merged into the project's catalogue."""
    from django.utils import translation

    call, _course, offers = semester
    with translation.override("it"), pytest.raises(SelectionError) as refused:
        services.add_call_offers(
            call=call, offers=Offer.objects.filter(pk=offers["athens"].pk), actor=office
        )
    assert str(refused.value).startswith(
        "1 offerta non può far parte di questo bando; non è stato aggiunto nulla."
    )
    assert "Mines Paris è un'offerta del programma Programma di rete" in str(refused.value)
    services.fill_call_offers(call=call)
    ApplicationFactory.create(call=call)
    PreferenceFactory.create(application__call=call, call_offer=call.call_offers.get())
    with translation.override("it"), pytest.raises(SelectionError) as refused:
        services.remove_call_offers(call=call, offers=Offer.objects.all(), actor=office)
    assert "resta nel bando, e non è stato tolto nulla" in str(refused.value)
