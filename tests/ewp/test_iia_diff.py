"""The diff of two copies of one IIA (:mod:`abroad.ewp.iia_diff`): the order of elements
never counts (partners matched by HEI id, conditions by kind, direction and content), and
each changed field is named (its EWP element and its human name)."""

from __future__ import annotations

from django.utils import translation
from lxml import etree

from abroad.ewp import iia_diff
from abroad.ewp.xml import IIAS

CONTACT = "https://github.com/erasmus-without-paper/ewp-specs-types-contact/tree/stable-v1"

STUDIES_0715 = """
<student-studies-mobility-spec>
  <sending-hei-id>polimi.it</sending-hei-id>
  <receiving-hei-id>tudelft.nl</receiving-hei-id>
  <receiving-first-academic-year-id>2026/2027</receiving-first-academic-year-id>
  <receiving-last-academic-year-id>2028/2029</receiving-last-academic-year-id>
  <mobilities-per-year>2</mobilities-per-year>
  <recommended-language-skill><language>en</language><cefr-level>B2</cefr-level></recommended-language-skill>
  <recommended-language-skill><language>nl</language><cefr-level>A2</cefr-level></recommended-language-skill>
  <subject-area><isced-f-code>0715</isced-f-code></subject-area>
  <total-months-per-year>10</total-months-per-year>
  <blended>false</blended>
  <eqf-level>6</eqf-level>
  <eqf-level>7</eqf-level>
</student-studies-mobility-spec>"""

STUDIES_0613 = """
<student-studies-mobility-spec>
  <sending-hei-id>polimi.it</sending-hei-id>
  <receiving-hei-id>tudelft.nl</receiving-hei-id>
  <receiving-first-academic-year-id>2026/2027</receiving-first-academic-year-id>
  <receiving-last-academic-year-id>2028/2029</receiving-last-academic-year-id>
  <mobilities-per-year>1</mobilities-per-year>
  <recommended-language-skill><language>en</language><cefr-level>B2</cefr-level></recommended-language-skill>
  <subject-area><isced-f-code>0613</isced-f-code></subject-area>
  <total-months-per-year>5</total-months-per-year>
  <blended>false</blended>
  <eqf-level>7</eqf-level>
</student-studies-mobility-spec>"""

INCOMING = """
<student-studies-mobility-spec>
  <sending-hei-id>tudelft.nl</sending-hei-id>
  <receiving-hei-id>polimi.it</receiving-hei-id>
  <receiving-first-academic-year-id>2026/2027</receiving-first-academic-year-id>
  <receiving-last-academic-year-id>2028/2029</receiving-last-academic-year-id>
  <mobilities-per-year>2</mobilities-per-year>
  <recommended-language-skill><language>it</language><cefr-level>B1</cefr-level></recommended-language-skill>
  <subject-area><isced-f-code>0715</isced-f-code></subject-area>
  <total-months-per-year>10</total-months-per-year>
  <blended>false</blended>
  <eqf-level>6</eqf-level>
</student-studies-mobility-spec>"""

POLIMI = """
<partner>
  <hei-id>polimi.it</hei-id>
  <iia-id>11111111-1111-4111-8111-111111111111</iia-id>
  <iia-code>E+ NL DELFT01</iia-code>
  <signing-contact><c:person-given-names>Anna</c:person-given-names><c:person-family-name>Rossi</c:person-family-name></signing-contact>
  <signing-date>2026-01-15</signing-date>
  <c:contact><c:person-given-names>Marco</c:person-given-names><c:person-family-name>Bianchi</c:person-family-name><c:email>marco@polimi.it</c:email></c:contact>
  <c:contact><c:person-given-names>Lucia</c:person-given-names><c:person-family-name>Verdi</c:person-family-name><c:email>lucia@polimi.it</c:email></c:contact>
</partner>"""

DELFT = """
<partner>
  <hei-id>tudelft.nl</hei-id>
  <iia-id>delft-77</iia-id>
  <c:contact><c:person-given-names>Joost</c:person-given-names>
    <c:person-family-name>de Vries</c:person-family-name></c:contact>
</partner>"""


def document(
    partners: tuple[str, str] = (POLIMI, DELFT),
    conditions: tuple[str, ...] = (STUDIES_0715, STUDIES_0613, INCOMING),
    in_effect: str = "true",
) -> etree._Element:
    text = f"""<iias-get-response xmlns="{IIAS}" xmlns:c="{CONTACT}"><iia>
      {partners[0]}{partners[1]}
      <in-effect>{in_effect}</in-effect>
      <cooperation-conditions>{"".join(conditions)}</cooperation-conditions>
      <iia-hash>{"0" * 64}</iia-hash>
    </iia></iias-get-response>"""
    return iia_diff.first_iia(etree.fromstring(text.encode()))


def fields(differences: list[iia_diff.Difference]) -> list[tuple[str, str, str]]:
    return [(d.field, d.ours, d.theirs) for d in differences]


def test_the_same_copy_has_no_difference() -> None:
    assert iia_diff.compare(document(), document()) == []


def test_reordered_partners_conditions_and_repeated_elements_are_no_difference() -> None:
    reordered = STUDIES_0715.replace(
        "<eqf-level>6</eqf-level>\n  <eqf-level>7</eqf-level>",
        "<eqf-level>7</eqf-level>\n  <eqf-level>6</eqf-level>",
    )
    theirs = document(partners=(DELFT, POLIMI), conditions=(INCOMING, STUDIES_0613, reordered))
    assert iia_diff.compare(document(), theirs) == []
    # The contacts in the other order too.
    lines = POLIMI.strip().splitlines()
    marco, lucia = lines[-3], lines[-2]
    swapped = POLIMI.replace(marco + "\n" + lucia, lucia + "\n" + marco)
    assert swapped != POLIMI
    assert iia_diff.compare(document(), document(partners=(swapped, DELFT))) == []


def test_a_changed_total_of_months_is_named() -> None:
    theirs = document(
        conditions=(
            STUDIES_0715.replace("<total-months-per-year>10<", "<total-months-per-year>12<"),
            STUDIES_0613,
            INCOMING,
        )
    )
    [difference] = iia_diff.compare(document(), theirs)
    assert (difference.field, difference.ours, difference.theirs) == (
        "total-months-per-year",
        "10",
        "12",
    )
    assert difference.label == "Total months per year"
    assert "polimi.it → tudelft.nl" in difference.where
    assert "ISCED 0715" in difference.where


def test_a_changed_isced_code_is_named_not_a_condition_added_and_removed() -> None:
    theirs = document(
        conditions=(
            STUDIES_0715,
            STUDIES_0613.replace("<isced-f-code>0613<", "<isced-f-code>0612<"),
            INCOMING,
        )
    )
    [difference] = iia_diff.compare(document(), theirs)
    assert fields([difference]) == [("subject-area", "0613", "0612")]
    assert difference.label == "Subject areas (ISCED-F)"


def test_an_added_condition_is_named() -> None:
    extra = STUDIES_0613.replace("<isced-f-code>0613<", "<isced-f-code>0311<").replace(
        "<eqf-level>7<", "<eqf-level>8<"
    )
    theirs = document(conditions=(STUDIES_0715, STUDIES_0613, INCOMING, extra))
    [difference] = iia_diff.compare(document(), theirs)
    assert fields([difference]) == [("cooperation-condition", "absent", "present")]
    assert difference.label == "Cooperation condition"
    assert "ISCED 0311" in difference.where
    # and one missing from theirs, the other way
    [missing] = iia_diff.compare(theirs, document())
    assert fields([missing]) == [("cooperation-condition", "present", "absent")]


def test_a_changed_contact_and_a_changed_date_are_named() -> None:
    theirs = document(
        partners=(
            POLIMI.replace("lucia@polimi.it", "l.verdi@polimi.it").replace(
                "2026-01-15", "2026-02-01"
            ),
            DELFT,
        )
    )
    found = {d.field: d for d in iia_diff.compare(document(), theirs)}
    assert set(found) == {"contact", "signing-date"}
    assert found["signing-date"].label == "Signing date"
    assert (found["signing-date"].ours, found["signing-date"].theirs) == (
        "2026-01-15",
        "2026-02-01",
    )
    assert "l.verdi@polimi.it" in found["contact"].theirs
    assert found["contact"].label == "Contacts"
    assert found["contact"].where == "Partner polimi.it"


def test_a_changed_academic_year_and_in_effect_are_named() -> None:
    theirs = document(
        conditions=(
            STUDIES_0715.replace("2028/2029", "2029/2030"),
            STUDIES_0613,
            INCOMING,
        ),
        in_effect="false",
    )
    assert fields(iia_diff.compare(document(), theirs)) == [
        ("in-effect", "yes", "no"),
        ("receiving-last-academic-year-id", "2028/2029", "2029/2030"),
    ]


def test_an_id_one_copy_does_not_know_yet_is_no_difference_but_another_id_is() -> None:
    unknown = DELFT.replace("<iia-id>delft-77</iia-id>", "")
    assert iia_diff.compare(document(partners=(POLIMI, unknown)), document()) == []
    other = DELFT.replace("delft-77", "delft-78")
    assert fields(iia_diff.compare(document(), document(partners=(POLIMI, other)))) == [
        ("iia-id", "delft-77", "delft-78")
    ]


def test_the_field_names_are_in_italian_too() -> None:
    """Needs the lead's merge of the translations (the PO file of this work)."""
    theirs = document(
        conditions=(
            STUDIES_0715.replace("<total-months-per-year>10<", "<total-months-per-year>12<"),
            STUDIES_0613,
            INCOMING,
        )
    )
    with translation.override("it"):
        [difference] = iia_diff.compare(document(), theirs)
    assert difference.label == "Mesi totali per anno"
    assert difference.where.startswith("Studio studenti polimi.it → tudelft.nl")
