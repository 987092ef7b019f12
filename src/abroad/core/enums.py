"""Shared enumerations: EQF levels, CEFR levels, ISCED-F 2013 fields, languages."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class EQF(models.IntegerChoices):
    """European Qualifications Framework levels used in higher education."""

    SHORT_CYCLE = 5, _("EQF 5 (short cycle)")
    BACHELOR = 6, _("EQF 6 (Bachelor, Laurea)")
    MASTER = 7, _("EQF 7 (Master, Laurea Magistrale)")
    DOCTORATE = 8, _("EQF 8 (Doctorate)")


class DegreeLevel(models.TextChoices):
    """How a course of study is called at home, with its EQF level."""

    BACHELOR = "BSc", _("Bachelor (Laurea)")
    MASTER = "MSc", _("Master (Laurea Magistrale)")
    SINGLE_CYCLE = "SC", _("Single-cycle Master (Laurea Magistrale a ciclo unico)")
    DOCTORATE = "PhD", _("Doctorate (Dottorato)")

    @property
    def eqf(self) -> int:
        return {"BSc": 6, "MSc": 7, "SC": 7, "PhD": 8}[self.value]


class CEFR(models.TextChoices):
    """Common European Framework of Reference for languages, in increasing order."""

    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"

    @classmethod
    def rank(cls, level: str) -> int:
        """Position of a level, so that levels compare: ``rank("B2") > rank("B1")``."""
        return [choice.value for choice in cls].index(level)

    @classmethod
    def at_least(cls, level: str) -> list[str]:
        """The levels equal to or above ``level``."""
        values = [choice.value for choice in cls]
        return values[values.index(level) :]


class Language(models.TextChoices):
    """Languages of instruction (ISO 639-1), the ones partner universities teach in."""

    EN = "en", _("English")
    IT = "it", _("Italian")
    FR = "fr", _("French")
    DE = "de", _("German")
    ES = "es", _("Spanish")
    PT = "pt", _("Portuguese")
    NL = "nl", _("Dutch")
    CA = "ca", _("Catalan")
    SV = "sv", _("Swedish")
    DA = "da", _("Danish")
    NO = "no", _("Norwegian")
    FI = "fi", _("Finnish")
    PL = "pl", _("Polish")
    CS = "cs", _("Czech")
    SK = "sk", _("Slovak")
    SL = "sl", _("Slovenian")
    HR = "hr", _("Croatian")
    HU = "hu", _("Hungarian")
    RO = "ro", _("Romanian")
    BG = "bg", _("Bulgarian")
    EL = "el", _("Greek")
    ET = "et", _("Estonian")
    LV = "lv", _("Latvian")
    LT = "lt", _("Lithuanian")
    TR = "tr", _("Turkish")
    RU = "ru", _("Russian")
    HE = "he", _("Hebrew")
    ZH = "zh", _("Chinese")
    JA = "ja", _("Japanese")
    KO = "ko", _("Korean")


def choice_labels(choices: type[models.Choices]) -> dict[Any, str]:
    """Every value of ``choices`` with its label in the active language, as a plain dict.
    Build it once per request (or per page) and look the labels up in it: a model's
    ``get_FOO_display`` rebuilds the field's choices, translating each label, at every call
    (30 languages for each offer of a call page)."""
    return {value: str(label) for value, label in choices.choices}


# ISCED-F 2013 fields of education and training (UNESCO Institute for Statistics, 2014): every
# broad (2 digits), narrow (3) and detailed (4) field, and the inter-disciplinary detailed field
# of each broad one (xx88): the codes the importers and forms accept. The EWP checks before
# sending require a detailed (four-digit) field, and accept too the "not elsewhere classified"
# codes the classification keeps for each field (a 9 in the last place: 0719, 0799), which a
# partner's data may carry (is_isced_field).
ISCED_FIELDS: dict[str, StrOrPromise] = {
    "00": _("Generic programmes and qualifications"),
    "001": _("Basic programmes and qualifications"),
    "0011": _("Basic programmes and qualifications"),
    "002": _("Literacy and numeracy"),
    "0021": _("Literacy and numeracy"),
    "003": _("Personal skills and development"),
    "0031": _("Personal skills and development"),
    "01": _("Education"),
    "011": _("Education"),
    "0111": _("Education science"),
    "0112": _("Training for pre-school teachers"),
    "0113": _("Teacher training without subject specialisation"),
    "0114": _("Teacher training with subject specialisation"),
    "0188": _("Interdisciplinary education"),
    "02": _("Arts and humanities"),
    "021": _("Arts"),
    "0211": _("Audio-visual techniques and media production"),
    "0212": _("Fashion, interior and industrial design"),
    "0213": _("Fine arts"),
    "0214": _("Handicrafts"),
    "0215": _("Music and performing arts"),
    "022": _("Humanities (except languages)"),
    "0221": _("Religion and theology"),
    "0222": _("History and archaeology"),
    "0223": _("Philosophy and ethics"),
    "023": _("Languages"),
    "0231": _("Language acquisition"),
    "0232": _("Literature and linguistics"),
    "0288": _("Interdisciplinary arts and humanities"),
    "03": _("Social sciences, journalism and information"),
    "031": _("Social and behavioural sciences"),
    "0311": _("Economics"),
    "0312": _("Political sciences and civics"),
    "0313": _("Psychology"),
    "0314": _("Sociology and cultural studies"),
    "032": _("Journalism and information"),
    "0321": _("Journalism and reporting"),
    "0322": _("Library, information and archival studies"),
    "0388": _("Interdisciplinary social sciences, journalism and information"),
    "04": _("Business, administration and law"),
    "041": _("Business and administration"),
    "0411": _("Accounting and taxation"),
    "0412": _("Finance, banking and insurance"),
    "0413": _("Management and administration"),
    "0414": _("Marketing and advertising"),
    "0415": _("Secretarial and office work"),
    "0416": _("Wholesale and retail sales"),
    "0417": _("Work skills"),
    "042": _("Law"),
    "0421": _("Law"),
    "0488": _("Interdisciplinary business, administration and law"),
    "05": _("Natural sciences, mathematics and statistics"),
    "051": _("Biological and related sciences"),
    "0511": _("Biology"),
    "0512": _("Biochemistry"),
    "052": _("Environment"),
    "0521": _("Environmental sciences"),
    "0522": _("Natural environments and wildlife"),
    "053": _("Physical sciences"),
    "0531": _("Chemistry"),
    "0532": _("Earth sciences"),
    "0533": _("Physics"),
    "054": _("Mathematics and statistics"),
    "0541": _("Mathematics"),
    "0542": _("Statistics"),
    "0588": _("Interdisciplinary natural sciences, mathematics and statistics"),
    "06": _("Information and Communication Technologies"),
    "061": _("Information and Communication Technologies"),
    "0611": _("Computer use"),
    "0612": _("Database and network design and administration"),
    "0613": _("Software and applications development and analysis"),
    "0688": _("Interdisciplinary Information and Communication Technologies"),
    "07": _("Engineering, manufacturing and construction"),
    "071": _("Engineering and engineering trades"),
    "0711": _("Chemical engineering and processes"),
    "0712": _("Environmental protection technology"),
    "0713": _("Electricity and energy"),
    "0714": _("Electronics and automation"),
    "0715": _("Mechanics and metal trades"),
    "0716": _("Motor vehicles, ships and aircraft"),
    "072": _("Manufacturing and processing"),
    "0721": _("Food processing"),
    "0722": _("Materials (glass, paper, plastic and wood)"),
    "0723": _("Textiles (clothes, footwear and leather)"),
    "0724": _("Mining and extraction"),
    "073": _("Architecture and construction"),
    "0731": _("Architecture and town planning"),
    "0732": _("Building and civil engineering"),
    "0788": _("Interdisciplinary engineering, manufacturing and construction"),
    "08": _("Agriculture, forestry, fisheries and veterinary"),
    "081": _("Agriculture"),
    "0811": _("Crop and livestock production"),
    "0812": _("Horticulture"),
    "082": _("Forestry"),
    "0821": _("Forestry"),
    "083": _("Fisheries"),
    "0831": _("Fisheries"),
    "084": _("Veterinary"),
    "0841": _("Veterinary"),
    "0888": _("Interdisciplinary agriculture, forestry, fisheries and veterinary"),
    "09": _("Health and welfare"),
    "091": _("Health"),
    "0911": _("Dental studies"),
    "0912": _("Medicine"),
    "0913": _("Nursing and midwifery"),
    "0914": _("Medical diagnostic and treatment technology"),
    "0915": _("Therapy and rehabilitation"),
    "0916": _("Pharmacy"),
    "0917": _("Traditional and complementary medicine and therapy"),
    "092": _("Welfare"),
    "0921": _("Care of the elderly and of disabled adults"),
    "0922": _("Child care and youth services"),
    "0923": _("Social work and counselling"),
    "0988": _("Interdisciplinary health and welfare"),
    "10": _("Services"),
    "101": _("Personal services"),
    "1011": _("Domestic services"),
    "1012": _("Hair and beauty services"),
    "1013": _("Hotel, restaurants and catering"),
    "1014": _("Sports"),
    "1015": _("Travel, tourism and leisure"),
    "102": _("Hygiene and occupational health services"),
    "1021": _("Community sanitation"),
    "1022": _("Occupational health and safety"),
    "103": _("Security services"),
    "1031": _("Military and defence"),
    "1032": _("Protection of persons and property"),
    "104": _("Transport services"),
    "1041": _("Transport services"),
    "1088": _("Interdisciplinary services"),
}

ISCED_BROAD_CHOICES: list[tuple[str, StrOrPromise]] = [
    (code, format_lazy("{} {}", code, name))
    for code, name in ISCED_FIELDS.items()
    if len(code) == 2
]
ISCED_CHOICES: list[tuple[str, StrOrPromise]] = [
    (code, format_lazy("{} {}", code, name))
    for code, name in ISCED_FIELDS.items()
    if len(code) in (3, 4)
]


def is_isced_field(code: str) -> bool:
    """Whether ``code`` is a field of ISCED-F 2013: one of :data:`ISCED_FIELDS`, or the "not
    elsewhere classified" field of one of them (its code and a 9: 079 under 07, 0719 under
    071, 0799 under 079)."""
    if code in ISCED_FIELDS:
        return True
    if len(code) not in (3, 4) or not code.isdigit() or code[-1] != "9":
        return False
    parent = code[:-1]
    return parent in ISCED_FIELDS or (len(code) == 4 and is_isced_field(parent))


def isced_name(code: str) -> str:
    """The name of an ISCED-F code, or of its nearest broader field; '' if unknown."""
    for length in range(len(code), 1, -1):
        name = ISCED_FIELDS.get(code[:length])
        if name is not None:
            return str(name)
    return ""
