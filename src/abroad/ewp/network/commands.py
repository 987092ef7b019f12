"""The node's actions of ``python -m abroad ewp`` (keys, manifest, registry, echo,
fetch-institution)."""

from __future__ import annotations

from argparse import _SubParsersAction
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from abroad.ewp.network import client, institutions, keys, manifest, registry

ACTIONS = ("keys", "manifest", "registry", "echo", "fetch-institution")


def add_parsers(actions: _SubParsersAction) -> None:
    generate = actions.add_parser(
        "keys", help="write the node's RSA client and server keys into the files set"
    )
    how = generate.add_mutually_exclusive_group()
    how.add_argument("--force", action="store_true", help="replace existing key files")
    how.add_argument("--next", action="store_true", help="write the next keys (rotation)")
    how.add_argument("--promote", action="store_true", help="make the next keys current")
    actions.add_parser("manifest", help="print our discovery manifest")
    refresh = actions.add_parser("registry", help="read the registry catalogue again")
    refresh.add_argument("--force", action="store_true", help="without the ETag we have")
    echo = actions.add_parser("echo", help="call a partner's Echo API v2, signed")
    echo.add_argument("hei", metavar="HEI_ID")
    echo.add_argument("values", nargs="*", metavar="VALUE")
    echo.add_argument("--post", action="store_true", help="POST instead of GET")
    fetch = actions.add_parser(
        "fetch-institution", help="read a partner's Institutions and OUnits APIs, signed"
    )
    fetch.add_argument("hei", metavar="HEI_ID")


def run(command: BaseCommand, options: dict[str, Any]) -> None:
    action = options["action"]
    try:
        if action == "keys":
            _keys(command, options)
        elif action == "manifest":
            command.stdout.write(manifest.build().decode("utf-8"), ending="")
        elif action == "registry":
            registry.refresh(force=options["force"])
            found = registry.catalogue()
            command.stdout.write(
                f"{len(found.hosts())} hosts, {len(found.hei_ids())} HEIs in the catalogue."
            )
        elif action == "fetch-institution":
            _institution(command, options["hei"])
        else:
            method = "POST" if options["post"] else "GET"
            result = client.echo(options["hei"], options["values"], method=method)
            command.stdout.write(f"HTTP {result.status}, request {result.request_id}")
            command.stdout.write(f"signed by server key {result.key_id}")
            command.stdout.write("our HEIs as they see them: " + " ".join(result.hei_ids))
            for value in result.echoes:
                command.stdout.write(f"echo: {value}")
    except (registry.RegistryError, client.CallError, keys.KeyFileError) as error:
        raise CommandError(str(error)) from None


def _institution(command: BaseCommand, hei_id: str) -> None:
    """What ``hei_id`` says of itself (Institutions v2) and of its units (OUnits v2)."""
    found = institutions.fetch_institution(hei_id)
    if found is None:
        raise CommandError(f"The Institutions API of {hei_id} does not describe it.")
    command.stdout.write(
        f"{found.id}: " + "; ".join(f"{lang or '-'}: {name}" for lang, name in found.names)
    )
    for url in found.websites:
        command.stdout.write(f"website: {url}")
    if found.ounit_ids:
        for unit in institutions.fetch_ounits(hei_id, list(found.ounit_ids)):
            parent = f" (in {unit.parent_id})" if unit.parent_id else ""
            command.stdout.write(f"unit {unit.id} {unit.code}: {unit.name()}{parent}")


def _keys(command: BaseCommand, options: dict[str, Any]) -> None:
    for role in keys.ROLES:
        if options["promote"]:
            keys.promote(role)
            command.stdout.write(f"The next {role} key is now current: {keys.path(role)}")
            continue
        target = keys.next_path(role) if options["next"] else keys.path(role)
        try:
            keys.write(target, keys.generate(), force=options["force"])
        except FileExistsError:
            raise CommandError(
                f"{target} exists: keep it, or replace it with --force (partners trust the "
                "key the registry lists; see docs/ewp.md on rotation)."
            ) from None
        pair = keys.load(target)
        command.stdout.write(f"Wrote the {role} key {target} (keyId {pair.key_id}).")
