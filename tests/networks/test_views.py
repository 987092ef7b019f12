"""The network pages through the test client: who may see and do what (every view, with
the personas: the student who owns, another student, the promoter, the office, anonymous),
what the pages show, the filters, the map's JSON, and constant query counts on list pages."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abroad.mobility.models import Mobility
from abroad.networks import services
from abroad.networks.enums import AllocationState, ApplicationState, PlanState
from abroad.networks.models import AthensAllocation, AthensApplication, AthensSession
from abroad.people.enums import Role
from abroad.people.models import User
from tests.factories import InstitutionFactory, NetworkFactory, UserFactory, member
from tests.jobs import follow_job
from tests.networks.factories import CareerFactory, CourseFactory, SessionFactory, in_days
from tests.networks.test_double_degree import double_degree_mobility

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

PERSONAS = ("student", "other_student", "promoter", "office", "anonymous")


def _status(
    personas: dict[str, Client], method: str, url: str, data: dict | None = None
) -> dict[str, int]:
    return {name: getattr(personas[name], method)(url, data or {}).status_code for name in PERSONAS}


def _login_redirect(response_code: int) -> bool:
    return response_code == 302


@pytest.fixture
def session(student: User) -> AthensSession:
    CareerFactory.create(student=student)
    session = SessionFactory.create(code="athens-2027-03", year=2027)
    CourseFactory.create(
        session=session, code="DE01", title="Robotics", isced_code="0714", language="en"
    )
    CourseFactory.create(
        session=session, code="FR01", title="Urbanism", isced_code="0731", language="fr"
    )
    return session


# ------------------------------------------------------------------------ public pages


def test_public_pages_answer_everybody(session: AthensSession, personas: dict[str, Client]) -> None:
    for url in (
        reverse("networks:sessions"),
        reverse("networks:session", args=[session.code]),
        reverse("networks:session_map_data", args=[session.code]),
    ):
        assert _status(personas, "get", url) == dict.fromkeys(PERSONAS, 200), url
    assert personas["anonymous"].get(reverse("networks:session", args=["nope"])).status_code == 404


def test_the_catalogue_filters_from_the_url(session: AthensSession, client: Client) -> None:
    url = reverse("networks:session", args=[session.code])
    page = client.get(url).content.decode()
    assert "Robotics" in page
    assert "Urbanism" in page
    page = client.get(url, {"language": "fr"}).content.decode()
    assert "Urbanism" in page
    assert "Robotics" not in page
    assert "1 course matches" in page
    page = client.get(url, {"field": "071"}).content.decode()
    assert "Robotics" in page
    assert "Urbanism" not in page
    host = session.courses.get(code="DE01").host_id
    page = client.get(url, {"host": host}).content.decode()
    assert "Robotics" in page
    assert "Urbanism" not in page


def test_the_map_json_has_one_point_per_host_with_its_courses(
    session: AthensSession, client: Client
) -> None:
    robotics = session.courses.get(code="DE01")
    CourseFactory.create(
        session=session, code="DE02", title="Vision", host=robotics.host, capacity=3
    )
    data = client.get(reverse("networks:session_map_data", args=[session.code])).json()
    assert data["count"] == 2
    point = next(p for p in data["points"] if p["id"] == robotics.host_id)
    assert (point["offers"], point["seats"]) == (2, 4)
    assert [a["code"] for a in point["agreements"]] == ["DE01 Robotics", "DE02 Vision"]
    assert point["url"] == f"/networks/athens/{session.code}/?host={robotics.host_id}#courses"
    filtered = client.get(
        reverse("networks:session_map_data", args=[session.code]), {"language": "fr"}
    ).json()
    assert filtered["count"] == 1


# ----------------------------------------------------------------- the application


def test_only_students_open_the_application_page(
    session: AthensSession, personas: dict[str, Client]
) -> None:
    url = reverse("networks:apply", args=[session.code])
    assert _status(personas, "get", url) == {
        "student": 200,
        "other_student": 200,
        "promoter": 403,
        "office": 403,
        "anonymous": 302,
    }


def test_the_student_ranks_writes_submits_and_withdraws_without_javascript(
    session: AthensSession, student: User, personas: dict[str, Client]
) -> None:
    client = personas["student"]
    robotics, urbanism = session.courses.order_by("code")
    apply_url = reverse("networks:apply", args=[session.code])
    page = client.get(apply_url).content.decode()
    assert "Your career meets this session" in page
    response = client.post(
        reverse("networks:save_choices", args=[session.code]),
        {"course": [urbanism.pk, robotics.pk], "moved": robotics.pk},
        follow=True,
    )
    assert "Robotics added as your choice number 2." in response.content.decode()
    client.post(
        reverse("networks:save_motivation", args=[session.code]), {"motivation": "Curious."}
    )
    response = client.post(reverse("networks:submit", args=[session.code]), follow=True)
    assert "Your application is submitted." in response.content.decode()
    application = AthensApplication.objects.get(student=student)
    assert application.state == ApplicationState.SUBMITTED
    assert list(application.choices.values_list("course_id", flat=True)) == [
        urbanism.pk,
        robotics.pk,
    ]
    response = client.post(reverse("networks:withdraw", args=[session.code]), follow=True)
    assert "Your application is withdrawn." in response.content.decode()


def test_writes_are_for_students_only(session: AthensSession, personas: dict[str, Client]) -> None:
    course = session.courses.first()
    assert course is not None
    for name, data in (
        ("save_choices", {"course": [course.pk]}),
        ("save_motivation", {"motivation": "x"}),
        ("submit", {}),
    ):
        codes = _status(personas, "post", reverse(f"networks:{name}", args=[session.code]), data)
        assert codes["promoter"] == codes["office"] == 403, name
        assert codes["anonymous"] == 302, name
        assert codes["student"] == codes["other_student"] == 302, name
    assert AthensApplication.objects.count() == 2  # the two students' own drafts
    # Nobody can withdraw an application they do not have.
    assert (
        personas["promoter"].post(reverse("networks:withdraw", args=[session.code])).status_code
        == 403
    )
    AthensApplication.objects.all().delete()
    assert (
        personas["other_student"]
        .post(reverse("networks:withdraw", args=[session.code]))
        .status_code
        == 404
    )


def test_after_the_deadline_the_page_says_so_and_the_draft_stays(
    session: AthensSession, student: User, personas: dict[str, Client]
) -> None:
    course = session.courses.first()
    assert course is not None
    services.save_choices(session=session, student=student, course_ids=[course.pk])
    AthensSession.objects.filter(pk=session.pk).update(
        applications_close_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = personas["student"].post(
        reverse("networks:save_choices", args=[session.code]), {"course": []}, follow=True
    )
    assert "nothing was changed" in response.content.decode()
    assert AthensApplication.objects.get().choices.count() == 1


def _published_for(student: User, session: AthensSession) -> AthensAllocation:
    course = session.courses.get(code="DE01")
    services.save_choices(session=session, student=student, course_ids=[course.pk])
    services.save_motivation(session=session, student=student, motivation="Yes")
    services.submit_application(
        application=AthensApplication.objects.get(student=student), actor=student
    )
    AthensSession.objects.filter(pk=session.pk).update(
        applications_close_at=timezone.now() - dt.timedelta(seconds=1)
    )
    session.refresh_from_db()
    services.rank_session(session=session)
    services.allocate_session(session=session)
    services.publish_results(session=session, acceptance_deadline=in_days(3))
    return AthensAllocation.objects.get()


def test_only_the_owner_accepts_or_declines(
    session: AthensSession, student: User, personas: dict[str, Client]
) -> None:
    allocation = _published_for(student, session)
    page = personas["student"].get(reverse("networks:apply", args=[session.code])).content.decode()
    assert "A place in <strong>Robotics</strong>" in page
    assert "Accept this course" in page
    for name in ("accept", "decline"):
        url = reverse(f"networks:{name}", args=[session.code])
        assert personas["other_student"].post(url).status_code == 404
        assert personas["promoter"].post(url).status_code == 404
        assert personas["office"].post(url).status_code == 404
        assert personas["anonymous"].post(url).status_code == 302
    response = personas["student"].post(
        reverse("networks:accept", args=[session.code]), follow=True
    )
    assert "You accepted Robotics." in response.content.decode()
    allocation.refresh_from_db()
    assert allocation.state == AllocationState.ACCEPTED


# ------------------------------------------------------------------------ the office


def test_office_pages_are_for_the_office(
    session: AthensSession, student: User, personas: dict[str, Client]
) -> None:
    allocation = _published_for(student, session)
    participation = services.accept_allocation(allocation_row=allocation, actor=student)
    for url in (
        reverse("networks:office_sessions"),
        reverse("networks:office_session_new"),
        reverse("networks:office_session", args=[session.code]),
        reverse("networks:office_session_edit", args=[session.code]),
        reverse("networks:office_import", args=[session.code]),
        reverse("networks:office_participants", args=[session.code]),
    ):
        assert _status(personas, "get", url) == {
            "student": 404,
            "other_student": 404,
            "promoter": 404,
            "office": 200,
            "anonymous": 302,
        }, url
        # a session ranks every School's students together: no School's office runs it
        for persona in ("school_office", "other_school_office"):
            assert personas[persona].get(url).status_code == 404, (url, persona)
    for name in ("office_rank", "office_allocate", "office_publish", "office_close"):
        url = reverse(f"networks:{name}", args=[session.code])
        for persona in ("student", "other_student", "promoter"):
            assert personas[persona].post(url).status_code == 404, (name, persona)
        assert personas["anonymous"].post(url).status_code == 302
    url = reverse("networks:office_record_result", args=[participation.pk])
    data = {f"p{participation.pk}-passed": "yes", f"p{participation.pk}-ects_earned": "2"}
    for persona in ("student", "other_student", "promoter"):
        assert personas[persona].post(url, data).status_code == 404
    assert personas["office"].post(url, data).status_code == 302
    participation.refresh_from_db()
    assert (participation.passed, participation.ects_earned) == (True, Decimal(2))


def test_the_office_runs_a_session_from_its_page(
    session: AthensSession, student: User, office: User
) -> None:
    client = Client()
    client.force_login(office)
    course = session.courses.get(code="DE01")
    services.save_choices(session=session, student=student, course_ids=[course.pk])
    services.save_motivation(session=session, student=student, motivation="Yes")
    services.submit_application(application=AthensApplication.objects.get(), actor=student)
    response = client.post(reverse("networks:office_rank", args=[session.code]), follow=True)
    assert "Applications are open until" in response.content.decode()
    AthensSession.objects.filter(pk=session.pk).update(
        applications_close_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.post(reverse("networks:office_rank", args=[session.code]), follow=True)
    assert "1 eligible applications ranked." in response.content.decode()
    response = client.post(reverse("networks:office_allocate", args=[session.code]), follow=True)
    assert "1 of 1 students got a course." in response.content.decode()
    deadline = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("networks:office_publish", args=[session.code]),
        {"acceptance_deadline": deadline},
        follow=True,
    )
    assert "The results are published to the students." in response.content.decode()
    assert "got their choice 1" in response.content.decode()
    assert "your 1st choice" not in response.content.decode()  # the office reads "their"


def _enabled_steps(client: Client, session: AthensSession) -> set[str]:
    page = client.get(reverse("networks:office_session", args=[session.code])).content.decode()
    buttons = {m.group(1): m.group(0) for m in re.finditer(r'<button [^>]*id="(\w+)"[^>]*>', page)}
    return {
        step
        for step in ("rank", "allocate", "publish", "close")
        if step in buttons and "disabled" not in buttons[step]
    }


def test_the_office_page_offers_only_the_steps_that_can_run_now(
    session: AthensSession, student: User, office: User
) -> None:
    client = Client()
    client.force_login(office)
    course = session.courses.get(code="DE01")
    services.save_choices(session=session, student=student, course_ids=[course.pk])
    services.save_motivation(session=session, student=student, motivation="Yes")
    services.submit_application(application=AthensApplication.objects.get(), actor=student)
    assert _enabled_steps(client, session) == set()  # applications are open
    AthensSession.objects.filter(pk=session.pk).update(
        applications_close_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _enabled_steps(client, session) == {"rank", "allocate"}
    services.rank_session(session=session)
    services.allocate_session(session=session)
    assert _enabled_steps(client, session) == {"rank", "allocate", "publish"}
    services.publish_results(session=session, acceptance_deadline=in_days(3))
    assert _enabled_steps(client, session) == set()  # the students are answering
    AthensSession.objects.filter(pk=session.pk).update(
        acceptance_deadline=timezone.now() - dt.timedelta(seconds=1)
    )
    assert _enabled_steps(client, session) == {"close"}


def test_the_office_creates_a_session_and_imports_its_courses(office: User) -> None:
    client = Client()
    client.force_login(office)
    athens = NetworkFactory.create(code="athens", name="ATHENS")
    member(athens, InstitutionFactory.create(erasmus_code="NL DELFT01"))
    response = client.post(
        reverse("networks:office_session_new"),
        {
            "code": "athens-2028-03",
            "network": athens.pk,
            "season": "march",
            "year": 2028,
            "starts_on": "2028-03-11",
            "ends_on": "2028-03-18",
            "applications_open_at": "2027-11-01T09:00",
            "applications_close_at": "2027-12-01T12:00",
            "max_choices": 3,
            "min_credits": 0,
        },
    )
    assert response.status_code == 302
    created = AthensSession.objects.get(code="athens-2028-03")
    upload = io.BytesIO(b"code,host_erasmus_code,title,capacity\nX1,NL DELFT01,,2\n")
    upload.name = "courses.csv"
    url = reverse("networks:office_import", args=[created.code])
    # the import runs as a background job; its page shows the report
    _job, response = follow_job(client, client.post(url, {"file": upload}))
    assert (
        "line 2, column &#x27;title&#x27;: give the course&#x27;s title"
        in response.content.decode()
    )
    assert not created.courses.exists()
    upload = io.BytesIO(b"code,host_erasmus_code,title,capacity\nX1,NL DELFT01,Robots,2\n")
    upload.name = "courses.csv"
    _job, response = follow_job(client, client.post(url, {"file": upload}))
    assert "Courses imported: 1 created, 0 updated." in response.content.decode()
    assert reverse("networks:office_session", args=[created.code]) in response.content.decode()
    assert created.courses.get().title == "Robots"


# --------------------------------------------------------------- double-degree plans


@pytest.fixture
def plan_mobility(student: User, promoter: User):  # type: ignore[no-untyped-def]
    assert student.course_of_study is not None
    student.course_of_study.coordinators.add(promoter.promoter)
    return double_degree_mobility(student)


PLAN = {
    "credits_at_partner": 120,
    "credits_recognised_at_home": 60,
    "thesis_at_home": "on",
    "thesis_at_partner": "on",
    "mobility_unit_months": 12,
    "study_plan": "Two years.",
}


def test_plan_pages_follow_the_mobility(plan_mobility, personas: dict[str, Client]) -> None:  # type: ignore[no-untyped-def]
    url = reverse("networks:plan", args=[plan_mobility.pk])
    assert _status(personas, "get", url) == {
        "student": 200,
        "other_student": 404,
        "promoter": 200,
        "office": 200,
        "anonymous": 302,
    }
    save = reverse("networks:plan_save", args=[plan_mobility.pk])
    assert _status(personas, "post", save, PLAN) == {
        "student": 302,
        "other_student": 404,
        "promoter": 403,
        "office": 302,
        "anonymous": 302,
    }
    submit = reverse("networks:plan_submit", args=[plan_mobility.pk])
    for persona, code in (("other_student", 404), ("promoter", 403), ("anonymous", 302)):
        assert personas[persona].post(submit).status_code == code
    response = personas["student"].post(submit, follow=True)
    assert "The plan is submitted to your promoter." in response.content.decode()
    decide = reverse("networks:plan_decide", args=[plan_mobility.pk])
    for persona, code in (
        ("student", 403),
        ("office", 403),
        ("other_student", 404),
        ("anonymous", 302),
    ):
        assert personas[persona].post(decide, {"decision": "approve"}).status_code == code
    assert personas["school_office"].get(url).status_code == 200
    assert personas["other_school_office"].get(url).status_code == 404
    assert personas["other_school_office"].post(save, PLAN).status_code == 404
    page = personas["promoter"].get(url).content.decode()
    assert "Approve the plan" in page
    response = personas["promoter"].post(
        decide, {"decision": "return", "comment": "Add the thesis."}, follow=True
    )
    assert "The plan is returned." in response.content.decode()
    plan_mobility.double_degree_plan.refresh_from_db()
    assert plan_mobility.double_degree_plan.state == PlanState.RETURNED


def test_the_desk_lists_the_plans_a_promoter_approves(
    plan_mobility: Mobility,
    personas: dict[str, Client],
    student: User,
) -> None:
    plan = services.save_plan(
        mobility=plan_mobility,
        actor=student,
        credits_at_partner=120,
        credits_recognised_at_home=60,
        thesis_at_home=True,
        thesis_at_partner=True,
        study_plan="Two years.",
    )
    services.submit_plan(plan=plan, actor=student)
    url = reverse("networks:plan_desk")
    assert _status(personas, "get", url) == {
        "student": 404,
        "other_student": 404,
        "promoter": 200,
        "office": 200,
        "anonymous": 302,
    }
    assert "1 plan to approve" in personas["promoter"].get(url).content.decode()
    assert personas["school_office"].get(url).context["waiting"] == [plan]
    assert personas["other_school_office"].get(url).context["waiting"] == []
    stranger = UserFactory.create(username="stranger", role=Role.PROMOTER)
    from tests.factories import PromoterFactory

    PromoterFactory.create(user=stranger)
    client = Client()
    client.force_login(stranger)
    assert "0 plans to approve" in client.get(url).content.decode()


# ---------------------------------------------------------------------- query counts


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def _grow(session: AthensSession, count: int) -> None:
    for _n in range(count):
        course = CourseFactory.create(session=session, capacity=2)
        student = UserFactory.create(role=Role.STUDENT)
        CareerFactory.create(student=student)
        services.save_choices(session=session, student=student, course_ids=[course.pk])
        services.save_motivation(session=session, student=student, motivation="x")
        services.submit_application(
            application=AthensApplication.objects.get(session=session, student=student),
            actor=student,
        )


@pytest.mark.parametrize(
    ("persona", "url_of"),
    [
        ("anonymous", lambda s: reverse("networks:sessions")),
        ("student", lambda s: reverse("networks:sessions")),
        ("anonymous", lambda s: reverse("networks:session", args=[s.code])),
        ("anonymous", lambda s: reverse("networks:session_map_data", args=[s.code])),
        ("student", lambda s: reverse("networks:apply", args=[s.code])),
        ("office", lambda s: reverse("networks:office_sessions")),
        ("office", lambda s: reverse("networks:office_session", args=[s.code])),
        ("office", lambda s: reverse("networks:office_participants", args=[s.code])),
    ],
)
def test_list_pages_run_a_constant_number_of_queries(
    session: AthensSession,
    personas: dict[str, Client],
    persona: str,
    url_of: Callable[[AthensSession], str],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    client = personas[persona]
    url = url_of(session)
    _grow(session, 2)
    SessionFactory.create()
    few = _queries(client, url)
    _grow(session, 6)
    SessionFactory.create()
    assert _queries(client, url) == few
    with django_assert_max_num_queries(20):
        client.get(url)


def test_the_plan_desk_runs_a_constant_number_of_queries(
    office: User, django_assert_max_num_queries: Callable[..., object]
) -> None:
    client = Client()
    client.force_login(office)
    url = reverse("networks:plan_desk")
    for n in range(2):
        services.save_plan(
            mobility=double_degree_mobility(
                UserFactory.create(username=f"dd{n}", role=Role.STUDENT)
            ),
            actor=None,
            credits_at_partner=60,
        )
    few = _queries(client, url)
    for n in range(2, 6):
        services.save_plan(
            mobility=double_degree_mobility(
                UserFactory.create(username=f"dd{n}", role=Role.STUDENT)
            ),
            actor=None,
            credits_at_partner=60,
        )
    assert _queries(client, url) == few


def _participations(session: AthensSession, count: int) -> None:
    """``count`` more students, each with a course of their own, accepted (the session is
    reopened for them, then allocated and published again)."""
    AthensSession.objects.filter(pk=session.pk).update(applications_close_at=in_days(1))
    session.refresh_from_db()
    _grow(session, count)
    AthensSession.objects.filter(pk=session.pk).update(
        applications_close_at=timezone.now() - dt.timedelta(seconds=1),
        results_state="not_run",
    )
    AthensAllocation.objects.all().delete()
    session.refresh_from_db()
    services.rank_session(session=session)
    services.allocate_session(session=session)
    services.publish_results(session=session, acceptance_deadline=in_days(3))
    for row in AthensAllocation.objects.filter(state=AllocationState.OFFERED):
        services.accept_allocation(allocation_row=row, actor=row.application.student)


def test_the_participants_page_costs_the_same_with_more_participants(
    session: AthensSession, office: User
) -> None:
    client = Client()
    client.force_login(office)
    url = reverse("networks:office_participants", args=[session.code])
    _participations(session, 2)
    few = _queries(client, url)
    assert few > 0
    page = client.get(url).content.decode()
    assert page.count('id="participation-') == 2
    # more participants (re-published with the new applications)
    from abroad.networks.models import Participation

    Participation.objects.all().delete()
    _participations(session, 5)
    assert Participation.objects.count() == 7
    assert client.get(url).content.decode().count('id="participation-') == 7
    assert _queries(client, url) == few
