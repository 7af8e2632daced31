"""The verbs on the stored records: `sweep` (cron), `load`, `leftovers` (R21), `audit` (R24).

Each takes the parsed arguments and the validated settings, builds its context through the
bootstrap (commands.where), calls the services and prints what they returned.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tui_app.commands.where import command_context

if TYPE_CHECKING:
    from tui_app.config import Settings
    from tui_app.services.context import Context


def sweep(args: argparse.Namespace, settings: Settings) -> int:
    """Close expired cases, remove those past retention, tidy up, settle crashed sends."""
    from tui_app.services.files import collect_garbage
    from tui_app.services.pending import resolve_pending
    from tui_app.services.storeid import StoreMismatch, check_store
    from tui_app.services.sweep import close_expired, remove_expired

    ctx = command_context(args, settings)
    try:
        check_store(ctx)  # before anything: a sweep on the wrong database deletes nothing
    except StoreMismatch as exc:
        print(f"tui-app: {exc.message} Inget raderades.", file=sys.stderr)
        return 1
    r = close_expired(ctx)
    print(f"Avslutade automatiskt: {r.closed_auto}; avslutade efter svar: {r.closed_answered}")
    g = remove_expired(ctx)
    print(f"Gallrade ärenden (äldre än 2 år): {g.removed_cases}; filer: {g.removed_files}")
    for line in g.still_downloaded:
        print(f"  Nedladdad kopia fanns kvar: {line}")
    gc_report = collect_garbage(ctx, walk=bool(getattr(args, "full", False)))
    print(f"Städade rester efter avbrutna uppladdningar: {gc_report.removed}")
    if gc_report.walked and not gc_report.unknown:
        print("  Alla lagrade filer gicks igenom: databasen känner till varje fil.")
    if gc_report.unknown:
        print(
            f"  {gc_report.unknown} lagrade filer som databasen inte känner till lämnades "
            "kvar (raderas aldrig automatiskt)."
        )
    settled = resolve_pending(ctx)  # sends a crash left half-way
    print(f"Avbrutna överföringar som följdes upp: {len(settled)}", *settled, sep="\n  ")
    return 0


def load(args: argparse.Namespace, settings: Settings) -> int:
    """Read units, staff and patients from a JSON file."""
    from tui_app.services.seed import load_file, require_loader

    ctx = command_context(args, settings)
    require_loader(ctx)
    counts = load_file(ctx, args.file)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


def leftovers(args: argparse.Namespace, settings: Settings) -> int:
    """`tui-app leftovers [--delete] [--dir MAPP]...`"""
    return run_leftovers(command_context(args, settings), args.dir, args.delete)


def run_leftovers(
    ctx: Context, dirs: list[Path] | None, delete: bool, out: TextIO | None = None
) -> int:
    """List (and with `delete` remove) copies of patient files; status 1 when any are left."""
    from tui_app.services import leftovers as service
    from tui_app.services.identity import os_login  # re-exported there; tests patch it there

    out = out or sys.stdout
    found = service.find(ctx, dirs)
    for item in found:
        print(f"{item.where}: {item.path}", file=out)
    if not found:
        print("Inga kopior av patientfiler hittades.", file=out)
        return 0
    if not delete:
        print(f"{len(found)} kopior finns kvar. Kör med --delete för att radera dem.", file=out)
        return 1
    removed = service.remove(ctx, found, os_login())
    print(f"Raderade {removed} kopior.", file=out)
    return 0


def audit(args: argparse.Namespace, settings: Settings) -> int:
    """`tui-app audit verify` and `tui-app audit export --patient PNR [--output FILE]`."""
    return run_audit(command_context(args, settings), args)


def run_audit(ctx: Context, args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The audit verbs on a context (tests call this with their own)."""
    out = out or sys.stdout
    if args.audit_command == "verify":
        return _verify(ctx, out, full=bool(getattr(args, "full", False)))
    from tui_app.core.clock import fmt_datetime
    from tui_app.services import auditlog
    from tui_app.services.identity import os_login  # re-exported there; tests patch it there

    login = os_login()
    rows = auditlog.extract_for(ctx, login, args.patient)
    target = args.output.open("w", newline="", encoding="utf-8") if args.output else out
    w = csv.writer(target, delimiter=";")
    w.writerow(["tid", "enhet", "vem", "åtgärd", "utfall", "ärende"])
    for r in rows:
        w.writerow([fmt_datetime(r.at), r.unit_code, r.actor, r.action, r.outcome, r.case_id or ""])
    if args.output:
        target.close()
        print(f"Loggutdrag med {len(rows)} poster skrivet till {Path(args.output)}.", file=out)
    auditlog.record_extract(ctx, login, args.patient, len(rows))
    return 0


def _verify(ctx: Context, out: TextIO, *, full: bool = False) -> int:
    """`tui-app audit verify [--full]`: the verdict, the head to keep elsewhere, what was
    checked, and the checkpoints."""
    from tui_app.services import audit as audit_log

    r = audit_log.verify(ctx, full=full)
    if not r.ok:
        where = f" vid post {r.broken_at}" if r.broken_at is not None else ""
        print(f"Loggkedjan är BRUTEN{where}: {r.problem}.", file=out)
        return 1
    print(f"Loggkedjan är obruten: {r.entries} poster.", file=out)
    print(f"Huvud: post {r.head_seq}, hash {r.head_hash}", file=out)
    print(f"Kontrollerat: {r.scope}.", file=out)
    print(f"Kontrollpunkter: {r.anchor}.", file=out)
    print(
        "Spara raden Huvud någon annanstans: en senare kontroll ska visa samma post och hash "
        "eller en längre logg.",
        file=out,
    )
    return 0
