"""Every write of the recognition app: one function per transition, keyword-only arguments, in a
transaction, with an audit event. A refused step raises :class:`RecognitionError` with a
message for the person who tried (and, for rows, every bad row in ``errors``).

The flow: the office enters the host's transcript (:func:`enter_transcript`, or
:func:`import_transcript` from a spreadsheet); the student accepts it
(:func:`accept_transcript`) or disputes it with a reason (:func:`dispute_transcript`: the
office enters it again); the recognition of table B is proposed (:func:`propose_recognition`);
the promoter adjusts a grade with a reason (:func:`adjust_line`) and validates
(:func:`validate_recognition`).

Which host entries a table B component recognises
-------------------------------------------------
When tables A and B of the learning agreement in force have the same number of rows, the B
component in each position recognises the A component in the same position (one to one, as
the Erasmus+ template lays them out). Otherwise every B component recognises all of table A
together (the learning agreement says which package is recognised by which, not course by
course), and its grade is the credit-weighted average of table A's converted grades.

Grades and credits of a line
----------------------------
Each host grade converts with the conversion rule of the mobility (:func:`rule_for`). When
all the entries a line recognises passed, its grade is the credit-weighted average of their
converted grades, rounded to the nearest passing home grade (a tie to the better grade; the
honours grade only when every converted grade is honours; one entry keeps its converted
grade), and its credits are the B component's ECTS. When any of them failed or is missing,
the line gets no grade and no credits and is flagged for the promoter (``failed`` when none
passed, ``partial`` otherwise, with what the passing ones would give); the promoter may then
grant a grade with a reason. A line's credits follow its grade: the B component's ECTS with a
grade, none without.

The services, by concern: :mod:`.transcripts` (entering, importing, accepting, disputing),
:mod:`.recognising` (proposing, adjusting, validating), :mod:`.grading_tables` (a home table
from past grades), :mod:`.scales_and_rules` (the standard scales, the rule of a mobility) and
:mod:`.base` (the error, the permission check, the locks). Import from here: the names below
are the public surface.
"""

from __future__ import annotations

from abroad.recognition.services.base import RecognitionError, Refused, plain
from abroad.recognition.services.grading_tables import GradingTableReport, build_home_grading_table
from abroad.recognition.services.recognising import (
    adjust_line,
    propose_recognition,
    validate_recognition,
)
from abroad.recognition.services.scales_and_rules import (
    STANDARD_COUNTRIES,
    ensure_standard_scales,
    rule_for,
)
from abroad.recognition.services.transcripts import (
    EntryData,
    TranscriptImportReport,
    accept_transcript,
    dispute_transcript,
    enter_transcript,
    host_scale_of,
    import_transcript,
    table_a,
    transcript_problems,
)

__all__ = [
    "STANDARD_COUNTRIES",
    "EntryData",
    "GradingTableReport",
    "RecognitionError",
    "Refused",
    "TranscriptImportReport",
    "accept_transcript",
    "adjust_line",
    "build_home_grading_table",
    "dispute_transcript",
    "ensure_standard_scales",
    "enter_transcript",
    "host_scale_of",
    "import_transcript",
    "plain",
    "propose_recognition",
    "rule_for",
    "table_a",
    "transcript_problems",
    "validate_recognition",
]
