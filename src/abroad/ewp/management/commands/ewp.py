"""``python -m abroad ewp export|import ...``: EWP documents from the shell.

    ewp export iia AGREEMENT_CODE [-o FILE]
    ewp export la MOBILITY_ID [-o FILE]
    ewp export nominations [--year 2027] [--host SCHAC_CODE] [-o FILE]
    ewp import iia FILE [--accept [--agreement CODE] [--code NEWCODE]]
    ewp import la-update FILE
    ewp import tor FILE
    ewp keys [--force | --next | --promote]
    ewp manifest
    ewp registry [--force]
    ewp echo HEI_ID [VALUE ...] [--post]
    ewp fetch-institution HEI_ID
    ewp process-cnrs
    ewp notify-iia AGREEMENT_CODE
    ewp cnrs
    ewp fetch-approvals [--partner HEI_ID]

``export`` writes the document (to the terminal without -o). ``import iia`` keeps the
partner's copy waiting in the office's inbox and prints how it differs from our agreement;
with --accept it is accepted at once (into its matched agreement, the one --agreement names,
or a new one with reference --code). ``import la-update`` and ``import tor`` apply the
document as the inbox page does. Each step calls the same service as the pages; a refused
document (EwpError) is a CommandError with the service's message, and nothing is stored.

The node (docs/ewp.md, "The node"): ``keys`` writes the RSA client and server keys into the
files the settings name (an existing one is kept unless --force; --next and --promote rotate
them), ``manifest`` prints our discovery manifest, ``registry`` reads the registry catalogue
again and prints what it holds, ``echo`` calls a partner's Echo API with our signature and
checks the signature of its answer, ``fetch-institution`` prints what a partner's Institutions
and OUnits APIs say of it and its units. ``process-cnrs`` processes at once the change
notifications partners sent us whose time has come (fetches their agreement, or the transcript
of one of our students, into the inbox) and sends ours for the agreements and learning
agreements changed since: the same services the background worker runs (``db_worker``:
abroad.ewp.tasks), at once, for an operator in a hurry;
``notify-iia`` sends the partner of an agreement our IIA CNR at once, ``cnrs`` lists the
notifications received and sent, with their errors. ``fetch-approvals`` asks each partner's
IIAs Approval API (or the one --partner names) which of our agreements it approved, with
which hash (cron runs it); a failed call is logged for the agreement's EWP page and exits
with status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from abroad.catalogue.models import Agreement, Institution
from abroad.core.management.arguments import academic_year
from abroad.ewp import services
from abroad.ewp.models import Inbound, PendingCnr, SentCnr
from abroad.ewp.network import approval, cnr, la_cnr
from abroad.ewp.network import commands as node
from abroad.ewp.xml import EwpError
from abroad.mobility.models import Mobility


class Command(BaseCommand):
    help = (
        "Erasmus Without Paper documents: export iia|la|nominations, import iia|la-update|tor. "
        "Run 'ewp export --help' or 'ewp import --help' for the options."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = actions.add_parser("export", help="write one of our documents as EWP XML")
        what = export.add_subparsers(dest="what", required=True, metavar="DOCUMENT")
        iia = what.add_parser("iia", help="an agreement as an IIA v7 get-response")
        iia.add_argument("code", metavar="AGREEMENT_CODE")
        la = what.add_parser("la", help="a learning agreement as an OMobility LA get-response")
        la.add_argument("mobility", type=int, metavar="MOBILITY_ID")
        nominations = what.add_parser(
            "nominations", help="the nominations as an OMobilities v3 get-response"
        )
        nominations.add_argument("--year", help="one academic year: 2027 or 2027/2028")
        nominations.add_argument("--host", help="one host institution, by its SCHAC code")
        for sub in (iia, la, nominations):
            sub.add_argument("-o", "--output", help="the file to write (default: the terminal)")

        imported = actions.add_parser("import", help="read a partner's EWP document")
        kind = imported.add_subparsers(dest="what", required=True, metavar="DOCUMENT")
        iia_in = kind.add_parser("iia", help="a partner's IIA get-response (prints the diff)")
        iia_in.add_argument("file", metavar="FILE")
        iia_in.add_argument("--accept", action="store_true", help="accept it at once")
        iia_in.add_argument(
            "--agreement", help="with --accept: our agreement it goes into (its reference)"
        )
        iia_in.add_argument("--code", help="with --accept: the reference of a new agreement")
        for name, text in (
            ("la-update", "a partner's update-request (approve or comment a proposal)"),
            ("tor", "a transcript of records (IMobility ToRs get-response)"),
        ):
            kind.add_parser(name, help=text).add_argument("file", metavar="FILE")
        node.add_parsers(actions)
        actions.add_parser(
            "process-cnrs",
            help="fetch the agreements and transcripts partners told us changed (from cron)",
        )
        notify = actions.add_parser(
            "notify-iia", help="tell the partner of an agreement that it changed (IIA CNR)"
        )
        notify.add_argument("code", metavar="AGREEMENT_CODE")
        actions.add_parser("cnrs", help="the change notifications received and sent")
        approvals = actions.add_parser(
            "fetch-approvals", help="ask partners which of our agreements they approved (cron)"
        )
        approvals.add_argument("--partner", metavar="HEI_ID", help="one partner only")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] in node.ACTIONS:
                node.run(self, options)
            elif options["action"] in ("process-cnrs", "notify-iia", "cnrs"):
                self.cnrs(options)
            elif options["action"] == "fetch-approvals":
                self.fetch_approvals(options["partner"])
            elif options["action"] == "export":
                self.export(options)
            else:
                self.imported(options)
        except EwpError as error:
            raise CommandError(str(error)) from None

    # --------------------------------------------------------------------------- CNRs

    def cnrs(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "process-cnrs":
            result = cnr.process_pending()
            for one in result.done:
                self.stdout.write(f"fetched {one.hei_id} {one.subject_id}: {one.outcome}")
            for one in result.waiting:
                self.stdout.write(
                    f"waiting {one.hei_id} {one.subject_id} (attempt {one.attempts}, next "
                    f"{one.next_try_at:%Y-%m-%d %H:%M} UTC): {one.last_error}"
                )
            for one in result.failed:
                self.stderr.write(f"given up {one.hei_id} {one.subject_id}: {one.last_error}")
            for sent in [*cnr.send_due(), *la_cnr.send_due()]:
                line = f"notified {sent.hei_id} of {sent.subject_id}: {sent.state}"
                self.stdout.write(f"{line}, request {sent.request_id or '-'} {sent.error}")
            return
        if action == "notify-iia":
            agreement = (
                Agreement.objects.select_related("partner").filter(code=options["code"]).first()
            )
            if agreement is None:
                raise CommandError(f"no agreement has the reference {options['code']!r}")
            sent = cnr.notify(agreement)
            if sent.state != SentCnr.State.SENT:
                raise CommandError(f"{sent.hei_id} not notified: {sent.error}")
            self.stdout.write(f"{sent.hei_id} notified of {sent.iia_id}, request {sent.request_id}")
            return
        for received in PendingCnr.objects.all()[:50]:
            self.stdout.write(
                f"received {received.received_at:%Y-%m-%d %H:%M} {received.hei_id} "
                f"{received.subject_id} {received.state} attempts={received.attempts} "
                f"{received.last_error or received.outcome}"
            )
        for out in SentCnr.objects.all()[:50]:
            self.stdout.write(
                f"sent {out.sent_at:%Y-%m-%d %H:%M} {out.hei_id} {out.subject_id} {out.state} "
                f"request={out.request_id or '-'} {out.error}"
            )

    # ---------------------------------------------------------------------- approvals

    def fetch_approvals(self, partner: str | None) -> None:
        if partner and not Agreement.objects.filter(partner__schac_code__iexact=partner).exists():
            raise CommandError(f"no agreement with {partner!r}")
        result = approval.fetch_approvals(partner)
        if result.problem:
            raise CommandError(f"no partner asked: {result.problem}")
        for hei_id in result.skipped:
            self.stdout.write(f"{hei_id}: not in the EWP network (no IIAs Approval v2)")
        totals: dict[str, list[int]] = {}
        for done in result.calls:
            if done.state == done.State.FAILED:
                self.stderr.write(f"{done.hei_id}: {done.error}")
                continue
            total = totals.setdefault(done.hei_id, [0, 0])
            total[0] += done.approved
            total[1] += done.asked
        for hei_id, (approved, asked) in totals.items():
            self.stdout.write(f"{hei_id}: {approved} of {asked} approved")
        if result.failed:
            raise CommandError(f"{len(result.failed)} call(s) failed")

    # ------------------------------------------------------------------------- export

    def export(self, options: dict[str, Any]) -> None:
        what = options["what"]
        if what == "iia":
            agreement = Agreement.objects.filter(code=options["code"]).first()
            if agreement is None:
                raise CommandError(f"no agreement has the reference {options['code']!r}")
            data = services.export_iia(agreement)
        elif what == "la":
            mobility = Mobility.objects.filter(pk=options["mobility"]).first()
            if mobility is None:
                raise CommandError(f"no mobility has the id {options['mobility']}")
            data = services.export_la(mobility)
        else:
            year = academic_year(options["year"]) if options["year"] else None
            host = None
            if options["host"]:
                host = Institution.objects.filter(schac_code__iexact=options["host"]).first()
                if host is None:
                    raise CommandError(f"no institution has the SCHAC code {options['host']!r}")
            exported = services.export_nominations(services.nomination_queryset(year, host))
            for reason in exported.left_out:
                self.stderr.write(f"left out: {reason}")
            data = exported.data
        if options["output"]:
            Path(options["output"]).write_bytes(data)
            self.stdout.write(f"Wrote {options['output']} ({len(data)} bytes).")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")

    # ------------------------------------------------------------------------- import

    def _read(self, name: str) -> bytes:
        """The file's bytes, never more than one byte over the most an EWP document may be
        (the services refuse it then, with the reason)."""
        limit = settings.EWP_MAX_BYTES
        if name == "-":
            return sys.stdin.buffer.read(limit + 1)
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"no file {name}")
        with path.open("rb") as file:
            return file.read(limit + 1)

    def _report(self, inbound: Inbound) -> None:
        line = f"{inbound.summary}: {inbound.get_state_display()}"
        self.stdout.write(line)
        if inbound.message:
            for text in inbound.message.splitlines():
                self.stdout.write(f"  {text}")

    def imported(self, options: dict[str, Any]) -> None:
        what, name = options["what"], options["file"]
        if what == "iia" and not options["accept"] and (options["agreement"] or options["code"]):
            raise CommandError("--agreement and --code go with --accept")
        data = self._read(name)
        file_name = Path(name).name
        if what == "la-update":
            inbound = services.apply_la_update(data=data, file_name=file_name, actor=None)
            self._report(inbound)
            if inbound.state == Inbound.State.REFUSED:
                raise CommandError(inbound.message)
            return
        if what == "tor":
            results = services.import_tors(data=data, file_name=file_name, actor=None)
            for inbound in results:
                self._report(inbound)
            refused = [i for i in results if i.state == Inbound.State.REFUSED]
            if refused:
                raise CommandError(f"{len(refused)} of {len(results)} transcripts refused")
            return
        self.import_iia(data, file_name, options)

    @transaction.atomic
    def import_iia(self, data: bytes, file_name: str, options: dict[str, Any]) -> None:
        """All or nothing: an --accept that is refused keeps nothing in the inbox either."""
        target = None
        if options["agreement"]:
            target = Agreement.objects.filter(code=options["agreement"]).first()
            if target is None:
                raise CommandError(f"no agreement has the reference {options['agreement']!r}")
        received = services.receive_iias(data=data, file_name=file_name, actor=None)
        for inbound in received:
            compared = target or inbound.agreement
            self.stdout.write(f"{inbound.summary} (inbox #{inbound.pk})")
            self.stdout.write(
                f"  compared with {compared.code}" if compared else "  a new agreement"
            )
            differences = services.iia_diff(inbound, compared)
            for d in differences:
                self.stdout.write(f"  {d.where} · {d.field}: ours {d.ours} | theirs {d.theirs}")
            if compared and not differences:
                self.stdout.write("  no difference")
            if options["accept"]:
                result = services.accept_iia(
                    inbound=inbound, actor=None, agreement=target, code=options["code"] or ""
                )
                for line in services.accepted_message(result).splitlines():
                    self.stdout.write(f"  {line}")
