"""Grants: importing and exporting a year's rate table, and the grant of a mobility."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from abroad.catalogue.models import Institution
from abroad.core import audit, importing
from abroad.core.academic_year import format_year
from abroad.core.importing import ImportReport
from abroad.core.permissions import require_actor
from abroad.grants import compute, importers, rates
from abroad.grants.models import GrantCase, Payment, Rate, RateTable
from abroad.mobility.enums import MobilityKind, MobilityState
from abroad.mobility.models import Mobility
from abroad.mobility.queries import office_mobilities_q


@dataclass
class RatesReport(ImportReport):
    academic_year: int = 0
    created: int = 0
    replaced: int = 0

    def imported_summary(self) -> str:
        return (
            f"{self.academic_year}/{self.academic_year + 1}: {self.created} amounts "
            f"({self.replaced} replaced)"
        )


def import_rates(
    source: importing.Source,
    *,
    academic_year: int,
    actor: Any,
    name: str | None = None,
    source_note: str | None = None,
    note: str | None = None,
    dry_run: bool = False,
) -> RatesReport:
    """Replace ``academic_year``'s amounts with the file's, all or nothing: a file with any
    bad row changes nothing and the report names each row. ``source_note`` and ``note``, when
    given, replace the table's."""
    report = RatesReport(
        file=importing.source_name(source, name), dry_run=dry_run, academic_year=academic_year
    )
    rows = importers.read_rates(source, report)
    if report.errors:
        return report

    def write() -> None:
        table, _created = RateTable.objects.select_for_update().get_or_create(
            academic_year=academic_year
        )
        if source_note is not None:
            table.source = source_note
        if note is not None:
            table.note = note
        table.save()
        report.replaced = table.rates.count()
        table.rates.all().delete()
        Rate.objects.bulk_create(
            Rate(
                table=table,
                key=row.key,
                group=row.group,
                country=row.country,
                low=row.low,
                high=row.high,
                amount=row.amount,
                green_amount=row.green_amount,
            )
            for row in rows
        )
        report.created = len(rows)
        # every grant this table may pay is computed again (audited where it moves)
        refresh_grants(
            Mobility.objects.filter(academic_year__gte=academic_year).select_related("host"),
            actor=actor,
            reason="rates",
        )

    importing.write_atomically(report, write, actor=actor, action="grants.import_rates")
    return report


def export_rates(table: RateTable, target: str | IO[bytes], fmt: importing.Format) -> int:
    with transaction.atomic():
        return importers.write_rates(
            table.rates.order_by("key", "group", "country", "low"), target, fmt
        )


# ------------------------------------------------------------------------- a mobility's grant


@dataclass
class MobilityGrant:
    """A mobility's grant as its page shows it: the table used, the grant on the dates known
    (the actual ones once recorded), the planned grant when the two differ, the instalments;
    or why there is none."""

    table: RateTable | None
    case: GrantCase | None
    grant: compute.Grant | None = None
    planned: compute.Grant | None = None
    refused: str = ""
    group: str = ""
    distance_km: int | None = None
    instalments: list[Decimal] = field(default_factory=list)

    academic_year: int = 0

    @property
    def last_years_amounts(self) -> bool:
        """The year's own amounts are not published: an earlier year's are used."""
        return self.table is not None and self.table.academic_year != self.academic_year


def stay_kind(mobility: Mobility) -> compute.StayKind:
    if mobility.kind == MobilityKind.SHORT:
        return compute.StayKind.SHORT
    if mobility.kind == MobilityKind.THESIS:
        return compute.StayKind.THESIS
    return compute.StayKind.LONG


def _distance(home: Institution | None, host: Institution) -> int | None:
    points = [
        (float(i.latitude), float(i.longitude))
        for i in (home, host)
        if i is not None and i.latitude is not None and i.longitude is not None
    ]
    return compute.distance_km(points[0], points[1]) if len(points) == 2 else None


@dataclass(frozen=True)
class _Year:
    table: RateTable | None
    engine: compute.Rates | None = None
    groups: dict[str, str] = field(default_factory=dict)


class Calculator:
    """Grants of many mobilities with each year's table and the home institution read once:
    the office's lists ask for hundreds (:func:`grants_of`)."""

    def __init__(self) -> None:
        self._years: dict[int, _Year] = {}
        self._home: Institution | None = Institution.objects.find_home()

    def year(self, academic_year: int) -> _Year:
        if academic_year not in self._years:
            table = rates.table_for(academic_year)
            if table is None:
                self._years[academic_year] = _Year(None)
            else:
                rows = list(table.rates.all())
                self._years[academic_year] = _Year(
                    table, rates.engine_rates(rows), rates.country_groups(rows)
                )
        return self._years[academic_year]

    def grant(self, mobility: Mobility, case: GrantCase | None) -> MobilityGrant:
        year = self.year(mobility.academic_year)
        found = MobilityGrant(year.table, case, academic_year=mobility.academic_year)
        if year.table is None or year.engine is None:
            found.refused = _("No grant amounts are published for this academic year yet.")
            return found
        home, host = self._home, mobility.host
        if home is not None and home.country and home.country == host.country:
            found.refused = _("A mobility in the home country receives no mobility grant.")
            return found
        found.group = year.groups.get(str(host.country), compute.PARTNER_GROUP)
        found.distance_km = _distance(home, host)
        engine = year.engine
        details = case or GrantCase(mobility=mobility)

        def on(start: dt.date | None, end: dt.date | None) -> compute.Grant:
            if start is None or end is None:
                raise compute.NotEligible(_("The mobility's dates are not known yet."))
            return compute.compute(
                compute.Stay(
                    stay_kind(mobility),
                    start,
                    end,
                    group=found.group,
                    traineeship=details.traineeship,
                    distance_km=found.distance_km,
                    fewer_opportunities=details.fewer_opportunities,
                    green_travel=details.green_travel,
                    travel_days=details.travel_days,
                    zero_grant=details.zero_grant,
                    isee=details.isee,
                    # Europe, for the thesis's travel: the Programme's countries (groups 1-3).
                    in_europe=found.group != compute.PARTNER_GROUP,
                ),
                engine,
            )

        try:
            found.grant = on(mobility.start, mobility.end)
            if (mobility.actual_start or mobility.actual_end) and mobility.planned_start:
                planned = on(mobility.planned_start, mobility.planned_end)
                if planned.total != found.grant.total:
                    found.planned = planned
        except compute.NotEligible as error:
            found.refused = str(error)
            found.grant = None
            return found
        found.instalments = compute.instalments(found.grant.total, table_shares(year.table))
        return found


def grant_of(mobility: Mobility) -> MobilityGrant:
    """THE grant of ``mobility`` (its page, the office's lists and exports ask here)."""
    case = GrantCase.objects.filter(mobility=mobility).first()
    return Calculator().grant(mobility, case)


def grants_of(mobilities: Iterable[Mobility]) -> dict[int, MobilityGrant]:
    """The grants of ``mobilities`` (their hosts selected), by mobility id, in a few queries."""
    found = list(mobilities)
    cases = {c.mobility_id: c for c in GrantCase.objects.filter(mobility__in=found)}
    calculator = Calculator()
    return {m.pk: calculator.grant(m, cases.get(m.pk)) for m in found}


# ------------------------------------------------------------------ the amount committed, audited


def refresh_grants(mobilities: Iterable[Mobility], *, actor: Any, reason: str) -> int:
    """Compute the grants of ``mobilities`` (their hosts selected) again and keep each total on
    its :class:`GrantCase` (created when missing), the amount the dashboard counts as
    committed. Every amount that changes is an audit event on its mobility
    (``grants.recomputed``: before, after, why). Returns how many changed."""
    found = list(mobilities)
    if not found:
        return 0
    cases = {case.mobility_id: case for case in GrantCase.objects.filter(mobility__in=found)}
    calculator = Calculator()
    now = timezone.now()
    created: list[GrantCase] = []
    updated: list[GrantCase] = []
    events: list[tuple[Mobility, Decimal | None, Decimal | None]] = []
    for mobility in found:
        computed = calculator.grant(mobility, cases.get(mobility.pk))
        amount = computed.grant.total if computed.grant is not None else None
        case = cases.get(mobility.pk)
        if case is None:
            if amount is None:
                continue
            created.append(GrantCase(mobility=mobility, amount=amount, computed_at=now))
            events.append((mobility, None, amount))
        elif case.amount != amount or case.computed_at is None:
            if case.amount != amount:
                events.append((mobility, case.amount, amount))
            case.amount, case.computed_at = amount, now
            updated.append(case)
    with transaction.atomic():
        GrantCase.objects.bulk_create(created)
        GrantCase.objects.bulk_update(updated, ["amount", "computed_at"])
        for mobility, before, after in events:
            audit.record(
                actor=actor,
                action="grants.recomputed",
                obj=mobility,
                before=before,
                after=after,
                reason=reason,
            )
    return len(events)


def refresh_grant(mobility: Mobility, *, actor: Any, reason: str) -> int:
    """:func:`refresh_grants` for one mobility (its dates, host or details changed)."""
    fresh = Mobility.objects.select_related("host").filter(pk=mobility.pk)
    return refresh_grants(fresh, actor=actor, reason=reason)


def save_case(*, actor: Any, case: GrantCase) -> GrantCase:
    """Save the office's details of a mobility's grant (the admin's form, the demo): each
    detail that changed, before and after, is one audit event (``grants.case_changed``), and
    the grant is computed again (``grants.recomputed`` when its amount moves)."""
    require_actor(actor, CHANGE_CASE, case.mobility)
    with transaction.atomic():
        before = (
            GrantCase.objects.select_for_update().filter(pk=case.pk).first() if case.pk else None
        )
        if before is None:
            before = GrantCase.objects.filter(mobility=case.mobility_id).first()
            if before is not None:
                case.pk = before.pk
        changes = {
            name: [getattr(before, name) if before else None, getattr(case, name)]
            for name in GrantCase.DETAILS
            if before is None or getattr(before, name) != getattr(case, name)
        }
        if before is not None:
            case.amount, case.computed_at = before.amount, before.computed_at
        case.save()
        if changes:
            audit.record(
                actor=actor, action="grants.case_changed", obj=case.mobility, changes=changes
            )
        refresh_grant(case.mobility, actor=actor, reason="details")
        case.refresh_from_db()
    return case


def table_shares(table: RateTable) -> list[int]:
    """The table's instalment shares (``80,20``); 100 when the field cannot be read."""
    try:
        shares = [int(part) for part in table.instalments.split(",") if part.strip()]
    except ValueError:
        return [100]
    return shares if shares and sum(shares) == 100 and min(shares) > 0 else [100]


# ---------------------------------------------------------------------------------- payments

MANAGE = "grants.manage_grants"
CHANGE_CASE = "grants.change_case"


class PaymentError(Exception):
    """A payment refused, with the reason for the office."""


def due(found: MobilityGrant, paid: Mapping[int, Decimal], instalment: int) -> Decimal | None:
    """What instalment ``instalment`` (1-based) of a grant pays, given what was paid by
    instalment: its share for every instalment but the last, the balance for the last (the
    grant recomputed on the actual dates minus what was paid: negative when the student owes
    money back); None when there is no such instalment, no grant or it is paid already."""
    if found.grant is None or instalment in paid or not 1 <= instalment <= len(found.instalments):
        return None
    if instalment < len(found.instalments):
        return found.instalments[instalment - 1]
    return compute.balance(found.grant, sum(paid.values(), Decimal(0)))


@dataclass(frozen=True)
class PaymentRow:
    mobility: Mobility
    found: MobilityGrant
    paid: dict[int, Decimal]
    due: Decimal | None
    payment: Payment | None  # the chosen instalment's, when paid

    @property
    def paid_total(self) -> Decimal:
        return sum(self.paid.values(), Decimal(0))


def payment_rows(
    user: Any, academic_year: int, instalment: int, state: str = "due"
) -> list[PaymentRow]:
    """The mobilities of ``academic_year`` within ``user``'s office scope with a grant, for
    instalment ``instalment``: ``state`` "due" (not paid yet, something to pay or recover),
    "paid", or "all"; by the student's name. A fixed number of queries, however many."""
    mobilities = list(
        Mobility.objects.filter(office_mobilities_q(user), academic_year=academic_year)
        .exclude(state=MobilityState.WITHDRAWN)
        .select_related("student", "host")
        .order_by("student__last_name", "student__first_name", "pk")
    )
    grants = grants_of(mobilities)
    payments: dict[int, dict[int, Payment]] = {}
    for payment in Payment.objects.filter(mobility__in=mobilities):
        payments.setdefault(payment.mobility_id, {})[payment.instalment] = payment
    rows = []
    for mobility in mobilities:
        found = grants[mobility.pk]
        if found.grant is None:
            continue
        mine = payments.get(mobility.pk, {})
        paid = {k: p.amount for k, p in mine.items()}
        owed = due(found, paid, instalment)
        row = PaymentRow(mobility, found, paid, owed, mine.get(instalment))
        if (
            state == "all"
            or (state == "paid" and row.payment)
            or (state == "due" and owed is not None and owed != 0)
        ):
            rows.append(row)
    return rows


def record_payments(
    *,
    actor: Any,
    mobility_ids: Iterable[int],
    instalment: int,
    paid_on: dt.date,
    reference: str = "",
) -> list[Payment]:
    """Record instalment ``instalment`` of each mobility as paid on ``paid_on`` for the amount
    due now (computed here, never taken from the form); all or nothing, with one audit event.
    A mobility with nothing due for that instalment refuses the whole batch, named."""
    require_actor(actor, MANAGE)
    ids = sorted(set(mobility_ids))
    if not ids:
        raise PaymentError(_("Tick at least one mobility."))
    with transaction.atomic():
        mobilities = list(
            Mobility.objects.select_for_update()
            .filter(office_mobilities_q(actor), pk__in=ids)
            .select_related("student", "host")
            .order_by("pk")
        )
        if len(mobilities) != len(ids):
            raise PaymentError(_("A mobility ticked no longer exists: reload the page."))
        grants = grants_of(mobilities)
        paid: dict[int, dict[int, Decimal]] = {}
        for payment in Payment.objects.filter(mobility__in=mobilities):
            paid.setdefault(payment.mobility_id, {})[payment.instalment] = payment.amount
        created = []
        for mobility in mobilities:
            owed = due(grants[mobility.pk], paid.get(mobility.pk, {}), instalment)
            if owed is None:
                raise PaymentError(
                    _("Nothing is due on instalment %(number)d of %(student)s's grant.")
                    % {"number": instalment, "student": mobility.student}
                )
            created.append(
                Payment(
                    mobility=mobility,
                    instalment=instalment,
                    amount=owed,
                    paid_on=paid_on,
                    reference=reference,
                    recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
            )
        Payment.objects.bulk_create(created)
        audit.record(
            actor=actor,
            action="grants.payments_recorded",
            instalment=instalment,
            count=len(created),
            total=str(sum((p.amount for p in created), Decimal(0))),
            mobilities=ids,
            paid_on=paid_on.isoformat(),
            reference=reference,
        )
        # and on each mobility, so that its own history shows what it was paid
        for payment in created:
            audit.record(
                actor=actor,
                action="grants.payment_recorded",
                obj=payment.mobility,
                instalment=instalment,
                amount=payment.amount,
                paid_on=paid_on.isoformat(),
                reference=reference,
            )
    return created


PAYMENT_COLUMNS = (
    "student_number",
    "student",
    "host",
    "host_country",
    "academic_year",
    "grant_total",
    "instalment",
    "amount",
    "paid_on",
    "reference",
)


def export_payments(
    rows: Iterable[PaymentRow], instalment: int, target: IO[bytes], fmt: importing.Format
) -> int:
    """The payment list for the accounting office, with stable column keys: the amount due
    (or paid, for a paid row) of ``instalment``."""
    return importing.write_table(
        target,
        columns=PAYMENT_COLUMNS,
        fmt=fmt,
        sheet="payments",
        text_columns=("student_number",),
        rows=(
            {
                "student_number": row.mobility.student.student_number,
                "student": row.mobility.student.get_full_name() or row.mobility.student.username,
                "host": row.mobility.host.display_name,
                "host_country": str(row.mobility.host.country),
                "academic_year": format_year(row.mobility.academic_year),
                "grant_total": row.found.grant.total if row.found.grant else None,
                "instalment": instalment,
                "amount": row.payment.amount if row.payment else row.due,
                "paid_on": row.payment.paid_on.isoformat() if row.payment else "",
                "reference": row.payment.reference if row.payment else "",
            }
            for row in rows
        ),
    )
