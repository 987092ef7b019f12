"""The dashboard, its downloads and a partner's public page, through the test client."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from abroad.grants.models import GrantCase, Payment
from abroad.mobility.enums import MobilityState
from abroad.mobility.models import Mobility
from abroad.people.enums import Role
from tests.conftest import logged_in
from tests.factories import AgreementFactory, InstitutionFactory, OfferFactory, UserFactory
from tests.mobility.factories import MobilityFactory
from tests.reporting.dataset import YEAR, Dataset, build

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("statistics:dashboard")


@pytest.fixture
def data() -> Dataset:
    return build()


def download(client: Client, key: str, fmt: str, query: str = "") -> bytes:
    response = client.get(reverse("statistics:download", args=[key, fmt]) + query)
    assert response.status_code == 200, response.status_code
    return bytes(response.content)


# ------------------------------------------------------------------------------ who may


@pytest.mark.parametrize("persona", ["student", "other_student", "promoter"])
def test_the_dashboard_is_404_for_everybody_but_the_office(
    personas: dict[str, Client], persona: str
) -> None:
    assert personas[persona].get(DASHBOARD).status_code == 404
    url = reverse("statistics:download", args=["countries", "csv"])
    assert personas[persona].get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(personas: dict[str, Client]) -> None:
    """As every office page (core.permissions.office_page): the log-in, never the figures."""
    response = personas["anonymous"].get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_office_and_administrators_see_the_dashboard(personas: dict[str, Client]) -> None:
    assert personas["office"].get(DASHBOARD).status_code == 200
    admin = UserFactory.create(username="admin", role=Role.ADMIN)
    assert logged_in(admin).get(DASHBOARD).status_code == 200


def test_a_school_scoped_office_sees_its_schools_figures_only(data: Dataset) -> None:
    """An office user limited to Design sees Paris (a Design student went there), never
    Berlin (Engineering's), in the page and in the downloads."""
    design_office = UserFactory.create(role=Role.OFFICE, office_school=data.design)
    client = logged_in(design_office)
    page = client.get(DASHBOARD).content.decode()
    assert "Paris University" in page
    assert "Berlin University" not in page
    assert "eng-2025" not in page
    text = download(client, "partners", "csv").decode("utf-8-sig")
    assert "Paris University" in text
    assert "Berlin" not in text
    # the other School's office sees the other School's figures
    engineering_office = UserFactory.create(role=Role.OFFICE, office_school=data.engineering)
    page = logged_in(engineering_office).get(DASHBOARD).content.decode()
    assert "Berlin University" in page
    assert "Paris University" not in page


def test_an_unknown_figure_or_format_is_404(personas: dict[str, Client]) -> None:
    office = personas["office"]
    assert office.get(reverse("statistics:download", args=["nothing", "csv"])).status_code == 404
    assert office.get(reverse("statistics:download", args=["countries", "pdf"])).status_code == 404


# ------------------------------------------------------------------------------ the page


def test_the_dashboard_draws_every_figure_with_its_table_and_downloads(
    personas: dict[str, Client], data: Dataset
) -> None:
    page = personas["office"].get(DASHBOARD).content.decode()
    keys = ("calls", "rounds", "countries", "partners", "recognition", "grades", "grants", "athens")
    for key in keys:
        assert f'id="figure-{key}"' in page
        assert reverse("statistics:download", args=[key, "csv"]) in page
        assert reverse("statistics:download", args=[key, "xlsx"]) in page
    assert page.count("<svg") == 14
    assert page.count('<details class="figure-table">') == 14
    assert '<title id="chart-countries-title">' in page
    assert "<script" not in page.split("<main")[1]
    assert "style=" not in page


def test_the_filters_narrow_the_figures_and_the_downloads_keep_them(
    personas: dict[str, Client], data: Dataset
) -> None:
    office = personas["office"]
    query = f"?year={YEAR}&school={data.design.pk}"
    page = office.get(DASHBOARD + query).content.decode()
    assert "Paris University" in page
    assert "Berlin University" not in page
    # the download links carry the filters, and so does the file
    assert (
        reverse("statistics:download", args=["countries", "csv"]) + query.replace("&", "&amp;")
        in page
    )
    text = download(office, "countries", "csv", query).decode("utf-8-sig")
    assert "FR" in text
    assert "DE" not in text


def test_an_invalid_filter_is_dropped_and_the_others_kept(
    personas: dict[str, Client], data: Dataset
) -> None:
    office = personas["office"]
    page = office.get(DASHBOARD + "?year=nonsense&country=XX").content.decode()
    assert "Paris University" in page
    assert "Berlin University" in page
    page = office.get(DASHBOARD + "?year=nonsense&country=FR").content.decode()
    assert "Paris University" in page
    assert "Berlin University" not in page


def test_a_calls_year_without_mobilities_is_a_filter(
    personas: dict[str, Client], data: Dataset
) -> None:
    from tests.selection.factories import CallFactory

    CallFactory.create(code="eng-2030", academic_year=2030)
    page = personas["office"].get(DASHBOARD + "?year=2030").content.decode()
    assert '<option value="2030" selected>2030/2031</option>' in page
    assert "eng-2030" in page
    assert "eng-2025" not in page


def test_the_dashboard_runs_a_bounded_number_of_queries(
    personas: dict[str, Client], data: Dataset, django_assert_max_num_queries: object
) -> None:
    """Aggregates, never a loop over rows: 30 more mobilities cost no query more."""
    office = personas["office"]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        office.get(DASHBOARD)
    for _ in range(30):
        more = MobilityFactory.create(
            student=UserFactory.create(course_of_study=data.msc),
            offer=OfferFactory.create(agreement=AgreementFactory.create()),
            academic_year=YEAR,
        )
        GrantCase.objects.create(mobility=more, amount=Decimal("1000.00"))
        Payment.objects.create(
            mobility=more, instalment=1, amount=Decimal("800.00"), paid_on=dt.date(2025, 10, 1)
        )
    with CaptureQueriesContext(connection) as many:
        office.get(DASHBOARD)
    assert len(many.captured_queries) == len(few.captured_queries)
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        office.get(DASHBOARD)


@pytest.mark.parametrize(
    "query",
    [
        "programme=erasmus",
        "school={school}",
        "year={year}&school={school}&programme=erasmus&country=DE",
    ],
    ids=["programme", "School", "all"],
)
def test_a_filtered_dashboard_runs_as_many_queries_however_many_rows(
    personas: dict[str, Client], data: Dataset, query: str
) -> None:
    """The programme and School filters are subqueries in the figures' queries, never a
    query more per row: 30 more mobilities of that School and programme cost no query more."""
    office = personas["office"]
    url = DASHBOARD + "?" + query.format(school=data.engineering.pk, year=YEAR)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        office.get(url)
    partner = InstitutionFactory.create(country="DE")
    for _ in range(30):
        MobilityFactory.create(
            student=UserFactory.create(course_of_study=data.msc),
            offer=OfferFactory.create(agreement=AgreementFactory.create(partner=partner)),
            host=partner,
            academic_year=YEAR,
        )
    with CaptureQueriesContext(connection) as many:
        page = office.get(url)
    assert page.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 30


# ------------------------------------------------------------------------------ downloads


def test_csv_download(personas: dict[str, Client], data: Dataset) -> None:
    text = download(personas["office"], "partners", "csv").decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Partner,Country,Mobilities,Students"
    # a name that looks like a formula is defused
    assert lines[1] == "'=Berlin University,Germany,3,3"
    assert lines[2] == "Paris University,France,1,1"


def test_xlsx_download(personas: dict[str, Client], data: Dataset) -> None:
    content = download(personas["office"], "partners", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Partner", "Country", "Mobilities", "Students"]
    assert rows[1][0] == "=Berlin University"
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"  # text, never a formula


def test_the_grants_download(personas: dict[str, Client], data: Dataset) -> None:
    text = download(personas["office"], "grants", "csv").decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.split(",")[:4] == [
        "Academic year",
        "Mobilities with a grant",
        "Committed (EUR)",
        "Paid (EUR)",
    ]
    assert row == "2025/2026,3,6500.00,1600.00,1,4900.00,24.6"
    page = personas["office"].get(DASHBOARD).content.decode()
    assert "6500.00" in page


def test_downloads_keep_stable_column_keys(personas: dict[str, Client], data: Dataset) -> None:
    """The header is in the reader's language; the order of the columns does not move."""
    text = download(personas["office"], "recognition", "csv").decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert header.split(",")[:3] == ["Academic year", "Credits planned", "Credits recognised"]
    assert row == "2025/2026,12.0,6.0,50.0,2,1,50.0"


# ------------------------------------------------------------------------------ public side


def partner_with(counts: dict[int, int]) -> int:
    """A partner where ``counts[year]`` students completed a mobility in each year."""
    offer = OfferFactory.create(agreement=AgreementFactory.create())
    for year, count in counts.items():
        for _ in range(count):
            MobilityFactory.create(offer=offer, academic_year=year, state=MobilityState.COMPLETED)
    return int(offer.agreement.partner.pk)


@pytest.mark.parametrize("persona", ["anonymous", "student", "promoter", "office"])
def test_the_partner_page_is_public(personas: dict[str, Client], persona: str) -> None:
    pk = partner_with({2024: 5})
    response = personas[persona].get(reverse("statistics:partner", args=[pk]))
    assert response.status_code == 200


def test_years_with_fewer_than_five_students_are_suppressed(personas: dict[str, Client]) -> None:
    pk = partner_with({2023: 5, 2024: 4})
    page = personas["anonymous"].get(reverse("statistics:partner", args=[pk])).content.decode()
    assert "2023/2024" in page
    assert "<td>5</td>" in page
    assert "Fewer than 5 students: not shown" in page
    assert "<td>4</td>" not in page
    assert "4 %" not in page


def test_the_current_year_and_withdrawn_stays_do_not_count(personas: dict[str, Client]) -> None:
    from abroad.core.academic_year import current_start_year

    pk = partner_with({current_start_year(): 6})
    page = personas["anonymous"].get(reverse("statistics:partner", args=[pk])).content.decode()
    assert "No student has completed a mobility here yet." in page


def test_a_partner_nobody_may_see_is_404(personas: dict[str, Client]) -> None:
    hidden = InstitutionFactory.create()
    url = reverse("statistics:partner", args=[hidden.pk])
    assert personas["anonymous"].get(url).status_code == 404


def test_the_partner_page_is_linked_from_the_institution_page(
    personas: dict[str, Client],
) -> None:
    pk = partner_with({2024: 1})
    page = personas["anonymous"].get(reverse("catalogue:institution", args=[pk])).content.decode()
    assert reverse("statistics:partner", args=[pk]) in page


def test_recognition_share_on_the_partner_page(personas: dict[str, Client], data: Dataset) -> None:
    """Berlin: three students in mobility in 2025, nothing public yet; once five have
    completed, the year shows 5 students and half of the credits planned recognised."""
    url = reverse("statistics:partner", args=[data.berlin.pk])
    page = personas["anonymous"].get(url).content.decode()
    assert "No student has completed a mobility here yet." in page
    Mobility.objects.filter(host=data.berlin).exclude(state=MobilityState.WITHDRAWN).update(
        state=MobilityState.COMPLETED
    )
    offer = data.mobilities[0].offer
    for _ in range(2):
        MobilityFactory.create(offer=offer, academic_year=YEAR, state=MobilityState.COMPLETED)
    page = personas["anonymous"].get(url).content.decode()
    assert "<td>5</td>" in page
    assert "50.0 %" in page


def test_downloads_and_the_dashboard_read_in_italian(
    personas: dict[str, Client], data: Dataset
) -> None:
    """The headers follow the reader's language, the column order does not move. Needs the
    lead's merge of /work/po/wp-stats.po ("Students" is new): skipped until then."""
    with translation.override("it"):
        if translation.gettext("Mobilities by country") == "Mobilities by country":
            pytest.skip("the Italian of the statistics is not merged yet (/work/po/wp-stats.po)")
    office = personas["office"]
    office.cookies["django_language"] = "it"
    text = download(office, "partners", "csv").decode("utf-8-sig")
    assert text.splitlines()[0] == "Partner,Paese,Mobilità,Studenti"
    page = office.get(DASHBOARD).content.decode()
    assert "Mobilità per paese" in page
    assert "Paese del partner" in page


def test_the_tables_are_escaped_and_localised_like_the_template(
    personas: dict[str, Client], data: Dataset
) -> None:
    """The rows are built in the view (one pass): a name is escaped, a number written as the
    reader's language writes it, a missing one as a dash."""
    data.paris.name = "<b>Paris</b> University"
    data.paris.save()
    office = personas["office"]
    page = office.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>&lt;b&gt;Paris&lt;/b&gt; University</td>" in page
    assert "<b>Paris</b>" not in page
    assert "<td>2025/2026</td><td>3</td><td>6500.00</td><td>1600.00</td>" in page
    assert "<td>24.6</td>" in page
    office.cookies["django_language"] = "it"
    page = office.get(DASHBOARD).content.decode()
    assert "<td>24,6</td>" in page
    assert "<td>6500,00</td>" in page
    # an empty figure says so
    page = office.get(DASHBOARD + "?school=" + str(data.design.pk)).content.decode()
    assert page.count('<tr><td colspan="2">') >= 1
