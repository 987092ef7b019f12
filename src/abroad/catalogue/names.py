"""Institution names as people read them. The Commission's ECHE list writes the official names
in capitals ("UNIVERSIDAD DE GRANADA"); shown, they read "Universidad de Granada": every word
capitalised, the particles of a name ("de", "di", "für", "of", "and") in lower case except at
the start, and acronyms ("KTH", "EPFL", "(BME)") kept. The official spelling stays in
``Institution.name`` for the office and EWP; this is only how it is shown.
"""

from __future__ import annotations

import re

__all__ = ["cased"]

# words written in lower case inside a name (not at its start)
PARTICLES = frozenset(
    [
        "a",
        "al",
        "alla",
        "am",
        "an",
        "and",
        "at",
        "au",
        "aux",
        "d",
        "da",
        "dal",
        "dalla",
        "das",
        "de",
        "degli",
        "dei",
        "del",
        "della",
        "delle",
        "der",
        "des",
        "di",
        "do",
        "dos",
        "du",
        "e",
        "en",
        "et",
        "for",
        "für",
        "fuer",
        "i",
        "im",
        "in",
        "la",
        "las",
        "le",
        "les",
        "los",
        "of",
        "on",
        "per",
        "sul",
        "sulla",
        "the",
        "til",
        "und",
        "van",
        "vom",
        "von",
        "y",
        "zu",
        "zum",
        "zur",
    ]
)
# acronyms that have vowels, so the rule "no vowel, an acronym" misses them
ACRONYMS = frozenset(
    [
        "AB",
        "AG",
        "AGH",
        "ASE",
        "BME",
        "CEU",
        "CTU",
        "DTU",
        "EAFIT",
        "ECAM",
        "EGIM",
        "ENAC",
        "ENSA",
        "ENSAM",
        "ENSTA",
        "EPF",
        "EPFL",
        "ESADE",
        "ESTP",
        "ETH",
        "EUR",
        "FAU",
        "FH",
        "HEC",
        "HEI",
        "HS",
        "HTW",
        "IE",
        "IED",
        "INSA",
        "IQS",
        "ISAE",
        "ISCTE",
        "IST",
        "IUAV",
        "KU",
        "KIT",
        "KU",
        "LUT",
        "NTNU",
        "SA",
        "SAS",
        "TH",
        "TU",
        "TUM",
        "UAB",
        "UCL",
        "UCLOUVAIN",
        "UNAM",
        "UPC",
        "UPM",
        "UPV",
        "USA",
        "VUB",
        "SUPAERO",
        "ENSAE",
        "ENPC",
        "ENSTA",
        "ENSEEIHT",
        "IMT",
        "INP",
        "ISEP",
        "ESPCI",
        "ENS",
    ]
)
ROMAN = re.compile(r"^(?=[IVXLC]+$)C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
VOWELS = set("AEIOUYÀÁÂÃÄÅÆÈÉÊËÌÍÎÏÒÓÔÕÖØÙÚÛÜÝ")
# a word and the punctuation around it: "(BME)", "D'ARCHITECTURE", "BAUHAUS-UNIVERSITAET"
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _acronym(word: str) -> bool:
    upper = word.upper()
    if upper in ACRONYMS or (len(word) > 1 and ROMAN.match(upper)):
        return True
    return len(word) > 1 and not (set(upper) & VOWELS)


def _case_word(word: str, *, first: bool, elided: bool) -> str:
    lower = word.lower()
    if _acronym(word):
        return word.upper()
    if elided and lower in {"d", "l", "dell", "all", "nell", "sull", "dall"}:
        # "D'ARCHITECTURE" -> "d'Architecture"
        return lower if not first else lower.capitalize()
    if not first and lower in PARTICLES:
        return lower
    return lower[:1].upper() + lower[1:]


def cased(name: str) -> str:
    """``name`` cased for reading when it is written all in capitals; any other name (already
    cased by a person: "CentraleSupélec", "TU Delft") as it is."""
    letters = [c for c in name if c.isalpha()]
    if not letters or any(c.islower() for c in letters):
        return name
    parts: list[str] = []
    position = 0
    first = True
    for match in WORD.finditer(name):
        start, end = match.span()
        parts.append(name[position:start])
        elided = name[end : end + 1] in {"'", "’"}
        parts.append(_case_word(match.group(), first=first, elided=elided))
        # the next word starts a name again only after an opening bracket or a dash
        following = name[end : end + 3]
        first = bool(re.match(r"\s*[-–(:]\s*", following)) and not following.startswith("-")
        position = end
    parts.append(name[position:])
    return "".join(parts)
