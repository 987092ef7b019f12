"""The demo: real partners and courses, invented agreements, offers and people."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from abroad.catalogue import erasmus_code
from abroad.catalogue.enums import AgreementStatus, Programme
from abroad.catalogue.models import (
    Agreement,
    Contact,
    CourseOfStudy,
    Institution,
    Network,
    NetworkMembership,
    Offer,
    Promoter,
    School,
)
from abroad.catalogue.queries import public_offers
from abroad.core.models import AuditEvent
from abroad.people.enums import Role
from abroad.people.models import User
from abroad.site.demo import catalogue as demo


@pytest.fixture
def loaded(db: None) -> demo.DemoSummary:
    return demo.load_demo()


def members(code: str) -> set[str]:
    return {
        institution.erasmus_code or institution.schac_code or institution.name
        for institution in Network.objects.get(code=code).members.all()
    }


@pytest.mark.integration
def test_demo_meets_its_targets(loaded: demo.DemoSummary) -> None:
    assert loaded.partners >= 120
    assert loaded.countries >= 30
    assert loaded.courses >= 30
    assert loaded.offers >= 400
    assert loaded.partners == Institution.objects.partners().count()
    assert loaded.offers == Offer.objects.count()
    assert Offer.objects.filter(agreement__status=AgreementStatus.ACTIVE).count() >= 400


@pytest.mark.integration
def test_demo_home_is_politecnico_di_milano(loaded: demo.DemoSummary) -> None:
    home = Institution.objects.home()
    assert home.erasmus_code == "I  MILANO02"
    assert home.schac_code == "polimi.it"
    assert home.display_name == "Politecnico di Milano"
    assert Institution.objects.filter(is_home=True).count() == 1


@pytest.mark.integration
def test_demo_networks_have_their_real_members(loaded: demo.DemoSummary) -> None:
    assert set(Network.objects.values_list("code", flat=True)) == {
        "athens",
        "idea-league",
        "alliance4tech",
        "time",
    }
    # Chalmers, TU Delft, ETH Zurich, Politecnico di Milano, RWTH Aachen.
    assert members("idea-league") == {
        "S  GOTEBOR02",
        "NL DELFT01",
        "ethz.ch",
        "I  MILANO02",
        "D  AACHEN01",
    }
    # Politecnico di Milano, TU Berlin and UPM confirmed; CentraleSupélec from a secondary source.
    assert members("alliance4tech") == {"I  MILANO02", "D  BERLIN02", "E  MADRID05", "F  GIF-YVE03"}
    assert {"I  MILANO02", "CZ PRAHA10", "PL WARSZAW02", "D  MUNCHEN02", "E  MADRID05"} <= members(
        "athens"
    )
    assert {"I  MILANO02", "S  STOCKHO04", "D  DARMSTA01", "F  GIF-YVE03", "keio.ac.jp"} <= (
        members("time")
    )
    assert NetworkMembership.objects.filter(source="").count() == 0


@pytest.mark.integration
def test_demo_codes_are_valid(loaded: demo.DemoSummary) -> None:
    codes = [
        str(code) for code in Institution.objects.values_list("erasmus_code", flat=True) if code
    ]
    assert len(codes) > 100
    assert [code for code in codes if not erasmus_code.is_valid(code)] == []
    assert [code for code in codes if erasmus_code.normalise(code) != code] == []
    for institution in Institution.objects.all():
        institution.full_clean()


@pytest.mark.integration
def test_demo_loaded_twice_changes_nothing(loaded: demo.DemoSummary) -> None:
    again = demo.load_demo()

    assert again.created == 0
    assert again == demo.DemoSummary(**{**loaded.__dict__, "created": 0})
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 1
    assert demo.is_loaded()


@pytest.mark.integration
def test_demo_active_offers_open_to_courses_of_their_levels(loaded: demo.DemoSummary) -> None:
    offers = Offer.objects.filter(agreement__status=AgreementStatus.ACTIVE).prefetch_related(
        "courses"
    )
    problems: list[tuple[object, ...]] = []
    for offer in offers:
        levels = set(offer.eqf_levels)
        course_levels = {course.eqf for course in offer.courses.all()}
        if not course_levels or course_levels != levels:
            problems.append((offer.agreement.code, offer.isced_code, levels, course_levels))
        for course in offer.courses.all():
            if not course.isced_code.startswith(offer.isced_code):
                problems.append((offer.agreement.code, offer.isced_code, course.code))
    assert problems == []


@pytest.mark.integration
def test_demo_offers_are_plausible(loaded: demo.DemoSummary) -> None:
    offers = list(Offer.objects.select_related("agreement"))
    assert {offer.seats for offer in offers} <= set(range(1, 7))
    double = [offer for offer in offers if offer.agreement.programme == Programme.DOUBLE_DEGREE]
    assert double
    assert {offer.months for offer in double} == {24}
    assert all(offer.level_master and not offer.level_bachelor for offer in double)
    study = [offer for offer in offers if offer.agreement.programme == Programme.ERASMUS]
    assert {offer.months for offer in study} <= {5, 6, 10, 12}
    assert {offer.language_level for offer in offers} <= {"", "B1", "B2", "C1"}
    architecture = Offer.objects.filter(isced_code="0731").prefetch_related("courses")
    assert {c.school.code for o in architecture for c in o.courses.all()} == {"AUIC-ARCH"}


@pytest.mark.integration
def test_demo_agreements(loaded: demo.DemoSummary) -> None:
    partners_without = Institution.objects.partners().filter(agreements=None)
    assert list(partners_without) == []
    assert Agreement.objects.filter(promoter=None).count() == 0
    # Switzerland and the United Kingdom are not Erasmus+ programme countries.
    assert not Agreement.objects.filter(
        programme=Programme.ERASMUS, partner__country__in=["CH", "GB", "US", "CN"]
    ).exists()
    assert Agreement.objects.filter(programme=Programme.NETWORK, network=None).count() == 0
    network_partners = Agreement.objects.filter(network__code="idea-league").values_list(
        "partner__schac_code", flat=True
    )
    assert set(network_partners) == {"chalmers.se", "tudelft.nl", "ethz.ch", "rwth-aachen.de"}
    hidden = Offer.objects.exclude(agreement__status=AgreementStatus.ACTIVE)
    assert hidden.exists()
    assert not public_offers().filter(pk__in=hidden.values("pk")).exists()
    statuses = set(Agreement.objects.values_list("status", flat=True))
    assert {AgreementStatus.ACTIVE, AgreementStatus.DRAFT, AgreementStatus.ENDED} <= statuses


@pytest.mark.integration
def test_demo_organisation_and_people(loaded: demo.DemoSummary) -> None:
    auic = School.objects.get(code="AUIC")
    assert set(auic.sections.values_list("code", flat=True)) == {"AUIC-ARCH", "AUIC-ENG"}
    assert set(School.objects.values_list("code", flat=True)) == {
        "AUIC",
        "AUIC-ARCH",
        "AUIC-ENG",
        "ICAT",
        "3I",
        "DES",
    }
    office = Contact.objects.get(kind="office")
    assert office.address == "Via Golgi 42, 20133 Milano"
    assert office.phone == ""
    assert Contact.objects.filter(kind="school").count() == 5
    for course in CourseOfStudy.objects.prefetch_related("coordinators__school"):
        coordinators = list(course.coordinators.all())
        assert 1 <= len(coordinators) <= 2, course.code
        assert {p.school_id for p in coordinators} == {course.school_id}, course.code
    assert 20 <= Promoter.objects.count() <= 30
    assert User.objects.filter(role=Role.STUDENT).count() >= 40
    emails = User.objects.exclude(email="").values_list("email", flat=True)
    assert all(email.endswith("@example.org") for email in emails)

    office_user = User.objects.get(username="office")
    assert (office_user.role, office_user.is_staff, office_user.is_superuser) == (
        Role.OFFICE,
        True,
        False,
    )
    assert office_user.has_perm("catalogue.change_offer")
    assert office_user.has_perm("catalogue.view_institution")
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="promoter").promoter.title == "Prof."
    student = User.objects.get(username="student")
    assert student.course_of_study is not None
    assert student.course_of_study.code == "3I-MSC-MECH"
    assert student.student_number != ""
    assert authenticate(username="student", password=demo.PASSWORD) == student


@pytest.mark.integration
@pytest.mark.django_db
def test_demo_command_loads_once_and_prints_the_logins() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()

    assert "Demo data loaded." in text
    assert "demo-password" in text
    for username in ("office", "promoter", "student"):
        assert f"  {username} " in text
    assert Offer.objects.count() >= 400

    out = StringIO()
    call_command("demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert AuditEvent.objects.filter(action="demo.loaded").count() == 1


@pytest.mark.integration
@pytest.mark.django_db
def test_demo_command_scale_multiplies_agreements_offers_and_students() -> None:
    """``demo --scale N``: N times the agreements, offers and students (issue 18: the office's
    journey at 10x, the engineering call with 2,000+ offers); the first of the N rounds is
    the ordinary demo."""
    from abroad.selection.models import Call
    from abroad.site.demo.selection import ENGINEERING_CALL, SPRING_CALL

    out = StringIO()
    call_command("demo", "--scale", "3", stdout=out)
    assert "Loading the demo data x3..." in out.getvalue()
    students = User.objects.filter(username__regex=r"^student[0-9]+$")
    assert students.count() == 3 * demo.N_STUDENTS
    assert Agreement.objects.count() >= 3 * 300
    assert Offer.objects.count() >= 3 * 600
    assert Agreement.objects.filter(code="EU-2025-0001").exists()
    engineering = Call.objects.get(code=ENGINEERING_CALL)
    assert engineering.call_offers.count() >= 3 * 450
    assert engineering.applications.count() > 3 * 10
    assert Call.objects.get(code=SPRING_CALL).applications.filter(state="submitted").count() > 6
    event = AuditEvent.objects.get(action="demo.loaded")
    assert event.data["scale"] == 3


@pytest.mark.unit
def test_demo_plan_at_scale_starts_with_the_ordinary_demo() -> None:
    courses = [
        demo.Course(row["code"], row["level"], row["school"], row["isced_f"])
        for row in demo.read_rows("courses.csv")
    ]
    institutions = demo.read_rows("institutions.csv")
    by_school = {course.school: ["promoter"] for course in courses} | {"3I": ["promoter"]}
    one = demo.Planner(institutions, courses, {}, by_school).plan()
    three = demo.Planner(institutions, courses, {}, by_school).plan(3)
    assert three[: len(one)] == one
    assert len(three) >= 2.5 * len(one)
    assert len({plan.code for plan in three}) == len(three)


@pytest.mark.unit
@pytest.mark.parametrize("name", ["institutions.csv", "courses.csv", "networks.csv"])
def test_demo_files_give_a_source_for_every_row(name: str) -> None:
    with (demo.DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert [row for row in rows if not row["source"].strip()] == []


@pytest.mark.unit
def test_demo_files_fit_the_models() -> None:
    """SQLite does not enforce lengths; PostgreSQL does."""
    institution_limits: dict[str, int] = {
        field.name: int(getattr(field, "max_length", 0))
        for field in Institution._meta.get_fields()
        if getattr(field, "max_length", None)
    }
    limits: dict[str, dict[str, int]] = {
        "institutions.csv": institution_limits,
        "courses.csv": {"code": 20, "name_en": 200, "name_it": 200, "campus": 80},
    }
    for name, fields in limits.items():
        with (demo.DATA_DIR / name).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for column, limit in fields.items():
                    if column in row:
                        assert len(row[column]) <= limit, (name, column, row[column])


@pytest.mark.unit
def test_demo_courses_levels_and_fields() -> None:
    with (demo.DATA_DIR / "courses.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["level"] for row in rows} == {"BSc", "MSc", "SC"}
    assert {row["school"] for row in rows} == {"AUIC-ARCH", "AUIC-ENG", "ICAT", "3I", "DES"}
    assert len({row["code"] for row in rows}) == len(rows)
