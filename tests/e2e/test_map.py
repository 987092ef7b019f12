"""The map in a browser: no country drawn as a band across the world (the shapes that cross
the 180th meridian), and popups that name the country in the reader's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.once]  # reads pages only

# The widest step between two consecutive points of a country's outline, in degrees of
# longitude, per country (world-atlas ids: 643 Russia, 242 Fiji, 840 the USA, 296 Kiribati).
# A ring jumping from +179.9 to -179.9 degrees makes a step of nearly 360 degrees: a band.
# Antarctica (010) is closed along the pole, as a flat map must draw it, and is left out.
WIDEST_STEPS = """() => {
    const map = document.getElementById("map");
    const world = 256 * Math.pow(2, Number(map.dataset.zoom));
    const steps = {};
    document.querySelectorAll("path.map-country").forEach((path) => {
        const id = [...path.classList].find((c) => c.startsWith("map-country-")).slice(12);
        let widest = 0;
        for (const part of path.getAttribute("d").split(/[Mz]/)) {
            const numbers = part.match(/-?\\d+(\\.\\d+)?/g) || [];
            for (let i = 2; i + 1 < numbers.length; i += 2) {
                widest = Math.max(widest, Math.abs(numbers[i] - numbers[i - 2]));
            }
        }
        steps[id] = widest / world * 360;
    });
    return steps;
}"""


def _countries_drawn(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#map[data-loaded=true][data-countries=drawn]")).to_have_count(1)


def test_no_country_is_drawn_across_the_map(page: Page, demo_server: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    _countries_drawn(page, demo_server + "/map/")
    # the whole world in view (zoom 2), so that no outline is cut at the edge of the view
    for zoom in (3, 2):
        page.get_by_role("button", name="Zoom out").click()
        expect(page.locator(f"#map[data-zoom='{zoom}']")).to_have_count(1)
    steps = page.evaluate(WIDEST_STEPS)
    assert len(steps) > 200
    for crossing in ("643", "242", "840", "296"):
        assert crossing in steps
    bands = {country: round(step) for country, step in steps.items() if step > 90}
    bands.pop("010", None)
    assert bands == {}
    screenshot(page, "map-world")


def test_a_popup_names_the_country_in_the_readers_language(page: Page, demo_server: str) -> None:
    for language, country in (("en", "India"), ("it", "India")):
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": demo_server}]
        )
        _countries_drawn(page, demo_server + "/map/?country=IN")
        marker = page.locator(".leaflet-marker-icon:not(.marker-cluster)").first
        expect(marker).to_be_visible()
        marker.focus()
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup-content .map-popup")
        expect(popup).to_contain_text(f"Delhi, {country}")
        expect(popup).not_to_contain_text("Delhi, IN")


def test_italian_country_names_in_the_popup(page: Page, demo_server: str) -> None:
    """A country whose Italian name differs: Germany is "Germania"."""
    page.context.add_cookies([{"name": "django_language", "value": "it", "url": demo_server}])
    _countries_drawn(page, demo_server + "/map/?country=DE&q=Aachen")
    marker = page.locator(".leaflet-marker-icon:not(.marker-cluster)").first
    expect(marker).to_be_visible()
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content .map-popup")).to_contain_text("Germania")
