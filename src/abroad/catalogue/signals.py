"""What makes the public pages stale (abroad.core.cache): every save or delete of a model they
show, and every change of a many-to-many link between them, starts a new generation of the
cached pages. The paths that skip signals (bulk writes) call
:func:`abroad.core.cache.catalogue_changed` themselves: the imports through
``core.importing.write_atomically``, the restore of a backup, and ``migrate`` (a deploy:
templates and translations may have changed) through ``post_migrate`` below.

The models are named by label, not imported: ATHENS (networks) sits above the catalogue."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from abroad.core.cache import catalogue_changed
from abroad.people.enums import Role

# Every model a public page reads (home, catalogue, map, agreement, institution, contacts,
# information pages, ATHENS, the public API).
PUBLIC_MODELS = frozenset(
    {
        "catalogue.Institution",
        "catalogue.School",
        "catalogue.CourseOfStudy",
        "catalogue.Network",
        "catalogue.NetworkMembership",
        "catalogue.Promoter",
        "catalogue.Contact",
        "catalogue.Agreement",
        "catalogue.Offer",
        "networks.AthensSession",
        "networks.AthensCourse",
    }
)
# A person's name is public only as a promoter's (contacts, agreements); a log-in only writes
# last_login, which no page shows.
PEOPLE = "people.User"


def _public(sender: Any) -> bool:
    return getattr(getattr(sender, "_meta", None), "label", None) in PUBLIC_MODELS


def _saved(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if _public(sender) or (
        sender._meta.label == PEOPLE
        and instance.role != Role.STUDENT
        and (update_fields is None or set(update_fields) - {"last_login"})
    ):
        catalogue_changed(using)


def _deleted(sender: Any, instance: Any, using: str, **kwargs: Any) -> None:
    if _public(sender) or (sender._meta.label == PEOPLE and instance.role != Role.STUDENT):
        catalogue_changed(using)


def _linked(sender: Any, instance: Any, action: str, model: Any, using: str, **kwargs: Any) -> None:
    if action.startswith("post_") and (_public(type(instance)) or _public(model)):
        catalogue_changed(using)


def _migrated(sender: Any, using: str = "default", **kwargs: Any) -> None:
    catalogue_changed(using)


def connect(app_config: Any) -> None:
    post_save.connect(_saved, dispatch_uid="abroad.catalogue.cache.saved")
    post_delete.connect(_deleted, dispatch_uid="abroad.catalogue.cache.deleted")
    m2m_changed.connect(_linked, dispatch_uid="abroad.catalogue.cache.linked")
    post_migrate.connect(
        _migrated, sender=app_config, dispatch_uid="abroad.catalogue.cache.migrated"
    )
