"""Change notifications as background work, with django-tasks' database worker (``db_worker``,
run in the test as the e-mail delivery tests run it) and Delft's node on loopback: a partner's
CNR is answered at once and fetched by the worker, retried with back-off while Delft is down
(the office sees the error in the EWP inbox) and fetched once it is up; a change of ours is
notified once for a burst of changes, nothing for a rolled-back one, retried when Delft is
down; a copy we approved already is not put in the inbox again, and our approval is told to
Delft once. Time passes by moving the queue's and the rows' times back, never by waiting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from abroad.catalogue.models import Agreement
from abroad.core import scheduled
from abroad.ewp import iia, services, tasks
from abroad.ewp.models import Inbound, PendingCnr, SentCnr
from abroad.ewp.network import cnr
from abroad.ewp.network.iias import iia_id
from tests.core.test_mail_delivery import run_worker
from tests.ewp.network.partner_node import database_queue  # noqa: F401 (a fixture)
from tests.ewp.network.test_iia_cnr import (
    DELFT_IIA_ID,
    PartnerNode,
    World,
    delft_copy,
    world,  # noqa: F401 (the fixture)
)
from tests.ewp.network.test_iias import DELFT
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    # the queue of a real installation, set before the world (Delft's node, our agreement)
    pytest.mark.usefixtures("database_queue"),
]


def queued(job: Any) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=job.module_path, status="READY"))


def time_passes() -> None:
    """Everything waiting in the queue is due now (the pauses and the debounce are over)."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def cnr_posts(node: PartnerNode) -> list[str]:
    return [r.body.decode() for r in node.requests if r.method == "POST"]


def test_a_cnr_while_the_partner_is_down_is_answered_at_once_and_fetched_once_it_is_up(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    world.delft_node.down = True
    response = world.partners.post(DELFT, "/ewp/iia-cnr", [("iia_id", DELFT_IIA_ID)])
    assert response.status_code == 200  # answered without calling Delft
    pending = PendingCnr.objects.get()
    assert (pending.state, pending.attempts) == (PendingCnr.State.PENDING, 0)
    assert len(queued(tasks.process_cnr)) == 1  # enqueued when the request committed

    run_worker(max_tasks=1)  # Delft is down

    pending.refresh_from_db()
    assert (pending.state, pending.attempts) == (PendingCnr.State.PENDING, 1)
    assert "cannot be reached" in pending.last_error
    [retry] = queued(tasks.process_cnr)  # the next try waits for its pause
    assert retry.run_after == pending.next_try_at
    assert retry.run_after > timezone.now()
    run_worker()
    assert PendingCnr.objects.get().attempts == 1  # not tried before its time
    office = Client()
    office.force_login(UserFactory.create(role="office"))
    page = office.get("/ewp/inbox/").content.decode()
    assert DELFT_IIA_ID in page
    assert "cannot be reached" in page

    world.delft_node.down = False
    PendingCnr.objects.update(next_try_at=timezone.now())
    time_passes()
    run_worker()

    pending.refresh_from_db()
    assert (pending.state, pending.attempts) == (PendingCnr.State.DONE, 2)
    assert pending.last_error == ""
    inbound = Inbound.objects.get()
    assert (inbound.state, inbound.agreement) == (Inbound.State.PENDING, world.agreement)
    assert queued(tasks.process_cnr) == []
    # the partner's approvals were asked after its CNR (Delft serves no IIAs Approval: skipped)
    assert DBTaskResult.objects.filter(
        task_path=tasks.ask_approvals.module_path, status="SUCCESSFUL"
    ).exists()


def test_a_cnr_given_up_after_the_last_attempt_is_not_enqueued_again(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    world.delft_node.down = True
    assert world.partners.post(DELFT, "/ewp/iia-cnr", [("iia_id", "x")]).status_code == 200
    PendingCnr.objects.update(attempts=cnr.MAX_ATTEMPTS - 1)
    run_worker()
    assert PendingCnr.objects.get().state == PendingCnr.State.FAILED
    assert queued(tasks.process_cnr) == []


def test_a_fetch_failing_with_an_error_of_ours_is_tried_as_often_as_a_partners_then_shown(
    world: World,  # noqa: F811 (the fixture)
    settings: Any,
) -> None:
    # Our client key file is gone (an operator's slip): no fault of Delft's, and no CallError.
    Path(settings.EWP_CLIENT_KEY).unlink()
    assert world.partners.post(DELFT, "/ewp/iia-cnr", [("iia_id", DELFT_IIA_ID)]).status_code == 200
    run_worker(max_tasks=1)

    pending = PendingCnr.objects.get()
    assert (pending.state, pending.attempts) == (PendingCnr.State.PENDING, 1)
    assert "An error of this node, not of the partner: KeyFileError" in pending.last_error
    [retry] = queued(tasks.process_cnr)  # after its pause, as for a partner that is down
    assert retry.run_after == pending.next_try_at > timezone.now()
    assert scheduled.run().report["ewp.cnrs"]["received"] == 0  # not due: not handed again

    PendingCnr.objects.update(attempts=cnr.MAX_ATTEMPTS - 1, next_try_at=timezone.now())
    time_passes()
    run_worker()
    pending.refresh_from_db()
    assert (pending.state, pending.attempts) == (PendingCnr.State.FAILED, cnr.MAX_ATTEMPTS)
    assert queued(tasks.process_cnr) == []
    assert scheduled.run().report["ewp.cnrs"]["received"] == 0  # given up: never again
    assert queued(tasks.process_cnr) == []
    assert world.delft_node.requests == []
    office = Client()
    office.force_login(UserFactory.create(role="office"))
    page = office.get("/ewp/inbox/").content.decode()
    assert DELFT_IIA_ID in page
    assert "An error of this node, not of the partner: KeyFileError" in page


def test_several_changes_in_a_short_window_are_one_cnr(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    for _edit in range(3):  # the office saves the agreement three times
        world.agreement.save()
    [waiting] = queued(tasks.send_iia_cnr)  # one task, moved later by each change
    assert waiting.run_after > timezone.now()
    run_worker()
    assert cnr_posts(world.delft_node) == []  # not before the debounce is over

    Agreement.objects.filter(pk=world.agreement.pk).update(
        updated_at=timezone.now() - cnr.DEBOUNCE - timedelta(seconds=1)
    )
    time_passes()
    run_worker()

    assert cnr_posts(world.delft_node) == [f"iia_id={iia_id(world.agreement)}"]
    [sent] = SentCnr.objects.all()
    assert (sent.state, sent.agreement) == (SentCnr.State.SENT, world.agreement)
    assert queued(tasks.send_iia_cnr) == []


def test_a_rolled_back_change_sends_nothing(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    class Refused(Exception):
        pass

    DBTaskResult.objects.all().delete()  # the agreement's creation: not what is asked here

    def change_then_refuse() -> None:
        with transaction.atomic():
            world.agreement.save()
            assert DBTaskResult.objects.count() == 0  # enqueued only when it commits
            raise Refused

    with pytest.raises(Refused):
        change_then_refuse()

    assert DBTaskResult.objects.count() == 0
    time_passes()
    run_worker()
    assert world.delft_node.requests == []
    assert SentCnr.objects.count() == 0


def test_a_failed_cnr_is_retried_after_its_pause_and_the_office_sees_it(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    world.delft_node.down = True
    world.agreement.save()
    Agreement.objects.filter(pk=world.agreement.pk).update(
        updated_at=timezone.now() - cnr.DEBOUNCE - timedelta(seconds=1)
    )
    time_passes()
    run_worker(max_tasks=1)

    failed = SentCnr.objects.get()
    assert failed.state == SentCnr.State.FAILED
    assert "cannot be reached" in failed.error
    [retry] = queued(tasks.send_iia_cnr)
    assert retry.run_after == failed.sent_at + cnr.FIRST_PAUSE
    office = Client()
    office.force_login(UserFactory.create(role="office"))
    page = office.get("/ewp/inbox/").content.decode()
    assert "cannot be reached" in page

    world.delft_node.down = False
    SentCnr.objects.update(sent_at=timezone.now() - cnr.FIRST_PAUSE - timedelta(seconds=1))
    time_passes()
    run_worker()
    assert [s.state for s in SentCnr.objects.order_by("sent_at")] == [
        SentCnr.State.FAILED,
        SentCnr.State.SENT,
    ]
    assert len(cnr_posts(world.delft_node)) == 1
    assert queued(tasks.send_iia_cnr) == []


def approve_delft_copy(delft: World) -> None:
    """The office accepted Delft's copy as it is served now (our approval)."""
    link = services.iia_link(delft.agreement)
    link.partner_iia_id = DELFT_IIA_ID
    link.partner_hash = iia.parse(delft.delft_node.document)[0].iia_hash
    link.partner_updated_at = timezone.now()
    link.save()


def test_the_copy_we_approved_is_not_in_the_inbox_again_and_our_approval_is_told_once(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    approve_delft_copy(world)
    assert world.partners.post(DELFT, "/ewp/iia-cnr", [("iia_id", DELFT_IIA_ID)]).status_code == 200
    run_worker()

    done = PendingCnr.objects.get()
    assert done.state == PendingCnr.State.DONE
    assert "We approved this copy already (E+ NL DELFT01)." in done.outcome
    assert "notified to the partner again" in done.outcome
    assert Inbound.objects.count() == 0
    assert cnr_posts(world.delft_node) == [f"iia_id={iia_id(world.agreement)}"]
    assert SentCnr.objects.get().state == SentCnr.State.SENT

    # Delft notifies the same copy again: told once already, nothing is sent (no ping-pong).
    assert world.partners.post(DELFT, "/ewp/iia-cnr", [("iia_id", DELFT_IIA_ID)]).status_code == 200
    run_worker()
    again = PendingCnr.objects.latest("pk")
    assert "We approved this copy already" in again.outcome
    assert "notified to the partner again" not in again.outcome
    assert SentCnr.objects.count() == 1
    # A changed copy is not the one we approved: it waits in the inbox for the office.
    world.delft_node.document = delft_copy(world.agreement, months=12)
    assert world.partners.post(DELFT, "/ewp/iia-cnr", [("iia_id", DELFT_IIA_ID)]).status_code == 200
    run_worker()
    assert Inbound.objects.filter(state=Inbound.State.PENDING).count() == 1
    assert SentCnr.objects.count() == 1


def test_run_scheduled_hands_the_worker_a_notification_whose_task_was_lost(
    world: World,  # noqa: F811 (the fixture)
) -> None:
    assert world.partners.post(DELFT, "/ewp/iia-cnr", [("iia_id", DELFT_IIA_ID)]).status_code == 200
    DBTaskResult.objects.all().delete()  # the process stopped before the worker saw it
    report = scheduled.run().report["ewp.cnrs"]
    assert report == {"received": 1, "agreements": 0, "mobilities": 0}
    assert scheduled.run().report["ewp.cnrs"]["received"] == 0  # a task waits for it now
    run_worker()
    assert PendingCnr.objects.get().state == PendingCnr.State.DONE
    assert Inbound.objects.count() == 1
