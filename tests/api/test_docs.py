"""The OpenAPI schema and its Swagger UI page: every endpoint listed, documented, and the page
served from our own static files under the strict Content-Security-Policy."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from playwright.sync_api import ConsoleMessage, Page, Request

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/institutions": ["get"],
    "/api/institutions/{institution_id}": ["get"],
    "/api/agreements": ["get"],
    "/api/agreements/{agreement_id}": ["get"],
    "/api/offers": ["get"],
    "/api/courses": ["get"],
    "/api/networks": ["get"],
    "/api/athens/sessions": ["get"],
    "/api/athens/sessions/{code}/courses": ["get"],
}
OFFER_FILTERS = [
    "country",
    "q",
    "course",
    "programme",
    "network",
    "language",
    "language_level",
    "eqf",
    "isced",
    "mobility_type",
    "sort",
    "page",
    "page_size",
]


class Tags(HTMLParser):
    """Every tag with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


@pytest.mark.integration
def test_openapi_lists_every_endpoint(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {path: sorted(item) for path, item in schema["paths"].items()} == ENDPOINTS
    parameters = schema["paths"]["/api/offers"]["get"]["parameters"]
    assert [parameter["name"] for parameter in parameters] == OFFER_FILTERS
    assert all(parameter.get("description") for parameter in parameters)


@pytest.mark.integration
def test_openapi_documents_enum_values(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    components = schema["components"]["schemas"]
    assert components["Programme"]["enum"] == ["erasmus", "bilateral", "double_degree", "network"]
    assert components["CEFR"]["enum"] == ["A1", "A2", "B1", "B2", "C1", "C2"]
    assert components["AgreementStatus"]["enum"] == ["draft", "active", "suspended", "ended"]
    programme = components["AgreementRef"]["properties"]["programme"]
    assert "- `double_degree`: Double Degree" in programme["description"]
    sort = next(
        p for p in schema["paths"]["/api/offers"]["get"]["parameters"] if p["name"] == "sort"
    )
    assert sort["schema"]["enum"] == [
        "",
        "partner",
        "country",
        "city",
        "seats",
        "months",
        "programme",
    ]


@pytest.mark.integration
def test_openapi_names_every_schema_once(client: Client) -> None:
    """Each response schema has a name of its own: the courses of study and ATHENS courses
    are not documented with each other's schema."""
    schema = client.get("/api/openapi.json").json()

    def item_schema(path: str) -> str:
        page = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        paged = page["schema"]["$ref"].rsplit("/", 1)[1]
        ref: str = schema["components"]["schemas"][paged]["properties"]["items"]["items"]["$ref"]
        return ref.rsplit("/", 1)[1]

    assert item_schema("/api/courses") == "CourseOfStudyOut"
    athens = schema["paths"]["/api/athens/sessions/{code}/courses"]["get"]["responses"]["200"]
    assert athens["content"]["application/json"]["schema"]["items"]["$ref"].endswith(
        "/AthensCourseOut"
    )
    assert "CourseOut" not in schema["components"]["schemas"]


@pytest.mark.integration
def test_openapi_documents_the_errors_of_every_operation(client: Client) -> None:
    """Every operation documents its 422 (a parameter that does not validate) and, when it
    reads one object by its path, its 404; none needs a login, so none answers 401."""
    schema = client.get("/api/openapi.json").json()
    for path, item in schema["paths"].items():
        responses = item["get"]["responses"]
        expected = {"200", "422"} | ({"404"} if "{" in path else set())
        assert set(responses) == expected, path
        for status in expected - {"200"}:
            assert responses[status]["content"]["application/json"]["schema"]["$ref"], path


@pytest.mark.integration
def test_openapi_documents_that_an_empty_filter_means_any(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/offers"]["get"]["parameters"]}
    for name in ("country", "programme", "language", "language_level", "eqf", "isced"):
        assert parameters[name]["schema"]["enum"][0] == "", name
        assert "empty" in parameters[name]["description"].lower(), name


@pytest.mark.integration
def test_docs_page_loads_nothing_from_elsewhere_and_runs_no_inline_script(
    client: Client,
) -> None:
    response = client.get("/api/docs")
    html = response.content.decode()
    parsed = Tags()
    parsed.feed(html)
    urls = [
        value
        for _tag, attrs in parsed.tags
        for name, value in attrs.items()
        if name in ("src", "href") and value
    ]

    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert "http://" not in html
    assert "https://" not in html
    assert urls == [
        "/static/ninja/swagger-ui.css",
        "/static/abroad/swagger.css",
        "/static/ninja/favicon.svg",
        "/static/ninja/favicon.png",
        "/static/ninja/swagger-ui-bundle.js",
        "/static/ninja/swagger-ui-init.js",
    ]
    assert all(finders.find(url.removeprefix("/static/")) for url in urls)
    # Scripts either come from a file or are a JSON data block, which the browser never runs.
    assert [
        (attrs.get("src"), attrs.get("type"), bool(text.strip())) for attrs, text in parsed.scripts
    ] == [
        (None, "application/json", True),
        ("/static/ninja/swagger-ui-bundle.js", None, False),
        ("/static/ninja/swagger-ui-init.js", None, False),
    ]
    assert "style=" not in html
    assert "<style" not in html


@pytest.mark.e2e
def test_swagger_ui_renders_under_the_content_security_policy(
    page: Page, live_server: Any, transactional_db: None
) -> None:
    """In Chromium: every operation shows, nothing is refused by the CSP, every request
    stays on the site."""
    errors: list[str] = []
    requests: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            errors.append(message.text)

    def request(req: Request) -> None:
        requests.append(req.url)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", request)

    response = page.goto(f"{live_server.url}/api/docs")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    # "Try it out" on the offers: Swagger UI calls the API from the page (connect-src).
    page.locator(".opblock-summary-path", has_text="/api/offers").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table tr.response .response-col_status").first
    status.wait_for(timeout=15_000)
    page.wait_for_load_state("networkidle")

    assert sorted(path.replace("\u200b", "") for path in paths) == sorted(ENDPOINTS)
    assert status.inner_text().strip() == "200"
    assert f"{live_server.url}/api/offers?sort=partner&page=1&page_size=50" in requests
    assert errors == []
    assert requests
    assert [url for url in requests if not url.startswith(live_server.url)] == []
