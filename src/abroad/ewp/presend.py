"""Checks before a document leaves abroad, beyond its schema: what partners' EWP systems refuse
although the schema allows it (the providers' known issues, docs/ewp.md "Checks before
sending"). Pure: a document's tree in, the problems in the office's words out.

- a person without a family name (the schema allows an empty one; partners cannot file it);
- an ISCED-F code that is not a detailed field of ISCED-F 2013 (four digits, a field of the
  official list, :func:`abroad.core.enums.is_isced_field`; partners map subject areas at that
  level; a broad "07" or narrow "071" code is refused by several systems);
- an agreement's student-studies conditions without any language requirement;
- an element left empty (an empty clarification, an empty name: some partners refuse the
  whole document for one).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from lxml import etree

from abroad.core.enums import is_isced_field
from abroad.ewp.xml import local

# Elements written without content on purpose: the schemas' empty markers, and an agreement's
# conditions while it has no offer yet (a draft a partner may read).
_EMPTY_BY_DESIGN = frozenset({"non-standard-mobility-period", "cooperation-conditions"})
# The people a document names (checked for a family name), and the elements whose emptiness
# those checks report already.
_PEOPLE = frozenset({"student", "contact-person"})
_REPORTED = frozenset({"family-name", "isced-f-code", "nominee-isced-f-code"})


def problems(root: etree._Element) -> list[str]:
    """What a partner would refuse in the document ``root`` (empty: it can be sent)."""
    found: list[str] = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue  # comments, processing instructions
        name = local(node)
        if name in _PEOPLE:
            _person(node, found)
        elif name in ("isced-f-code", "nominee-isced-f-code"):
            _isced((node.text or "").strip(), found)
        elif name == "student-studies-mobility-spec" and not any(
            local(child) == "recommended-language-skill" for child in node
        ):
            found.append(
                _(
                    "The conditions for student studies name no language requirement: "
                    "add the language and level the host asks for."
                )
            )
        if (
            node is not root  # a response with no item is an empty root
            and len(node) == 0
            and not (node.text or "").strip()
            and name not in _EMPTY_BY_DESIGN
            and name not in _REPORTED
        ):
            found.append(_("The element %(name)s is empty.") % {"name": name})
    return list(dict.fromkeys(found))


def _person(node: etree._Element, found: list[str]) -> None:
    parts = {local(c): (c.text or "").strip() for c in node if isinstance(c.tag, str)}
    if parts.get("family-name"):
        return
    known_as = parts.get("global-id") or parts.get("email") or parts.get("given-names") or "?"
    if local(node) == "student":
        found.append(
            _("The student %(who)s has no family name: set it before sending.") % {"who": known_as}
        )
    else:
        found.append(
            _("The contact person %(who)s has no family name: set it before sending.")
            % {"who": known_as}
        )


def _isced(code: str, found: list[str]) -> None:
    if len(code) != 4 or not is_isced_field(code):
        found.append(
            _(
                "The ISCED-F code “%(code)s” is not a detailed field of ISCED-F 2013 (four "
                "digits): choose one (for example 0715, Mechanics and metal trades)."
            )
            % {"code": code}
        )
