"""The recognition pages: who sees and does what on each (the five personas and the promoter
who approves the mobility), every step through the pages (enter, import, accept, dispute,
propose, adjust, validate), the explanation shown, the conversion page's worked examples, the
grading tables' charts and upload, the registrar's export, and constant query counts."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from abroad.catalogue.models import CourseOfStudy, Institution
from abroad.core.models import Job
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.people.models import User
from abroad.recognition import services
from abroad.recognition.enums import Cycle, Method, Outcome, TranscriptState
from abroad.recognition.models import ConversionRule, GradingTable, RecognitionLine, Transcript
from abroad.recognition.services import EntryData
from tests.conftest import logged_in
from tests.factories import CourseOfStudyFactory, InstitutionFactory, PromoterFactory
from tests.jobs import exported
from tests.mobility.factories import coordinate
from tests.recognition.factories import (
    ConversionRuleFactory,
    EndedMobilityFactory,
    GradingTableFactory,
    signed_agreement,
    standard,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

FIVE_A = [
    ("FR101", "Thermodynamique", 6),
    ("FR102", "Mécanique des fluides", 6),
    ("FR103", "Automatique", 6),
    ("FR104", "Optimisation", 6),
    ("FR105", "Projet", 6),
]
FIVE_B = [
    ("052345", "Thermodynamics", 6),
    ("052346", "Fluid Mechanics", 6),
    ("052347", "Automatic Control", 6),
    ("052348", "Optimisation", 6),
    ("052349", "Design Project", 6),
]
GRADES = ("14", "12", "16,5", "20", "9")

EVERYBODY = ("student", "other_student", "promoter", "office", "anonymous", "approver")


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def host() -> Institution:
    return InstitutionFactory.create(name="Université Paris-Saclay", country="FR")


@pytest.fixture
def mobility(student: User, host: Institution) -> Mobility:
    """The student persona's mobility at a French partner, learning agreement v1 signed with
    five rows in tables A and B; the French scale is the only one of France."""
    found: Mobility = EndedMobilityFactory.create(student=student, offer__agreement__partner=host)
    signed_agreement(found, a=FIVE_A, b=FIVE_B)
    standard("fr")
    return found


@pytest.fixture
def approver(mobility: Mobility) -> User:
    """The promoter who approves the mobility (a coordinator of the student's course); the
    ``promoter`` persona is not."""
    user: User = PromoterFactory.create(user__username="approver").user
    coordinate(mobility, user)
    return user


@pytest.fixture
def clients(personas: dict[str, Client], approver: User) -> dict[str, Client]:
    return {**personas, "approver": logged_in(approver)}


@pytest.fixture
def linear(mobility: Mobility) -> ConversionRule:
    rule: ConversionRule = ConversionRuleFactory.create(
        name="Linear France", course_of_study=mobility.student.course_of_study
    )
    return rule


def entered(mobility: Mobility, office: User, grades: tuple[str, ...] = GRADES) -> Transcript:
    return services.enter_transcript(
        mobility=mobility,
        host_scale=standard("fr"),
        entries=[
            EntryData(code, grade=grade)
            for (code, _title, _ects), grade in zip(FIVE_A, grades, strict=False)
        ],
        actor=office,
    )


def accepted(mobility: Mobility, office: User, grades: tuple[str, ...] = GRADES) -> Transcript:
    transcript = entered(mobility, office, grades)
    return services.accept_transcript(transcript=transcript, actor=mobility.student)


def proposed(mobility: Mobility, office: User, grades: tuple[str, ...] = GRADES) -> Transcript:
    transcript = accepted(mobility, office, grades)
    return services.propose_recognition(transcript=transcript, actor=office)


def url(name: str, *args: Any) -> str:
    return reverse(f"recognition:{name}", args=args)


def login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(
        reverse("login") + "?next="
    )


def statuses(clients: dict[str, Client], address: str) -> dict[str, int]:
    found = {name: clients[name].get(address).status_code for name in EVERYBODY}
    assert login_redirect(clients["anonymous"].get(address))
    return found


def posted(clients: dict[str, Client], address: str, data: dict[str, Any]) -> dict[str, int]:
    return {name: clients[name].post(address, data).status_code for name in EVERYBODY}


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def post(client: Client, address: str, data: dict[str, Any] | None = None) -> list[str]:
    """POST, follow the redirect, return the messages shown."""
    response = client.post(address, data or {}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain, "a write answers with a redirect"
    return messages_of(response)


def text(response: Any) -> str:
    return response.content.decode()


def entries_of(transcript: Transcript) -> list[tuple[str, str, str]]:
    return [(e.code, e.grade, e.outcome) for e in transcript.entries.order_by("position")]


def csv_upload(content: str, name: str = "transcript.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


# ------------------------------------------------------------------------ who sees what


def test_transcript_page_permissions(
    clients: dict[str, Client], mobility: Mobility, office: User
) -> None:
    entered(mobility, office)
    assert statuses(clients, url("transcript", mobility.pk)) == {
        "student": 200,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "anonymous": 302,
        "approver": 200,
    }


def test_transcript_page_before_any_transcript(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    response = clients["student"].get(url("transcript", mobility.pk))
    assert "has not been entered yet" in text(response)
    assert url("transcript_enter", mobility.pk) not in text(response)
    office_page = text(clients["office"].get(url("transcript", mobility.pk)))
    assert url("transcript_enter", mobility.pk) in office_page


def test_the_transcript_is_not_offered_while_the_student_is_abroad(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    Mobility.objects.filter(pk=mobility.pk).update(state=MobilityState.IN_MOBILITY, actual_end=None)
    page = text(clients["office"].get(url("transcript", mobility.pk)))
    assert url("transcript_enter", mobility.pk) not in page
    assert "The student is still abroad" in page
    # The entry page itself says so and offers no form; the office's mobility page no link.
    enter = text(clients["office"].get(url("transcript_enter", mobility.pk)))
    assert "The student is still abroad" in enter
    assert 'name="action" value="enter"' not in enter
    office_mobility = text(
        clients["office"].get(reverse("mobility:office_mobility", args=[mobility.pk]))
    )
    assert url("transcript_enter", mobility.pk) not in office_mobility


def test_the_site_promoter_sees_the_mobility_but_not_its_transcript(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    assert mobility.offer is not None
    assert mobility.offer.agreement.promoter is not None
    site = logged_in(mobility.offer.agreement.promoter.user)
    entered(mobility, office)
    assert site.get(url("transcript", mobility.pk)).status_code == 404
    assert site.get(url("conversion", mobility.pk)).status_code == 200


def test_enter_page_permissions(clients: dict[str, Client], mobility: Mobility) -> None:
    # an office page: 404 for everybody else
    assert statuses(clients, url("transcript_enter", mobility.pk)) == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "anonymous": 302,
        "approver": 404,
    }


def test_conversion_page_permissions(
    clients: dict[str, Client], mobility: Mobility, linear: ConversionRule
) -> None:
    assert statuses(clients, url("conversion", mobility.pk)) == {
        "student": 200,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "anonymous": 302,
        "approver": 200,
    }


def test_rules_page_permissions(clients: dict[str, Client], linear: ConversionRule) -> None:
    assert statuses(clients, url("rules")) == {
        "student": 404,
        "other_student": 404,
        "promoter": 200,
        "office": 200,
        "anonymous": 302,
        "approver": 200,
    }


@pytest.mark.parametrize("name", ["grading_tables", "grading_table"])
def test_office_pages_permissions(clients: dict[str, Client], name: str) -> None:
    table = GradingTableFactory.create()
    address = {
        "grading_tables": url("grading_tables"),
        "grading_table": url("grading_table", table.pk),
    }[name]
    assert statuses(clients, address) == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 200,
        "anonymous": 302,
        "approver": 404,
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_who_asks_for_the_export(clients: dict[str, Client], fmt: str) -> None:
    """The export posts and makes a job (its file made by the worker) for the office only;
    for anybody else no job; a GET of it makes nothing."""
    address = url("export", fmt)
    assert posted(clients, address, {}) == {
        "student": 404,
        "other_student": 404,
        "promoter": 404,
        "office": 302,
        "anonymous": 302,
        "approver": 404,
    }
    assert login_redirect(clients["anonymous"].post(address))
    (job,) = Job.objects.all()
    assert (job.requested_by.username if job.requested_by else None, job.params) == (
        "office",
        {"format": fmt, "year": None},
    )
    assert clients["office"].get(address).status_code == 405
    assert Job.objects.count() == 1


def test_desk_permissions(clients: dict[str, Client]) -> None:
    assert statuses(clients, url("desk")) == {
        "student": 404,
        "other_student": 404,
        "promoter": 200,
        "office": 200,
        "anonymous": 302,
        "approver": 200,
    }


def test_another_schools_office_sees_none_of_the_schools_recognitions(
    clients: dict[str, Client],
    mobility: Mobility,
    office: User,
    approver: User,
    linear: ConversionRule,
) -> None:
    transcript = proposed(mobility, office)
    for name in ("transcript", "transcript_enter", "conversion"):
        address = url(name, mobility.pk)
        assert clients["school_office"].get(address).status_code == 200, name
        assert clients["other_school_office"].get(address).status_code == 404, name
    # the desk and the registrar's export hold the office's School only
    for persona, holds in (("school_office", [transcript.pk]), ("other_school_office", [])):
        desk = clients[persona].get(url("desk")).context
        assert [t.pk for t in desk["proposed"]] == holds, persona
    services.validate_recognition(transcript=transcript, actor=approver)
    # (made by the worker for who asked: the rows of the asker's School)
    for persona, has_it in (("school_office", True), ("other_school_office", False)):
        response = exported(clients[persona], url("export", "csv"))
        assert ("Paris-Saclay" in response.getvalue().decode()) is has_it, persona
        # the other School's office does not get the file made for this one
        job = Job.objects.order_by("created_at").last()
        assert job is not None
        other = "other_school_office" if persona == "school_office" else "school_office"
        assert clients[other].get(reverse("job_file", args=[job.pk])).status_code == 404


def test_a_substitute_validates_for_the_approver_and_the_page_names_both(
    clients: dict[str, Client],
    mobility: Mobility,
    office: User,
    approver: User,
    linear: ConversionRule,
) -> None:
    from django.utils import timezone

    from abroad.people.substitutes import name_substitute

    proposed(mobility, office)
    substitute = PromoterFactory.create(user__username="substitute").user
    stand_in = logged_in(substitute)
    assert stand_in.get(url("transcript", mobility.pk)).status_code == 404  # not yet named
    today = timezone.localdate()
    name_substitute(
        promoter=approver, substitute=substitute, starts_on=today, ends_on=today, actor=approver
    )
    desk = stand_in.get(url("desk")).context
    assert [t.mobility_id for t in desk["proposed"]] == [mobility.pk]
    post(stand_in, url("validate", mobility.pk))
    transcript = Transcript.objects.get(mobility=mobility)
    assert (transcript.state, transcript.validated_by) == (TranscriptState.VALIDATED, substitute)
    page = text(clients["student"].get(url("transcript", mobility.pk)))
    assert f"Decided by {substitute}, substituting for {approver}" in page


def test_unknown_objects_are_404(clients: dict[str, Client]) -> None:
    office = clients["office"]
    for address in (
        url("transcript", 999),
        url("transcript_enter", 999),
        url("conversion", 999),
        url("grading_table", 999),
    ):
        assert office.get(address).status_code == 404
    assert clients["approver"].post(url("adjust", 999)).status_code == 404


def test_who_may_post_each_step(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    """403 for who sees the transcript but may not act, 404 for who does not see it, a login
    redirect for anonymous; the one who may, acts (a redirect back to the page)."""
    transcript = entered(mobility, office)
    denied = {"other_student": 404, "promoter": 404, "anonymous": 302}
    refused = {**denied, "student": 403, "office": 403, "approver": 403}

    def without(*names: str) -> dict[str, int]:
        return {name: status for name, status in refused.items() if name not in names}

    def others(address: str, allowed: str, data: dict[str, Any] | None = None) -> None:
        found = {
            name: clients[name].post(address, data or {}).status_code
            for name in EVERYBODY
            if name != allowed
        }
        assert found == without(allowed)

    others(url("accept", mobility.pk), "student")
    others(url("dispute", mobility.pk), "student", {"reason": "x"})
    assert clients["student"].post(url("accept", mobility.pk)).status_code == 302
    found = {
        name: clients[name].post(url("propose", mobility.pk)).status_code
        for name in ("student", *denied)
    }
    assert found == {"student": 403, **denied}
    assert clients["office"].post(url("propose", mobility.pk)).status_code == 302
    line = transcript.lines.get(position=1)
    data = {f"line-{line.pk}-grade": "24", f"line-{line.pk}-reason": "x"}
    others(url("adjust", line.pk), "approver", data)
    others(url("validate", mobility.pk), "approver")
    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.PROPOSED
    assert RecognitionLine.objects.get(pk=line.pk).grade == "23"
    assert clients["approver"].post(url("validate", mobility.pk)).status_code == 302
    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.VALIDATED


def test_a_get_on_a_step_is_refused(clients: dict[str, Client], mobility: Mobility) -> None:
    assert clients["student"].get(url("accept", mobility.pk)).status_code == 405


# ----------------------------------------------------------------------- entering by hand


def enter_data(mobility: Mobility, grades: dict[int, str], extra: list[tuple[str, ...]]) -> dict:
    """The enter form as the page offers it (table A prefilled, three empty rows) with these
    grades by row (0-based) and extra rows (code, title, ects, grade) in the empty ones."""
    page = logged_in(User.objects.get(username="office")).get(url("transcript_enter", mobility.pk))
    formset = page.context["formset"]
    data: dict[str, Any] = {
        "action": "enter",
        "host_scale": standard("fr").pk,
        "received_on": "2027-07-01",
        "entries-TOTAL_FORMS": str(len(formset.forms)),
        "entries-INITIAL_FORMS": "0",
    }
    for index, form in enumerate(formset.forms):
        initial = form.initial
        for name in ("component", "code", "title", "ects"):
            value = initial.get(name)
            data[f"entries-{index}-{name}"] = "" if value is None else str(value)
        data[f"entries-{index}-grade"] = grades.get(index, "")
    for offset, (code, title, ects, grade) in enumerate(extra):
        index = len(FIVE_A) + offset
        data.update(
            {
                f"entries-{index}-code": code,
                f"entries-{index}-title": title,
                f"entries-{index}-ects": ects,
                f"entries-{index}-grade": grade,
            }
        )
    return data


def test_the_enter_page_prefills_table_a(clients: dict[str, Client], mobility: Mobility) -> None:
    response = clients["office"].get(url("transcript_enter", mobility.pk))
    formset = response.context["formset"]
    rows = [(f.initial.get("code"), f.initial.get("title"), f.initial.get("ects")) for f in formset]
    assert rows == [(c, t, str(e)) for c, t, e in FIVE_A] + [(None, None, None)] * 3
    assert response.context["form"].initial["host_scale"] == standard("fr")
    assert 'value="Thermodynamique"' in text(response)


def test_the_office_enters_the_transcript(
    clients: dict[str, Client], mobility: Mobility, office: User
) -> None:
    data = enter_data(mobility, {0: "14", 1: "8", 2: "16,5"}, [("XX900", "Cours libre", "3", "15")])
    messages = post(clients["office"], url("transcript_enter", mobility.pk), data)
    assert messages == ["The transcript was saved; the student is asked to accept it."]
    transcript = Transcript.objects.get(mobility=mobility)
    assert str(transcript.received_on) == "2027-07-01"
    assert entries_of(transcript) == [
        ("FR101", "14", Outcome.PASSED),
        ("FR102", "8", Outcome.FAILED),
        ("FR103", "16.5", Outcome.PASSED),
        ("FR104", "", Outcome.MISSING),
        ("FR105", "", Outcome.MISSING),
        ("XX900", "15", Outcome.PASSED),
    ]
    page = text(clients["student"].get(url("transcript", mobility.pk)))
    assert "Missing from the transcript" in page
    assert "outcome-failed" in page
    assert "not in table A" in page  # XX900


def test_entering_bad_rows_stores_nothing_and_names_each(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    data = enter_data(mobility, {0: "14", 1: "25"}, [("", "", "", "x"), ("FR101", "", "", "12")])
    response = clients["office"].post(url("transcript_enter", mobility.pk), data)
    assert response.status_code == 200
    assert response.context["problems"] == [
        "row 2 (FR102), grade: 25 is not a grade of France 0-20 (0-20, pass 10, step 0.01): it "
        "is above the highest grade 20",
        "row 6, code: give the host's code or title of the component",
        "row 6, grade: 'x' is not a grade of France 0-20 (0-20, pass 10, step 0.01): give a number",
        "row 7 (FR101), code: row 1 already reports FR101: keep one row per component",
    ]
    assert "The transcript was not saved" in text(response)
    assert 'value="25"' in text(response)  # what was typed stays
    assert not Transcript.objects.exists()


def test_a_form_error_is_shown_and_nothing_stored(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    data = enter_data(mobility, {0: "14"}, [("XX1", "Libre", "many", "12")])
    data["host_scale"] = ""
    response = clients["office"].post(url("transcript_enter", mobility.pk), data)
    assert response.status_code == 200
    assert response.context["problems"] == [
        "Grading scale of the transcript: Choose the grading scale of the transcript.",
        "row 6: ECTS: Enter a number.",
    ]
    assert not Transcript.objects.exists()


def test_entering_needs_a_signed_learning_agreement(
    clients: dict[str, Client], student: User
) -> None:
    other: Mobility = EndedMobilityFactory.create(student=student)
    response = clients["office"].get(url("transcript_enter", other.pk))
    assert "no learning agreement signed by all three" in text(response)
    assert response.context["agreement"] is None


# ----------------------------------------------------------------------------- importing


def test_an_import_with_bad_rows_stores_nothing_and_names_each_row(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    upload = csv_upload(
        "code,title,ects,grade\n"
        "FR101,Thermodynamique,6,14\n"
        "FR102,Fluides,five,12\n"
        ",No code,3,12\n"
        "FR103,Automatique,6,21\n"
    )
    response = clients["office"].post(
        url("transcript_enter", mobility.pk), {"action": "import", "file": upload}
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert [(e.line, e.column) for e in report.errors] == [(3, "ects"), (4, "code")]
    page = text(response)
    assert "Nothing was imported" in page
    assert "transcript.csv: 2 problems in 4 rows; nothing was stored." in page
    for error in report.errors:
        assert f'data-label="Line">{error.line}</td>' in page
        assert f'data-label="Column">{error.column}</td>' in page
    assert "&#x27;five&#x27; is not a number of credits between 0.5 and 60" in page
    assert not Transcript.objects.exists()


def test_an_import_with_bad_grades_names_each_line(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    upload = csv_upload("code,grade\nFR101,14\nFR102,21\nfr101,12\n")
    response = clients["office"].post(
        url("transcript_enter", mobility.pk), {"action": "import", "file": upload}
    )
    report = response.context["report"]
    assert [str(error) for error in report.errors] == [
        "line 3, column 'grade': 21 is not a grade of France 0-20 (0-20, pass 10, step 0.01): "
        "it is above the highest grade 20",
        "line 4, column 'code': line 2 already reports FR101: keep one row per component",
    ]
    assert not Transcript.objects.exists()


def test_the_office_imports_a_transcript(
    clients: dict[str, Client], mobility: Mobility, office: User
) -> None:
    upload = csv_upload("code;title;ects;grade\nFR101;Thermo;6;14\nFR102;Fluides;6;8\n")
    messages = post(
        clients["office"],
        url("transcript_enter", mobility.pk),
        {"action": "import", "file": upload, "received_on": "2027-07-02"},
    )
    assert messages == [
        "The transcript was imported from transcript.csv: 1 passed, 1 failed, 3 missing."
    ]
    transcript = Transcript.objects.get()
    assert transcript.host_scale == standard("fr")  # the only French scale
    assert entries_of(transcript)[:3] == [
        ("FR101", "14", Outcome.PASSED),
        ("FR102", "8", Outcome.FAILED),
        ("FR103", "", Outcome.MISSING),
    ]


def test_an_import_of_a_file_that_is_no_spreadsheet_is_refused(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    upload = SimpleUploadedFile("transcript.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = clients["office"].post(
        url("transcript_enter", mobility.pk), {"action": "import", "file": upload}
    )
    assert response.context["problems"] == [
        "Transcript file (CSV or XLSX): File extension “pdf” is not allowed. Allowed "
        "extensions are: csv, xlsx."
    ]
    assert not Transcript.objects.exists()


# ---------------------------------------------------------------------- accept and dispute


def test_the_student_accepts(clients: dict[str, Client], mobility: Mobility, office: User) -> None:
    entered(mobility, office)
    page = text(clients["student"].get(url("transcript", mobility.pk)))
    assert "Accept the transcript" in page
    assert "Accept the transcript" not in text(
        clients["office"].get(url("transcript", mobility.pk))
    )
    messages = post(clients["student"], url("accept", mobility.pk))
    assert messages == [
        "You accepted the transcript: the recognition of your exams will be proposed."
    ]
    assert Transcript.objects.get().state == TranscriptState.ACCEPTED
    # a second time: the service says why not
    assert post(clients["student"], url("accept", mobility.pk)) == [
        "The transcript is “Accepted by the student”; somebody may have acted on it already."
    ]


def test_the_student_disputes_with_a_reason(
    clients: dict[str, Client], mobility: Mobility, office: User
) -> None:
    entered(mobility, office)
    assert post(clients["student"], url("dispute", mobility.pk), {"reason": "  "}) == [
        "Say what is wrong with the transcript."
    ]
    assert Transcript.objects.get().state == TranscriptState.ENTERED
    messages = post(
        clients["student"], url("dispute", mobility.pk), {"reason": "FR102 was 13, not 12."}
    )
    assert messages == [
        "You disputed the transcript; the International Mobility Unit checks it with the host "
        "and enters it again."
    ]
    transcript = Transcript.objects.get()
    assert (transcript.state, transcript.dispute_reason) == (
        TranscriptState.DISPUTED,
        "FR102 was 13, not 12.",
    )
    office_page = text(clients["office"].get(url("transcript", mobility.pk)))
    assert "FR102 was 13, not 12." in office_page
    assert "Enter the transcript again" in office_page


def test_accepting_without_a_transcript_is_404(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    assert clients["student"].post(url("accept", mobility.pk)).status_code == 404


# --------------------------------------------------------------------------- the proposal


def test_the_office_proposes_and_the_explanation_is_shown(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    accepted(mobility, office)
    messages = post(clients["office"], url("propose", mobility.pk))
    assert messages == [
        "The recognition was proposed with the rule “Linear France”; the promoter validates it."
    ]
    transcript = Transcript.objects.get()
    assert transcript.state == TranscriptState.PROPOSED
    response = clients["student"].get(url("transcript", mobility.pk))
    page = text(response)
    first = transcript.lines.get(position=1)
    for line in first.sentences():
        assert line in page
    assert (
        "FR101 Thermodynamique: 14 (France 0-20) → 23 (Italy 0-30) by Linear France (linear "
        "formula): 18 + 12 × (14 − 10) / (20 − 10) = 22.8, rounded half up."
    ) in page
    assert "<strong>Formula</strong>: 18 + 12 × (14 − 10) / (20 − 10) = 22.8, rounded half up" in (
        page
    )
    view = response.context["lines"][0]
    assert (view.rule, view.method) == ("Linear France", "Linear formula")
    assert [(s.name, s.host_grade, s.home_grade) for s in view.sources] == [
        ("FR101 Thermodynamique", "14", "23")
    ]
    failed = response.context["lines"][4]
    assert failed.flag_label == "Every host component it recognises failed or is missing"
    assert "None of them passed: not recognised." in page
    assert "<strong>Fail</strong>: the lowest pass is 10" in page
    # the student sees but does not adjust or validate
    assert response.context["lines"][0].form is None
    assert "Validate the recognition" not in page


def test_the_approver_proposes_too_and_the_student_may_not(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    accepted(mobility, office)
    assert clients["student"].post(url("propose", mobility.pk)).status_code == 403
    assert post(clients["approver"], url("propose", mobility.pk))[0].startswith(
        "The recognition was proposed"
    )


def test_a_proposal_without_a_rule_says_so(
    clients: dict[str, Client], mobility: Mobility, office: User
) -> None:
    accepted(mobility, office)
    messages = post(clients["office"], url("propose", mobility.pk))
    assert len(messages) == 1
    assert messages[0].startswith("No conversion rule converts France 0-20 for this mobility")
    assert Transcript.objects.get().state == TranscriptState.ACCEPTED


def test_grading_table_percentiles_are_explained(
    clients: dict[str, Client], mobility: Mobility, office: User, host: Institution
) -> None:
    home = InstitutionFactory.create(name="Politecnico di Milano", country="IT", is_home=True)
    ConversionRuleFactory.create(
        name="EGRACONS 0715",
        method=Method.GRADING_TABLES,
        parameters={"policy": "closest"},
        host_table=GradingTableFactory.create(
            institution=host,
            scale=standard("fr"),
            percentages={"16": "10", "15": "15", "14": "25", "12": "50"},
        ),
        home_table=GradingTableFactory.create(
            institution=home,
            scale=standard("it"),
            percentages={"30": "20", "27": "40", "24": "40"},
        ),
    )
    proposed(mobility, office, ("14", "15", "12", "16", "10"))
    page = text(clients["approver"].get(url("transcript", mobility.pk)))
    assert "<strong>Host percentiles</strong>: top 25%–50% (Université Paris-Saclay" in page
    assert "<strong>Midpoint</strong>: 37.5%" in page
    assert "<strong>Home percentiles</strong>: top 20%–60% (Politecnico di Milano" in page
    assert "<strong>Overlap policy</strong>: closest" in page


# ----------------------------------------------------------------- adjusting and validating


def test_adjusting_needs_a_reason(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    transcript = proposed(mobility, office)
    line = transcript.lines.get(position=1)
    address = url("adjust", line.pk)
    messages = post(
        clients["approver"],
        address,
        {f"line-{line.pk}-grade": "25", f"line-{line.pk}-reason": " "},
    )
    assert messages == ["Say why you change the grade."]
    assert RecognitionLine.objects.get(pk=line.pk).grade == "23"
    messages = post(
        clients["approver"],
        address,
        {f"line-{line.pk}-grade": "25", f"line-{line.pk}-reason": "Oral exam with honours."},
    )
    assert messages == ["052345 Thermodynamics: the grade is now 25."]
    line.refresh_from_db()
    assert (line.proposed_grade, line.grade, line.adjusted_reason) == (
        "23",
        "25",
        "Oral exam with honours.",
    )
    page = text(clients["student"].get(url("transcript", mobility.pk)))
    assert "Oral exam with honours." in page
    assert "changed by the promoter" in page


def test_adjusting_to_a_fail_grade_is_refused(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    line = proposed(mobility, office).lines.get(position=1)
    messages = post(
        clients["approver"],
        url("adjust", line.pk),
        {f"line-{line.pk}-grade": "15", f"line-{line.pk}-reason": "x"},
    )
    assert messages[0].startswith("15 is a fail grade of Italy 0-30")


def test_the_approver_grants_a_failed_line_and_validates(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    transcript = proposed(mobility, office)
    page = clients["approver"].get(url("transcript", mobility.pk))
    assert all(view.form is not None for view in page.context["lines"])
    assert "Validate the recognition" in text(page)
    failed = transcript.lines.get(position=5)
    post(
        clients["approver"],
        url("adjust", failed.pk),
        {f"line-{failed.pk}-grade": "18", f"line-{failed.pk}-reason": "Project passed at home."},
    )
    messages = post(clients["approver"], url("validate", mobility.pk))
    assert messages == [
        f"The recognition of {mobility.student} is validated: it goes to the registrar."
    ]
    transcript.refresh_from_db()
    assert transcript.state == TranscriptState.VALIDATED
    assert [(line.grade, line.credits) for line in transcript.lines.order_by("position")] == [
        ("23", Decimal(6)),
        ("20", Decimal(6)),
        ("26", Decimal(6)),
        ("30", Decimal(6)),
        ("18", Decimal(6)),
    ]
    after = clients["approver"].get(url("transcript", mobility.pk))
    assert "Validate the recognition" not in text(after)
    assert all(view.form is None for view in after.context["lines"])
    assert "Recognition at home (validated)" in text(after)
    # validated: no more entering, nor validating again
    assert post(clients["approver"], url("validate", mobility.pk)) == [
        "The transcript is “Recognition validated”; somebody may have acted on it already."
    ]
    assert url("transcript_enter", mobility.pk) not in text(
        clients["office"].get(url("transcript", mobility.pk))
    )


def test_the_office_does_not_validate(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    proposed(mobility, office)
    page = clients["office"].get(url("transcript", mobility.pk))
    assert "Validate the recognition" not in text(page)
    assert clients["office"].post(url("validate", mobility.pk)).status_code == 403
    assert Transcript.objects.get().state == TranscriptState.PROPOSED


# ----------------------------------------------------------------------- the conversion


def examples_of(response: Any) -> list[tuple[str, str]]:
    (section,) = response.context["sections"]
    return [(example.host, example.home) for example in section.rule.examples]


def test_conversion_page_worked_examples_are_exact(
    clients: dict[str, Client], mobility: Mobility, linear: ConversionRule
) -> None:
    response = clients["student"].get(url("conversion", mobility.pk))
    assert examples_of(response) == [
        ("20", "30"),
        ("19", "29"),
        ("18", "28"),
        ("17", "26"),
        ("16", "25"),
        ("15", "24"),
        ("14", "23"),
        ("13", "22"),
        ("12", "20"),
        ("11", "19"),
        ("10", "18"),
        ("9", "FAIL"),
    ]
    page = text(response)
    assert "How your grades will be converted" in page
    assert re.search(
        r'class="example-host">14</td>\s*<td data-label="Home grade" class="example-home">'
        r"<strong>23</strong>",
        page,
    )
    assert "<code>18 + 12 × (V − 10) / (20 − 10)</code>" in page
    assert "Linear France" in page
    assert "14 (France 0-20) → 23 (Italy 0-30) by Linear France (linear formula)" in page


def test_conversion_page_shows_a_fixed_table(
    clients: dict[str, Client], mobility: Mobility
) -> None:
    bands = [["20", "16", "30"], ["15.99", "13", "27"], ["12.99", "10", "22"]]
    ConversionRuleFactory.create(
        name="AUIC table", method=Method.FIXED_TABLE, parameters={"bands": bands}
    )
    response = clients["student"].get(url("conversion", mobility.pk))
    (section,) = response.context["sections"]
    assert [(b.start, b.end, b.grade) for b in section.rule.bands] == [tuple(b) for b in bands]
    assert ("14", "27") in examples_of(response)
    assert "band 2: 15.99 to 13 → 27" in text(response)


def test_conversion_page_without_a_rule(clients: dict[str, Client], mobility: Mobility) -> None:
    response = clients["student"].get(url("conversion", mobility.pk))
    (section,) = response.context["sections"]
    assert section.rule is None
    assert "No conversion rule converts grades of France 0-20 for this mobility yet" in text(
        response
    )


def test_conversion_page_of_a_country_with_two_scales_shows_the_ruled_one(
    clients: dict[str, Client], student: User
) -> None:
    mobility: Mobility = EndedMobilityFactory.create(
        student=student, offer__agreement__partner=InstitutionFactory.create(country="GB")
    )
    standard("uk")
    ConversionRuleFactory.create(name="UK postgraduate", host_scale=standard("uk-pg"))
    response = clients["student"].get(url("conversion", mobility.pk))
    (section,) = response.context["sections"]
    assert section.scale == standard("uk-pg")
    assert len(section.rule.examples) == 13  # 12 passing marks and a fail
    assert section.rule.examples[0].host == "100"
    assert section.rule.examples[-1].home == "FAIL"


# --------------------------------------------------------------------------- the rules


def test_rules_grouped_by_scope_with_admin_links(
    clients: dict[str, Client], mobility: Mobility, host: Institution, linear: ConversionRule
) -> None:
    default = ConversionRuleFactory.create(name="Default German", host_scale=standard("de"))
    partner = ConversionRuleFactory.create(
        name="Saclay table",
        partner=host,
        method=Method.FIXED_TABLE,
        parameters={"bands": [["20", "10", "30"]]},
    )
    response = clients["office"].get(url("rules"))
    groups = {g.key: [v.rule.name for v in g.rules] for g in response.context["groups"]}
    assert groups == {
        "partner": ["Saclay table"],
        "course_of_study": ["Linear France"],
        "school": [],
        "default": ["Default German"],
    }
    page = text(response)
    for rule in (default, partner, linear):
        assert reverse("admin:recognition_conversionrule_change", args=[rule.pk]) in page
    assert "18 + 12 × (V − 10) / (20 − 10)" in page
    promoter_page = text(clients["promoter"].get(url("rules")))
    assert "Saclay table" in promoter_page
    assert reverse("admin:recognition_conversionrule_change", args=[linear.pk]) not in (
        promoter_page
    )


# ---------------------------------------------------------------------- grading tables


def bars(page: str, table: GradingTable) -> int:
    section = page.split(f'id="table-{table.pk}"', 1)[1].split("</section>", 1)[0]
    return section.count('<rect class="bar"')


def test_grading_tables_have_a_chart_each(clients: dict[str, Client]) -> None:
    two = GradingTableFactory.create()
    five = GradingTableFactory.create(
        isced_code="0731",
        percentages={"30L": "5", "30": "15", "27": "30", "24": "25", "18": "25"},
    )
    response = clients["office"].get(url("grading_tables"))
    page = text(response)
    assert (bars(page, two), bars(page, five)) == (2, 5)
    assert page.count('<svg class="grading-chart"') == 2
    assert f'<title id="chart-{five.pk}-title">Passing grades given:' in page
    assert (
        f'<desc id="chart-{five.pk}-desc">The percentage of the passing grades that each grade '
        "was, from the lowest pass to the best grade: 18: 25%; 24: 25%; 27: 30%; 30: 15%; "
        "30L: 5%.</desc>"
    ) in page
    assert 'role="img"' in page
    assert " style=" not in page
    detail = text(clients["office"].get(url("grading_table", five.pk)))
    assert detail.count('<rect class="bar"') == 5
    assert "top 50%–75%" in detail  # 24: after 30L, 30 and 27


def test_a_broken_grading_table_says_why(clients: dict[str, Client]) -> None:
    broken = GradingTableFactory.create(percentages={"30": "50", "27": "40"})
    page = text(clients["office"].get(url("grading_table", broken.pk)))
    assert "This grading table cannot be read:" in page
    assert "the percentages sum to 90, not 100" in page


def grades_upload(content: str) -> SimpleUploadedFile:
    return csv_upload(content, "grades.csv")


def upload_data(file: SimpleUploadedFile, home: Institution) -> dict[str, Any]:
    return {
        "institution": home.pk,
        "scale": standard("it").pk,
        "isced_code": "0715",
        "cycle": Cycle.SECOND,
        "file": file,
    }


def test_building_a_home_grading_table(clients: dict[str, Client]) -> None:
    home = InstitutionFactory.create(name="Politecnico di Milano", country="IT", is_home=True)
    CourseOfStudyFactory.create(code="MECH", isced_code="0715")
    upload = grades_upload(
        "course_of_study,academic_year,grade,count\n"
        "MECH,2022/2023,30L,1\n"
        "MECH,2022/2023,27,2\n"
        "MECH,2023/2024,24,1\n"
        "MECH,2023/2024,15,3\n"
    )
    response = clients["office"].post(url("grading_tables"), upload_data(upload, home), follow=True)
    table = GradingTable.objects.get()
    assert response.redirect_chain[-1][0] == url("grading_table", table.pk)
    assert messages_of(response) == [
        "The grading table of ISCED-F 0715, second cycle, 2022/2023-2023/2024 was built from 4 "
        "passing grades (3 fail grades and 0 grades of other fields left out)."
    ]
    assert table.percentages == {"30L": "25.00", "27": "50.00", "24": "25.00"}
    assert text(response).count('<rect class="bar"') == 3


def test_a_grading_table_upload_with_bad_rows_stores_nothing(clients: dict[str, Client]) -> None:
    home = InstitutionFactory.create(is_home=True, country="IT")
    CourseOfStudyFactory.create(code="MECH", isced_code="0715")
    upload = grades_upload(
        "course_of_study,academic_year,grade\n"
        "MECH,2022/2023,31\n"
        "NOPE,2022/2023,27\n"
        "MECH,2023/2024,28\n"
    )
    response = clients["office"].post(url("grading_tables"), upload_data(upload, home))
    assert response.status_code == 200
    report = response.context["report"]
    assert [(e.line, e.column) for e in report.errors] == [(2, "grade"), (3, "course_of_study")]
    page = text(response)
    assert "The grading table was not built" in page
    assert "grades.csv: 2 problems in 3 rows; nothing was stored." in page
    assert "no course of study has the code &#x27;NOPE&#x27;" in page
    assert not GradingTable.objects.exists()


def test_grading_table_list_query_count_does_not_grow(clients: dict[str, Client]) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = clients["office"].get(url("grading_tables"))
        assert response.status_code == 200
        return len(queries)

    GradingTableFactory.create()
    few = count()
    for code in ("0711", "0712", "0713"):
        GradingTableFactory.create(isced_code=code, institution=InstitutionFactory.create())
    assert count() == few


# ------------------------------------------------------------------------------ exports


@pytest.fixture
def validated(mobility: Mobility, office: User, approver: User, linear: ConversionRule) -> None:
    transcript = proposed(mobility, office)
    services.validate_recognition(transcript=transcript, actor=approver)


@pytest.mark.usefixtures("validated")
def test_export_csv(clients: dict[str, Client], mobility: Mobility) -> None:
    response = exported(clients["office"], url("export", "csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="recognitions.csv"'
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert [(r["course_code"], r["credits"], r["grade"]) for r in rows] == [
        ("052345", "6", "23"),
        ("052346", "6", "20"),
        ("052347", "6", "26"),
        ("052348", "6", "30"),
    ]
    student = mobility.student
    assert rows[0]["student"] == f"{student.last_name} {student.first_name}"
    assert rows[0]["academic_year"] == "2026/2027"
    assert rows[0]["host_institution"] == "Université Paris-Saclay"


@pytest.mark.usefixtures("validated")
def test_export_xlsx_by_year(clients: dict[str, Client]) -> None:
    response = exported(clients["office"], url("export", "xlsx"), {"year": "2026"})
    assert response["Content-Disposition"] == 'attachment; filename="recognitions-2026-2027.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:6] == (
        "student_number",
        "student",
        "course_code",
        "course_title",
        "credits",
        "grade",
    )
    assert [(row[2], row[5]) for row in values[1:]] == [
        ("052345", "23"),
        ("052346", "20"),
        ("052347", "26"),
        ("052348", "30"),
    ]
    EndedMobilityFactory.create(academic_year=2025)
    other_year = exported(clients["office"], url("export", "csv"), {"year": "2025"})
    assert other_year.getvalue().decode("utf-8-sig").strip().count("\n") == 0  # the header only
    jobs = Job.objects.count()
    assert clients["office"].post(url("export", "csv"), {"year": "1800"}).status_code == 400
    assert Job.objects.count() == jobs  # a bad year makes no job


@pytest.mark.usefixtures("validated")
def test_the_validated_recognition_is_on_the_desk_export(clients: dict[str, Client]) -> None:
    page = text(clients["office"].get(url("desk")))
    assert url("export", "csv") in page
    assert url("export", "xlsx") in page
    assert url("export", "csv") not in text(clients["approver"].get(url("desk")))


# -------------------------------------------------------------------------------- desk


def fill(course: CourseOfStudy, office: User, host: Institution, n: int) -> None:
    """``n`` proposed recognitions and ``n`` accepted transcripts of students of ``course``."""
    for _ in range(n):
        for step in (proposed, accepted):
            other: Mobility = EndedMobilityFactory.create(
                student__course_of_study=course, offer__agreement__partner=host
            )
            signed_agreement(other, a=FIVE_A, b=FIVE_B)
            step(other, office)


def desk_counts(client: Client) -> tuple[int, int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("desk"))
    assert response.status_code == 200
    return len(response.context["proposed"]), len(response.context["accepted"]), len(queries)


def test_desk_lists_what_the_approver_validates(
    clients: dict[str, Client], mobility: Mobility, office: User, linear: ConversionRule
) -> None:
    transcript = proposed(mobility, office)
    response = clients["approver"].get(url("desk"))
    (row,) = response.context["proposed"]
    assert row == transcript
    assert (row.line_count, row.recognised_credits, row.flagged) == (5, Decimal(24), 1)
    page = text(response)
    assert f"{url('transcript', mobility.pk)}#recognition" in page
    assert "1 line to decide" in page
    assert desk_counts(clients["promoter"])[:2] == (0, 0)
    assert desk_counts(clients["office"])[:2] == (1, 0)


def test_desk_query_count_does_not_grow(
    clients: dict[str, Client],
    mobility: Mobility,
    office: User,
    host: Institution,
    linear: ConversionRule,
) -> None:
    course = mobility.student.course_of_study
    assert course is not None
    fill(course, office, host, 1)
    few = desk_counts(clients["approver"])
    office_few = desk_counts(clients["office"])
    fill(course, office, host, 3)
    many = desk_counts(clients["approver"])
    office_many = desk_counts(clients["office"])
    assert (few[:2], many[:2]) == ((1, 1), (4, 4))
    assert many[2] == few[2]
    assert office_many[2] == office_few[2]
    # another course's recognitions are not this approver's
    ConversionRuleFactory.create(name="Default France")
    fill(CourseOfStudyFactory.create(), office, host, 1)
    assert desk_counts(clients["approver"])[:2] == (4, 4)
    assert desk_counts(clients["office"])[:2] == (5, 5)


# ------------------------------------------------------------------ the timeline's step


def _recognition_step(client: Client, mobility: Mobility) -> Any:
    response = client.get(reverse("mobility:detail", args=[mobility.pk]))
    return next(step for step in response.context["steps"] if step.key == "recognition")


def test_the_timeline_follows_the_recognition(
    clients: dict[str, Client],
    mobility: Mobility,
    office: User,
    approver: User,
    linear: ConversionRule,
) -> None:
    student = clients["student"]
    step = _recognition_step(student, mobility)
    assert (step.status, step.url) == (
        "current",
        "",
    )  # the mobility is over: the transcript comes next
    assert step.text == "The host sends your transcript of records; the office enters it here."

    transcript = entered(mobility, office)
    step = _recognition_step(student, mobility)
    assert (step.status, step.url) == ("current", url("transcript", mobility.pk))
    assert step.text == "Your transcript arrived: check it and accept it, or dispute it."

    services.accept_transcript(transcript=transcript, actor=mobility.student)
    services.propose_recognition(transcript=transcript, actor=office)
    step = _recognition_step(student, mobility)
    assert step.text == "The recognition is proposed and waits for your promoter."

    services.validate_recognition(transcript=transcript, actor=approver)
    step = _recognition_step(student, mobility)
    credits = sum(
        line.credits or 0 for line in RecognitionLine.objects.filter(transcript=transcript)
    )
    assert credits == 24  # four of the five 6-ECTS exams passed (the 9/20 failed)
    assert (step.status, step.text) == ("done", "Validated: 24 ECTS recognised at home.")
