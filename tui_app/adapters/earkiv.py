"""E-arkiv: a patient's document printed with a cover sheet, for the scanning routine (R14, R20).

Neither default talks to E-arkiv, and neither pretends to: the routine prints the document and the
scanning routine files it. A print job is one PDF: the cover sheet (coversheet.py), then every page
of the patient's PDF. `LpPrinter` sends it to a CUPS printer with `lp`; `FolderPrinter` writes it
into a folder (a print station's or the scanning team's). Marking a document as scanned is the
services layer's business. Print job titles hold the case number, never the personal identity
number, since anyone on the server can list the print queue.
"""

from __future__ import annotations

import io
import re
import secrets
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from tui_app.adapters._fs import Folder, check_folder, read_downloaded, write_atomic
from tui_app.adapters.coversheet import CoverSheet, cover_sheet_pdf
from tui_app.adapters.downloads import safe_stem
from tui_app.adapters.errors import AdapterError
from tui_app.adapters.handover import Parcel, discard_all, publish_all, stage_all
from tui_app.core.names import PRINTER_NAME

DEFAULT_DOCUMENT_TYPE = "Inskickat dokument från patient via 1177"
_PRINTER_NAME = PRINTER_NAME


@dataclass(frozen=True)
class PrintJob:
    """One document to print for E-arkiv, with what its cover sheet shows."""

    pnr12: str
    patient_name: str
    unit_name: str
    case_number: str
    document_type: str
    date: date
    source_pdf: Path
    sha256: str | None = None  # when given, the PDF must still hold exactly this


@dataclass(frozen=True)
class PrintResult:
    """Where a print job went and how many pages it has (cover sheet included)."""

    destination_sv: str  # "skrivaren X" or "mappen Y", for messages
    pages: int
    path: Path | None = None  # FolderPrinter: the PDF written
    job_id: str | None = None  # LpPrinter: the CUPS request id, if lp said it


class EArkivAdapter(Protocol):
    """Something that gets a document on its way into E-arkiv."""

    def submit(self, job: PrintJob) -> PrintResult:
        """Send the job (cover sheet + document); AdapterError in Swedish if it failed."""
        ...


def render_print_pdf(job: PrintJob) -> tuple[bytes, int]:
    """The job as one PDF (cover sheet first) and its total page count."""
    import pikepdf

    name = job.source_pdf.name
    data = _read_source(job)
    if b"%PDF-" not in data[:1024]:
        raise AdapterError(
            f"{name} är inte en PDF. Bara dokument (PDF) skrivs ut till E-arkiv; bilder sparas i Picsara."
        )
    try:
        with pikepdf.open(io.BytesIO(data)) as src:
            count = len(src.pages)
            if count == 0:
                raise AdapterError(f"Dokumentet {name} har inga sidor och kan inte skrivas ut.")
            sheet = CoverSheet(
                job.pnr12,
                job.patient_name,
                job.unit_name,
                job.case_number,
                job.document_type,
                job.date,
                count,
            )
            with pikepdf.open(io.BytesIO(cover_sheet_pdf(sheet))) as merged:
                merged.pages.extend(src.pages)
                out = io.BytesIO()
                merged.save(out)
    except pikepdf.PasswordError:
        raise AdapterError(
            f"Dokumentet {name} är lösenordsskyddat och kan inte skrivas ut av appen. "
            "Be patienten skicka det igen utan lösenord."
        ) from None
    except pikepdf.PdfError as exc:
        raise AdapterError(
            f"Dokumentet {name} är en skadad PDF och kan inte skrivas ut. "
            "Be patienten skicka det igen."
        ) from exc
    return out.getvalue(), 1 + count


def build_print_pdf(job: PrintJob, out: Path) -> int:
    """Write the job's PDF to `out` (never replacing a file) and return its page count."""
    data, pages = render_print_pdf(job)
    write_atomic(_folder(out.parent), out.name, [data], mode=0o600)
    return pages


def _read_source(job: PrintJob) -> bytes:
    return read_downloaded(
        job.source_pdf, job.sha256, noun="Dokumentet", it="det", not_done="skrevs inte ut"
    )


def _folder(path: Path) -> Folder:
    return Folder(path, "för utskrifter till E-arkiv", "earkiv_folder")


def _title(job: PrintJob) -> str:
    return f"E-arkiv ärende {job.case_number}"


class LpPrinter:
    """E-arkiv via a CUPS printer: `lp -d NAME -t TITLE FILE`, no shell."""

    def __init__(
        self,
        printer_name: str,
        *,
        lp: str = "lp",
        options: Sequence[str] = (),
        timeout: float = 120.0,
    ) -> None:
        if not _PRINTER_NAME.fullmatch(printer_name):
            raise AdapterError(
                f"Skrivarnamnet ”{printer_name}” är inte giltigt. Ändra earkiv_printer i inställningarna."
            )
        self.printer_name = printer_name
        self.lp = lp
        self.options = tuple(options)  # e.g. ("-o", "fit-to-page")
        self.timeout = timeout

    def submit(self, job: PrintJob, *, hold: bool = False) -> PrintResult:
        """Build the job's PDF in a private temp folder and hand it to lp.

        With `hold` the job waits in the queue (`lp -H hold`) until `resume(job_id)`: the
        services layer records the job id in between, so after a crash it knows which job to
        look for instead of printing a document twice or never.
        """
        data, pages = render_print_pdf(job)
        with tempfile.TemporaryDirectory(prefix="tui_app-print-") as tmp:  # mode 0700
            file = Path(tmp) / "e-arkiv.pdf"
            file.write_bytes(data)
            held = ["-H", "hold"] if hold else []
            proc = self._lp(
                ["-d", self.printer_name, "-t", _title(job), *self.options, *held, str(file)]
            )
        found = re.search(r"request id is (\S+)", proc.stdout)
        job_id = found.group(1) if found else None
        if hold and job_id is None:
            raise AdapterError(
                f"Skrivaren {self.printer_name} svarade inte med något jobb-id, så utskriften "
                "kan inte följas upp. Kontakta IT."
            )
        return PrintResult(f"skrivaren {self.printer_name}", pages, job_id=job_id)

    def resume(self, job_id: str) -> None:
        """Let a held job print (`lp -i ID -H resume`); AdapterError if lp refuses."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,160}", job_id):
            raise AdapterError(f"Jobb-id ”{job_id}” är inte giltigt.")
        self._lp(["-i", job_id, "-H", "resume"])

    def finished(self, job_id: str) -> bool:
        """Whether CUPS lists the job among its finished ones (`lpstat -W completed -o`)."""
        lpstat = str(Path(self.lp).with_name("lpstat")) if "/" in self.lp else "lpstat"
        try:
            proc = self._lp(["-W", "completed", "-o", self.printer_name], program=lpstat)
        except AdapterError:
            return False
        return any(line.split()[:1] == [job_id] for line in proc.stdout.splitlines())

    def _lp(
        self, args: list[str], *, program: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        name = self.printer_name
        argv = [program or self.lp, *args]
        try:
            proc = subprocess.run(
                argv, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except FileNotFoundError:
            raise AdapterError(
                f"Skrivaren {name} kunde inte nås: programmet lp finns inte på servern. "
                "Be IT installera CUPS (lp), eller ange earkiv_folder i inställningarna."
            ) from None
        except subprocess.TimeoutExpired:
            raise AdapterError(
                f"Skrivaren {name} kunde inte nås: lp svarade inte inom {self.timeout:.0f} "
                "sekunder. Se efter om dokumentet ändå kom ut innan du skriver ut igen."
            ) from None
        except OSError as exc:
            raise AdapterError(
                f"Skrivaren {name} kunde inte nås: lp gick inte att starta "
                f"({exc.strerror or exc}). Kontakta IT."
            ) from exc
        if proc.returncode != 0:
            said = (proc.stderr or proc.stdout).strip().splitlines()
            reason = said[-1] if said else f"lp avslutades med felkod {proc.returncode}"
            raise AdapterError(
                f"Skrivaren {name} kunde inte nås: {reason}. Kontrollera skrivarnamnet "
                "(earkiv_printer) och att skrivaren är igång, och försök igen."
            )
        return proc


class FolderPrinter:
    """E-arkiv via a folder: the job's PDF is written there, whole or not at all."""

    def __init__(self, out_dir: Path, *, file_mode: int = 0o640) -> None:
        self.folder = _folder(out_dir)
        self.file_mode = file_mode  # group-readable: whoever prints from the folder

    def submit(self, job: PrintJob) -> PrintResult:
        """Write `E-arkiv-arende-<case>-<date>-<hex>.pdf` into the folder."""
        parcel, pages = self.prepare(job)
        staged = stage_all(parcel)
        try:
            (path,) = publish_all(staged)
        except BaseException:
            discard_all(staged)
            raise
        return PrintResult(f"mappen {self.folder.path}", pages, path=path)

    def prepare(self, job: PrintJob) -> tuple[Parcel, int]:
        """The job's PDF and its file name, not yet written (see handover.py); and its pages."""
        check_folder(self.folder)
        data, pages = render_print_pdf(job)
        name = (
            f"E-arkiv-arende-{safe_stem(job.case_number)}-{job.date.isoformat()}-"
            f"{secrets.token_hex(4)}.pdf"
        )
        return Parcel(self.folder, ((name, data),), self.file_mode), pages


def make_earkiv_adapter(printer: str | None, folder: Path | None) -> EArkivAdapter:
    """The printer when one is set, else the folder; AdapterError when neither is set."""
    if printer and printer.strip():
        return LpPrinter(printer.strip())
    if folder is not None:
        return FolderPrinter(folder)
    raise AdapterError(
        "Utskrift till E-arkiv är inte inställd. Ange earkiv_printer (en skrivare) eller "
        "earkiv_folder (en mapp) i inställningarna."
    )
