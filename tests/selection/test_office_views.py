"""The office's pages of a call, under /calls/office/: who may see what, each step through the
views (fill, rank, rounds, compare, publish, close), the commission's scores, the nominations,
and constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abroad.catalogue.models import CourseOfStudy, Institution, School
from abroad.core.models import AuditEvent, Job
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.selection import services
from abroad.selection.enums import (
    ApplicationState,
    AssignmentState,
    RankingFormula,
    RoundState,
)
from abroad.selection.models import Application, Call, CallOffer, CommissionScore, Round
from tests.conftest import logged_in
from tests.factories import (
    CourseOfStudyFactory,
    InstitutionFactory,
    OfferFactory,
    PromoterFactory,
    SchoolFactory,
    UserFactory,
)
from tests.jobs import exported, run_queued_jobs
from tests.selection.factories import (
    ApplicationFactory,
    CallFactory,
    LanguageCertificateFactory,
    PreferenceFactory,
    StudentCareerFactory,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

CODE = "eng-2027"
# (last name, average): with 210 credits in 3 years each scores average + 4.
APPLICANTS = (("Rossi", "29.00"), ("Bianchi", "27.00"), ("Verdi", "25.00"))


@dataclass
class Scene:
    call: Call
    course: CourseOfStudy
    delft: CallOffer  # 1 seat
    aachen: CallOffer  # 2 seats
    applications: list[Application]


def partner(name: str, erasmus_code: str) -> Institution:
    found = Institution.objects.filter(name=name).first()
    return found or InstitutionFactory.create(name=name, erasmus_code=erasmus_code)


def build_call(
    *,
    applicants: int = 3,
    formula: str = RankingFormula.ENGINEERING,
    fill: bool = True,
    code: str = CODE,
) -> Scene:
    """A closed engineering call of the 3I School with two offers (TU Delft, 1 seat; RWTH
    Aachen, 2 seats) for its own course of study, and ``applicants`` submitted applications
    ranking Delft then Aachen, best first: Rossi (33.000), Bianchi (31.000), Verdi (29.000),
    then Student3, Student4... Student numbers are the code and the index: eng-2027-000..."""
    now = timezone.now()
    school = SchoolFactory.create(code="3I")
    course = CourseOfStudyFactory.create(
        code=f"MECH-{code}", name="Mechanical Engineering", level="MSc", school=school
    )
    call = CallFactory.create(
        code=code,
        title="Engineering 2027/2028",
        schools=[school],
        opens_at=now - dt.timedelta(days=40),
        closes_at=now - dt.timedelta(days=10),
        formula=formula,
    )
    delft = OfferFactory.create(
        agreement__partner=partner("TU Delft", "NL DELFT01"), seats=1, months=6, courses=[course]
    )
    aachen = OfferFactory.create(
        agreement__partner=partner("RWTH Aachen", "D  AACHEN01"),
        seats=2,
        months=10,
        courses=[course],
    )
    if not fill:
        return Scene(call, course, CallOffer(), CallOffer(), [])
    services.fill_call_offers(call=call)
    delft_co = call.call_offers.get(offer=delft)
    aachen_co = call.call_offers.get(offer=aachen)
    applications = []
    for index in range(applicants):
        last, average = (
            APPLICANTS[index] if index < len(APPLICANTS) else (f"Student{index}", "24.00")
        )
        student = UserFactory.create(
            username=f"{code}-applicant{index}",
            first_name=f"Anna{index}",
            last_name=last,
            student_number=f"{code}-{index:03d}",
            role=Role.STUDENT,
            course_of_study=course,
            password="!",  # unusable, and no slow hashing
        )
        StudentCareerFactory.create(
            student=student, average_bachelor=Decimal(average), average_master=Decimal(average)
        )
        LanguageCertificateFactory.create(student=student)
        application = ApplicationFactory.create(
            call=call,
            student=student,
            state=ApplicationState.SUBMITTED,
            submitted_at=now - dt.timedelta(days=20, hours=-index),
        )
        PreferenceFactory.create(application=application, rank=1, call_offer=delft_co)
        PreferenceFactory.create(application=application, rank=2, call_offer=aachen_co)
        applications.append(application)
    return Scene(call, course, delft_co, aachen_co, applications)


def url(name: str, *args: Any) -> str:
    return reverse(f"selection:{name}", args=args)


def act(client: Client, address: str, data: dict[str, str] | None = None) -> list[str]:
    """POST an action, follow its redirect, and return the messages the page shows."""
    response = client.post(address, data or {}, follow=True)
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def scene() -> Scene:
    return build_call()


@pytest.fixture
def office_client(office: User) -> Client:
    return logged_in(office)


# ---------------------------------------------------------------------------- who may see

READ_PAGES = ("office_ranking",)
OFFICE_PAGES = ("office_call", "office_nominations")
ROUND_PAGES = ("office_round", "office_round_compare")
ACTIONS = ("office_fill_offers", "office_rank", "office_round_create")
ROUND_ACTIONS = ("office_round_run", "office_round_publish", "office_round_close")


def every_url(scene: Scene) -> dict[str, tuple[str, str]]:
    """name -> (method, url) for every page and action of one call."""
    code = scene.call.code
    urls = {name: ("get", url(name, code)) for name in READ_PAGES + OFFICE_PAGES}
    urls |= {name: ("get", url(name, code, 1)) for name in ROUND_PAGES}
    urls |= {name: ("post", url(name, code)) for name in ACTIONS}
    urls |= {name: ("post", url(name, code, 1)) for name in ROUND_ACTIONS}
    # the exports post: the file is made by the background worker (abroad.core.jobs)
    urls["office_ranking_export"] = ("post", url("office_ranking_export", code))
    urls["office_nominations_export"] = ("post", url("office_nominations_export", code, "csv"))
    urls["office_commission_score"] = (
        "post",
        url("office_commission_score", code, scene.applications[0].pk),
    )
    urls["office_commission"] = ("get", url("office_commission", code))
    return urls


def fetch(client: Client, method: str, address: str) -> HttpResponse:
    response: HttpResponse = getattr(client, method)(address)
    return response


@pytest.fixture
def commission_scene() -> Scene:
    scene = build_call(formula=RankingFormula.COMMISSION)
    Round.objects.create(
        call=scene.call, number=1, acceptance_deadline=timezone.now() + dt.timedelta(days=7)
    )
    return scene


@pytest.mark.parametrize("persona", ["office", "school_office"])
def test_office_sees_every_page(
    personas: dict[str, Client], commission_scene: Scene, persona: str
) -> None:
    for name, (method, address) in every_url(commission_scene).items():
        if method == "get":
            response = fetch(personas[persona], method, address)
            assert (name, response.status_code) == (name, 200)


def test_another_schools_office_gets_404_on_the_call_and_does_not_list_it(
    personas: dict[str, Client], commission_scene: Scene, other_school_office: User
) -> None:
    client = personas["other_school_office"]
    statuses = {
        name: fetch(client, method, address).status_code
        for name, (method, address) in every_url(commission_scene).items()
    }
    assert set(statuses.values()) == {404}, statuses
    assert not Job.objects.exists()
    listed = client.get(url("office_calls"))
    assert listed.status_code == 200
    assert listed.context["calls"] == []
    assert [c.pk for c in personas["school_office"].get(url("office_calls")).context["calls"]] == [
        commission_scene.call.pk
    ]
    # no round was made, no score written, nothing audited in its name
    assert commission_scene.call.rounds.count() == 1
    assert not AuditEvent.objects.filter(actor=other_school_office).exists()


def test_a_schools_office_makes_calls_for_its_own_school_only(
    personas: dict[str, Client], school_office: User
) -> None:
    other = SchoolFactory.create(code="DES", name="School of Design")
    form = personas["school_office"].get(url("office_call_create")).context["form"]
    assert list(form.fields["schools"].queryset) == [school_office.office_school]
    now = timezone.now()
    call = CallFactory.build(code="des-2028", opens_at=now, closes_at=now + dt.timedelta(days=30))
    with pytest.raises(PermissionDenied):
        services.create_call(call=call, schools=[other], actor=school_office)
    assert not Call.objects.filter(code="des-2028").exists()


def test_promoter_of_the_call_reads_the_ranking_and_nothing_else(
    personas: dict[str, Client], commission_scene: Scene, promoter: User
) -> None:
    client = personas["promoter"]  # a promoter of the 3I School, the call's
    statuses = {
        name: fetch(client, method, address).status_code
        for name, (method, address) in every_url(commission_scene).items()
    }
    assert statuses == {
        "office_ranking": 200,
        "office_ranking_export": 302,
        "office_call": 404,
        "office_nominations": 404,
        "office_nominations_export": 404,
        "office_round": 404,
        "office_round_compare": 404,
        "office_fill_offers": 404,
        "office_rank": 404,
        "office_round_create": 404,
        "office_round_run": 404,
        "office_round_publish": 404,
        "office_round_close": 404,
        "office_commission": 404,
        "office_commission_score": 404,
    }
    page = client.get(url("office_ranking", commission_scene.call.code)).content.decode()
    assert "read only" in page
    # no form but the ranking's download
    export = url("office_ranking_export", commission_scene.call.code)
    forms = page.split('id="main"')[1].split('<form method="post"')[1:]
    assert [form.split('action="')[1].split('"')[0] for form in forms] == [export]
    # it changed nothing; what it took away (the ranking's CSV, made by the worker for the
    # promoter, who asked) is recorded
    (job,) = Job.objects.all()
    assert (job.requested_by, job.kind) == (promoter, "selection.ranking_export")
    assert run_queued_jobs() == 1
    assert client.get(reverse("job_file", args=[job.pk])).status_code == 200
    by_promoter = AuditEvent.objects.filter(actor__username="promoter")
    assert list(by_promoter.values_list("action", flat=True)) == ["call.ranking_exported"]


@pytest.mark.parametrize("persona", ["student", "other_student", "other_promoter"])
def test_others_get_404_everywhere(
    personas: dict[str, Client], commission_scene: Scene, persona: str
) -> None:
    if persona == "other_promoter":
        design = SchoolFactory.create(code="DES", name="School of Design")
        client = logged_in(
            PromoterFactory.create(
                user__username="designer", user__password="!", school=design
            ).user
        )
    else:
        client = personas[persona]
    statuses = {
        fetch(client, method, address).status_code
        for method, address in every_url(commission_scene).values()
    }
    assert statuses == {404}
    assert not Job.objects.exists()
    assert client.get(url("office_calls")).status_code == (
        200 if persona == "other_promoter" else 404
    )


def test_anonymous_is_sent_to_log_in(personas: dict[str, Client], commission_scene: Scene) -> None:
    pages = every_url(commission_scene) | {"office_calls": ("get", url("office_calls"))}
    for method, address in pages.values():
        response = fetch(personas["anonymous"], method, address)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={address}"
    assert not Job.objects.exists()


# ------------------------------------------------------------------------------ the list


def test_call_list_counts(office_client: Client, scene: Scene) -> None:
    ApplicationFactory.create(call=scene.call, state=ApplicationState.DRAFT)
    services.rank_call(call=scene.call)
    Round.objects.create(call=scene.call, number=1, acceptance_deadline=timezone.now())
    CallFactory.create(code="design-2027", title="Design 2027/2028")
    response = office_client.get(url("office_calls"))
    calls = {call.code: call for call in response.context["calls"]}
    counts = {
        code: (call.drafts, call.submitted, call.eligible, call.round_count)
        for code, call in calls.items()
    }
    assert counts == {CODE: (1, 3, 3, 1), "design-2027": (0, 0, 0, 0)}
    assert url("office_call", CODE) in response.content.decode()


def test_call_list_for_a_promoter_lists_their_calls_with_the_ranking(
    personas: dict[str, Client], scene: Scene
) -> None:
    design = SchoolFactory.create(code="DES", name="School of Design")
    CallFactory.create(code="design-2027", schools=[design])
    response = personas["promoter"].get(url("office_calls"))
    assert [call.code for call in response.context["calls"]] == [CODE]
    page = response.content.decode()
    assert url("office_ranking", CODE) in page
    assert f'href="{url("office_call", CODE)}"' not in page


def test_call_list_queries_do_not_grow(office_client: Client) -> None:
    build_call(code="call-a", applicants=1)
    with CaptureQueriesContext(connection) as few:
        office_client.get(url("office_calls"))
    for code in ("call-b", "call-c", "call-d"):
        build_call(code=code, applicants=2)
    with CaptureQueriesContext(connection) as many:
        office_client.get(url("office_calls"))
    assert len(many) == len(few)


# ------------------------------------------------------------------------ step by step


def test_fill_the_offers(office_client: Client, office: User) -> None:
    scene = build_call(fill=False)
    response = office_client.post(url("office_fill_offers", scene.call.code))
    assert response.status_code == 302
    assert response["Location"] == url("office_call", scene.call.code)
    assert sorted(scene.call.call_offers.values_list("seats", flat=True)) == [1, 2]
    assert act(office_client, url("office_fill_offers", scene.call.code)) == [
        "2 offers added; the call has 2.",  # shown on the call's page after the redirect
        "0 offers added; the call has 2.",
    ]
    assert AuditEvent.objects.filter(action="call.offers_filled", actor=office).count() == 2


def test_every_step_through_the_views(office_client: Client, office: User, scene: Scene) -> None:
    code = scene.call.code

    # 1. Rank.
    assert act(office_client, url("office_rank", code)) == [
        "3 applications scored, 3 eligible and ranked."
    ]
    page = office_client.get(url("office_ranking", code))
    rows = [
        (row.application.rank, row.application.student.last_name) for row in page.context["rows"]
    ]
    assert rows == [(1, "Rossi"), (2, "Bianchi"), (3, "Verdi")]
    assert page.context["rows"][0].parts == [
        ("average", "29.000"),
        ("credits per year", "70.000"),
        ("credits bonus", "4.000"),
        ("exchanges penalty", "0"),
    ]

    # 2. A round, with its acceptance deadline.
    deadline = timezone.localtime() + dt.timedelta(days=7)
    response = office_client.post(
        url("office_round_create", code),
        {"acceptance_deadline": deadline.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response["Location"] == url("office_round", code, 1)
    page = office_client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == ["Round 1 created: run it when ready."]
    round = Round.objects.get(call=scene.call)
    assert (round.number, round.state) == (1, RoundState.DRAFT)
    assert timezone.localtime(round.acceptance_deadline).strftime("%Y-%m-%d %H:%M") == (
        deadline.strftime("%Y-%m-%d %H:%M")
    )

    # 3. A dry run: Rossi takes Delft's only seat, the others go to Aachen.
    assert act(office_client, url("office_round_run", code, 1)) == [
        "Dry run done: 3 of 3 students get a seat. Only the office sees this result until "
        "you publish it."
    ]
    page = office_client.get(url("office_round", code, 1))
    offers = {
        str(row.call_offer.offer.agreement.partner): (
            row.call_offer.seats,
            row.demand,
            row.filled,
            row.cutoff,
        )
        for row in page.context["offer_rows"]
    }
    assert offers == {
        "TU Delft": (1, 3, 1, Decimal("33.000")),
        "RWTH Aachen": (2, 3, 2, Decimal("29.000")),
    }
    students = [
        (
            row.assignment.application.student.last_name,
            row.seat,
            row.assignment.choice,
            row.explanation,
        )
        for row in page.context["student_rows"]
    ]
    second = "got their choice 2; choice 1 (TU Delft): full, last seat at score 33.000"
    assert students == [
        ("Rossi", "TU Delft", 1, "got their choice 1"),
        ("Bianchi", "RWTH Aachen", 2, second),
        ("Verdi", "RWTH Aachen", 2, second),
    ]

    # 4. Compare with the previous run: Delft gets a second seat, Bianchi moves there.
    CallOffer.objects.filter(pk=scene.delft.pk).update(seats=2)
    messages = act(office_client, url("office_round_run", code, 1))
    assert messages[0].endswith(" 1 result changed since the previous run.")
    compare = office_client.get(url("office_round_compare", code, 1))
    changes = [
        (change.application.student.last_name, change.before, change.after)
        for change in compare.context["changes"]
    ]
    assert changes == [("Bianchi", "RWTH Aachen", "TU Delft")]
    compare = office_client.get(url("office_round_compare", code, 1), HTTP_HX_REQUEST="true")
    assert compare.content.decode().lstrip().startswith('<section id="changes"')
    assert "Bianchi" in compare.content.decode()

    # 5. Publish.
    assert act(office_client, url("office_round_publish", code, 1)) == [
        "Round 1 published: the students are told by e-mail."
    ]
    round.refresh_from_db()
    assert round.state == RoundState.PUBLISHED

    # 6. Close: refused before the deadline...
    assert act(office_client, url("office_round_close", code, 1)) == [
        "The students can still answer until the deadline."
    ]
    round.refresh_from_db()
    assert round.state == RoundState.PUBLISHED

    # ... after Rossi accepted, done after it: the others' seats expire.
    rossi = round.assignments.get(application__student__last_name="Rossi")
    services.accept_assignment(assignment=rossi, actor=rossi.application.student)
    Round.objects.filter(pk=round.pk).update(acceptance_deadline=timezone.now())
    assert act(office_client, url("office_round_close", code, 1)) == [
        "Round 1 closed: 2 seats not accepted in time are free again."
    ]
    round.refresh_from_db()
    assert round.state == RoundState.CLOSED
    assert sorted(round.assignments.values_list("state", flat=True)) == [
        AssignmentState.ACCEPTED,
        AssignmentState.EXPIRED,
        AssignmentState.EXPIRED,
    ]

    # 7. Nominations: Rossi, to Delft.
    response = exported(office_client, url("office_nominations_export", code, "csv"))
    nominated = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert nominated[1][:4] == ["TU Delft", "NL DELFT01", "Rossi Anna0", "eng-2027-000"]

    # Every step is in the audit log, by the office.
    actions = list(
        AuditEvent.objects.filter(actor=office).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "call.ranked",
        "round.created",
        "round.run",
        "round.run",
        "round.published",
        "round.closed",
        "call.nominations_exported",
    ]


def test_refused_steps_show_the_service_message(office_client: Client, scene: Scene) -> None:
    code = scene.call.code
    Round.objects.create(
        call=scene.call, number=1, acceptance_deadline=timezone.now() + dt.timedelta(days=3)
    )
    assert act(office_client, url("office_round_publish", code, 1)) == [
        "Run the round before publishing it."
    ]
    assert act(office_client, url("office_round_close", code, 1)) == [
        "Only a published round can be closed."
    ]
    deadline = {"acceptance_deadline": "2020-01-01T12:00"}
    assert act(office_client, url("office_round_create", code), deadline) == [
        "The deadline must be in the future."
    ]
    assert Round.objects.filter(call=scene.call).count() == 1


def test_actions_need_post(office_client: Client, scene: Scene) -> None:
    for name in ACTIONS:
        assert office_client.get(url(name, scene.call.code)).status_code == 405


def test_the_next_round_gets_the_next_number(office_client: Client, scene: Scene) -> None:
    deadline = (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    for _ in range(2):
        office_client.post(
            url("office_round_create", scene.call.code), {"acceptance_deadline": deadline}
        )
        scene.call.rounds.update(state=RoundState.CLOSED)
    assert list(scene.call.rounds.values_list("number", flat=True)) == [1, 2]


def test_the_next_round_is_offered_only_once_the_earlier_rounds_are_closed(
    office_client: Client, scene: Scene
) -> None:
    code = scene.call.code
    create = url("office_round_create", code)
    form = f'action="{create}"'
    assert form in office_client.get(url("office_call", code)).content.decode()
    Round.objects.create(
        call=scene.call, number=1, acceptance_deadline=timezone.now() + dt.timedelta(days=3)
    )
    page = office_client.get(url("office_call", code)).content.decode()
    assert form not in page
    assert "The next round can be created once the earlier rounds are closed." in page
    deadline = (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    assert act(office_client, create, {"acceptance_deadline": deadline}) == [
        "Close the earlier rounds first: a new round can only run once their students have "
        "answered."
    ]
    assert scene.call.rounds.count() == 1
    scene.call.rounds.update(state=RoundState.CLOSED)
    assert form in office_client.get(url("office_call", code)).content.decode()


def test_ranking_is_offered_only_once_the_call_is_closed(
    office_client: Client, scene: Scene
) -> None:
    code = scene.call.code
    rank = url("office_rank", code)
    form = f'action="{rank}"'
    assert form in office_client.get(url("office_call", code)).content.decode()
    Call.objects.filter(pk=scene.call.pk).update(closes_at=timezone.now() + dt.timedelta(days=5))
    page = office_client.get(url("office_call", code)).content.decode()
    assert form not in page
    assert "The applications can be ranked once the call closes" in page
    assert act(office_client, rank)[0].startswith("Applications are open until")


# ------------------------------------------------------------------------- the ranking


def test_ranking_filters_and_csv(office_client: Client, scene: Scene) -> None:
    code = scene.call.code
    services.rank_call(call=scene.call)
    scene.applications[2].student.career.first_year_completed = False
    scene.applications[2].student.career.save()
    services.rank_call(call=scene.call)

    def names(query: dict[str, str]) -> list[str]:
        response = office_client.get(url("office_ranking", code), query)
        return [row.application.student.last_name for row in response.context["rows"]]

    assert names({}) == ["Rossi", "Bianchi", "Verdi"]
    assert names({"eligibility": "ineligible"}) == ["Verdi"]
    assert names({"eligibility": "eligible"}) == ["Rossi", "Bianchi"]
    assert names({"q": "bian"}) == ["Bianchi"]
    assert names({"q": scene.applications[0].student.student_number}) == ["Rossi"]
    assert names({"level": "BSc"}) == []
    page = office_client.get(url("office_ranking", code), {"eligibility": "ineligible"})
    assert "You must have completed your first year." in page.content.decode()

    # the page's download posts its filters to the export, whose job makes the file
    export = url("office_ranking_export", code) + "?eligibility=eligible"
    page = office_client.get(url("office_ranking", code), {"eligibility": "eligible"})
    assert f'action="{export}"' in page.content.decode()
    response = exported(office_client, export)
    assert response["Content-Disposition"] == f'attachment; filename="ranking-{code}.csv"'
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert rows == [
        ["Rank", "Student", "Student number", "Course of study", "Level", "Score",
         "How it was computed", "Eligible", "Eligibility notes", "Preferences"],
        ["1", "Rossi Anna0", "eng-2027-000", "Mechanical Engineering",
         "Master (Laurea Magistrale)", "33.000",
         "average: 29.000; credits per year: 70.000; credits bonus: 4.000; "
         "exchanges penalty: 0",
         "yes", "", "TU Delft; RWTH Aachen"],
        ["2", "Bianchi Anna1", "eng-2027-001", "Mechanical Engineering",
         "Master (Laurea Magistrale)", "31.000",
         "average: 27.000; credits per year: 70.000; credits bonus: 4.000; "
         "exchanges penalty: 0",
         "yes", "", "TU Delft; RWTH Aachen"],
    ]  # fmt: skip
    event = AuditEvent.objects.get(action="call.ranking_exported")
    assert (event.actor_name, event.object_repr, event.data["rows"]) == (
        "office",
        str(Call.objects.get(code=code)),
        2,
    )
    assert event.data["filters"] == {"eligibility": "eligible"}


def test_ranking_htmx_returns_the_results_only(office_client: Client, scene: Scene) -> None:
    response = office_client.get(url("office_ranking", scene.call.code), HTTP_HX_REQUEST="true")
    body = response.content.decode().strip()
    assert body.startswith('<section id="results"')
    assert "<html" not in body


def test_ranking_queries_do_not_grow(office_client: Client, promoter: User) -> None:
    few_scene = build_call(code="few-2027", applicants=2)
    many_scene = build_call(code="many-2027", applicants=12)
    for scene in (few_scene, many_scene):
        services.rank_call(call=scene.call)
    for client in (office_client, logged_in(promoter)):
        with CaptureQueriesContext(connection) as few:
            client.get(url("office_ranking", few_scene.call.code))
        with CaptureQueriesContext(connection) as many:
            client.get(url("office_ranking", many_scene.call.code))
        assert len(many) == len(few)


def test_round_page_queries_do_not_grow(office_client: Client) -> None:
    deadline = timezone.now() + dt.timedelta(days=7)
    pages = []
    for code, applicants in (("few-2027", 2), ("many-2027", 12)):
        scene = build_call(code=code, applicants=applicants)
        services.rank_call(call=scene.call)
        round = Round.objects.create(call=scene.call, number=1, acceptance_deadline=deadline)
        services.run_round(round=round)
        services.run_round(round=round)
        pages.append(url("office_round", code, 1))
    with CaptureQueriesContext(connection) as few:
        office_client.get(pages[0])
    with CaptureQueriesContext(connection) as many:
        office_client.get(pages[1])
    assert len(many) == len(few)


# --------------------------------------------------------------------- commission scores


def test_commission_scores_through_the_forms(
    office_client: Client, commission_scene: Scene, office: User
) -> None:
    code = commission_scene.call.code
    verdi = commission_scene.applications[2]
    page = office_client.get(url("office_commission", code))
    assert [row.application.student.last_name for row in page.context["rows"]] == [
        "Bianchi",
        "Rossi",
        "Verdi",
    ]
    response = office_client.post(
        url("office_commission_score", code, verdi.pk),
        {
            f"a{verdi.pk}-portfolio": "9.5",
            f"a{verdi.pk}-languages_motivation_cv": "8",
            f"a{verdi.pk}-interview": "10",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{url('office_commission', code)}#application-{verdi.pk}"
    marks = CommissionScore.objects.get(application=verdi)
    assert (marks.portfolio, marks.languages_motivation_cv, marks.interview, marks.entered_by) == (
        Decimal("9.50"),
        Decimal("8.00"),
        Decimal("10.00"),
        office,
    )
    services.rank_call(call=commission_scene.call)
    verdi.refresh_from_db()
    assert (verdi.rank, verdi.score) == (1, Decimal("52.500"))


def test_commission_score_out_of_range_is_refused(
    office_client: Client, commission_scene: Scene
) -> None:
    application = commission_scene.applications[0]
    prefix = f"a{application.pk}"
    response = office_client.post(
        url("office_commission_score", commission_scene.call.code, application.pk),
        {f"{prefix}-portfolio": "11", f"{prefix}-languages_motivation_cv": "8"},
    )
    assert response.status_code == 400
    assert "Ensure this value is less than or equal to 10." in response.content.decode()
    assert "This field is required." in response.content.decode()
    assert not CommissionScore.objects.exists()


def test_no_commission_page_for_an_engineering_call(office_client: Client, scene: Scene) -> None:
    assert office_client.get(url("office_commission", scene.call.code)).status_code == 404


def test_nominations_page_and_unknown_format(office_client: Client, scene: Scene) -> None:
    code = scene.call.code
    assert office_client.get(url("office_nominations", code)).context["rows"] == []
    assert office_client.post(url("office_nominations_export", code, "pdf")).status_code == 404
    # a GET of the export makes nothing: the page's buttons post
    assert office_client.get(url("office_nominations_export", code, "xlsx")).status_code == 405
    assert office_client.get(url("office_ranking_export", code)).status_code == 405
    assert not Job.objects.exists()
    response = exported(office_client, url("office_nominations_export", code, "xlsx"))
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == f'attachment; filename="nominations-{code}.xlsx"'


def test_pages_have_no_inline_script_or_style(
    office_client: Client, commission_scene: Scene
) -> None:
    services.rank_call(call=commission_scene.call)
    services.run_round(round=commission_scene.call.rounds.get())
    for name, (method, address) in every_url(commission_scene).items():
        if method != "get" or name.endswith("export"):
            continue
        page = office_client.get(address).content.decode()
        assert " style=" not in page, name
        assert "<script>" not in page, name
        assert " onclick=" not in page, name


def test_unknown_call_is_404(office_client: Client, db: None) -> None:
    assert office_client.get(url("office_call", "nope")).status_code == 404
    assert office_client.get(url("office_round", "nope", 1)).status_code == 404


def test_unknown_round_is_404(office_client: Client, scene: Scene) -> None:
    assert office_client.get(url("office_round", scene.call.code, 7)).status_code == 404


def test_school_sections_promoter_of_the_parent(db: None) -> None:
    """A promoter of AUIC-ENG (a section of AUIC) sees a call for AUIC."""
    auic = School.objects.create(code="AUIC", name="AUIC")
    section = School.objects.create(code="AUIC-ENG", name="AUIC engineering", parent=auic)
    CallFactory.create(code="auic-2027", schools=[auic])
    promoter = PromoterFactory.create(user__username="section-prof", school=section).user
    response = logged_in(promoter).get(url("office_ranking", "auic-2027"))
    assert response.status_code == 200


# -------------------------------------------------------------------------------- demo


def test_demo_gives_the_office_something_to_show(office_client: Client) -> None:
    from abroad.site.demo.catalogue import load_demo
    from abroad.site.demo.selection import DESIGN_CALL, ENGINEERING_CALL, load_selection_demo

    load_demo()
    first = load_selection_demo()
    assert first.created > 0
    again = load_selection_demo()
    assert again.created == 0
    assert (again.careers, again.certificates, again.applications) == (
        first.careers,
        first.certificates,
        first.applications,
    )
    students = User.objects.filter(role=Role.STUDENT).exclude(student_number="")
    assert first.careers == students.count()
    english = students.filter(certificates__language="en").count()
    assert english >= students.count() * 0.7

    engineering = Call.objects.get(code=ENGINEERING_CALL)
    assert sorted(engineering.schools.values_list("code", flat=True)) == ["3I", "AUIC-ENG", "ICAT"]
    assert engineering.academic_year == 2027
    assert engineering.is_open()
    closes = timezone.localtime(engineering.closes_at)
    assert (closes.hour, closes.minute, closes.second, str(closes.tzinfo)) == (
        12,
        0,
        0,
        "Europe/Rome",
    )
    assert 55 <= (closes - timezone.now()).days <= 62
    assert engineering.applications.filter(state=ApplicationState.SUBMITTED).exists()
    assert not engineering.applications.filter(student__username="student").exists()

    design = Call.objects.get(code=DESIGN_CALL)
    assert design.formula == RankingFormula.COMMISSION
    assert not design.is_open()
    assert design.closes_at < timezone.now() - dt.timedelta(days=20)
    assert design.applications.filter(rank__isnull=False).count() >= 5
    round = design.rounds.get()
    assert round.state == RoundState.PUBLISHED
    assert services.nominations(design).count() >= 3

    # semester calls (issue 18, point 4): no ATHENS week, no 24-month double degree
    for call in (engineering, design):
        held = call.call_offers.values_list("offer__agreement__programme", flat=True)
        assert set(held) <= {"erasmus", "bilateral"}, call.code
        assert not call.call_offers.filter(offer__months__in=[1, 24]).exists(), call.code

    for address in (
        url("office_calls"),
        url("office_call", ENGINEERING_CALL),
        url("office_call_edit", ENGINEERING_CALL),
        url("office_call_offers", ENGINEERING_CALL),
        url("office_call", DESIGN_CALL),
        url("office_ranking", DESIGN_CALL),
        url("office_round", DESIGN_CALL, 1),
        url("office_commission", DESIGN_CALL),
        url("office_nominations", DESIGN_CALL),
    ):
        assert office_client.get(address).status_code == 200, address


# ------------------------------------------------------------------------------- admin


def test_admin_pages_and_actions(scene: Scene) -> None:
    admin_user = UserFactory.create(
        username="root", role=Role.ADMIN, is_superuser=True, password="!"
    )
    client = logged_in(admin_user)
    services.rank_call(call=scene.call)
    round = Round.objects.create(
        call=scene.call, number=1, acceptance_deadline=timezone.now() + dt.timedelta(days=7)
    )
    services.run_round(round=round)
    application = scene.applications[0]
    career = application.student.career
    for address in (
        reverse("admin:selection_call_changelist"),
        reverse("admin:selection_call_change", args=[scene.call.pk]),
        reverse("admin:selection_application_changelist"),
        reverse("admin:selection_application_change", args=[application.pk]),
        reverse("admin:selection_assignment_changelist"),
        reverse("admin:people_studentcareer_changelist"),
        reverse("admin:people_studentcareer_change", args=[career.pk]),
        reverse("admin:people_languagecertificate_changelist"),
    ):
        assert client.get(address).status_code == 200, address
    assert client.get(reverse("admin:selection_application_add")).status_code == 403
    # calls are created on the office's page (tests/selection/test_call_editor.py)
    assert client.get(reverse("admin:selection_call_add")).status_code == 403

    response = client.post(
        reverse("admin:selection_call_changelist"),
        {"action": "rank", "_selected_action": [scene.call.pk]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Engineering 2027/2028: 3 applications ranked."
    ]
    assert AuditEvent.objects.filter(action="call.ranked", actor=admin_user).count() == 1


def test_actions_need_the_csrf_token(office: User, scene: Scene) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(office)
    response = client.post(url("office_rank", scene.call.code))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="call.ranked").exists()


def test_the_admin_lists_the_offices_school_calls_only(
    personas: dict[str, Client], scene: Scene
) -> None:
    for model in ("call", "application"):
        address = f"/office/admin/selection/{model}/"
        counts = {
            name: personas[name].get(address).context["cl"].result_count
            for name in ("office", "school_office", "other_school_office")
        }
        expected = 1 if model == "call" else len(scene.applications)
        assert counts == {
            "office": expected,
            "school_office": expected,
            "other_school_office": 0,
        }, model


def test_the_round_page_shows_the_students_a_page_at_a_time(
    office_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from abroad.selection import views_office

    monkeypatch.setattr(views_office, "ROUND_PAGE_SIZE", 5)
    scene = build_call(code="paged-2027", applicants=12)
    services.rank_call(call=scene.call)
    round = Round.objects.create(
        call=scene.call, number=1, acceptance_deadline=timezone.now() + dt.timedelta(days=7)
    )
    services.run_round(round=round)
    first = office_client.get(url("office_round", scene.call.code, 1))
    last = office_client.get(url("office_round", scene.call.code, 1) + "?page=3")
    assert len(first.context["student_rows"]) == 5
    assert len(last.context["student_rows"]) == 2
    # The counts are the whole round's, not the page's.
    everyone = list(round.assignments.all())
    assert first.context["assigned"] == sum(1 for a in everyone if a.call_offer_id)
    assert first.context["assigned"] + first.context["unassigned"] == 12
    assert sum(n for _, n in first.context["choices"]) == first.context["assigned"]
    ranks = [row.assignment.application.rank for row in first.context["student_rows"]]
    assert ranks == sorted(ranks)
    assert 'rel="next"' in first.content.decode()
