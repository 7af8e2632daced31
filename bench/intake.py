"""Benchmark of the file intake: the full sandboxed check of large files against a floor.

Creates 5 noisy JPEGs and 5 noisy PNGs just under MAX_FILE_BYTES, then (in a fresh, small
measuring process, so that its own memory does not leak into the children's figures) times:

- check:   `check_paths` on each batch of 5 (one sandboxed worker per batch; what a reply costs
           to check), and `prepare_many` (check + re-encode + thumbnail + fsync) for reference;
- floor:   for the same files, reading them, SHA-256, and one full Pillow decode, in-process.

It prints the time per batch, the floor, their ratio (target: check within 3x of the floor), and
peak resident memory of the workers (RUSAGE_CHILDREN ru_maxrss; an upper bound, since Linux
counts the spawning process's own peak into a vfork'ed child) and of the measuring process.

Documents (the flattening path): a 20 MB scanned 10-page PDF (a JPEG per page) and a 50-page
text PDF, each in its own measuring process: `check_paths` (render + rebuild), `prepare_many`
(the same plus the OCR text layer when Tesseract is installed), next to the floor (SHA-256 plus
one PDFium render of every page at the same resolution, in-process), with the worker's peak
memory and the size of the stored (flattened) file.

--load: 20 patients (20 processes, as 20 app sessions) each attach 5 large files at once, one
check per file as the patient screen does; prints the time to the last verdict, how many were
refused (none may be refused for want of resources), the most workers seen at once (the bound)
and the peak memory of all workers together (sampled from /proc).

Run: python bench/intake.py [--keep DIR] [--load]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui_app.core.limits import MAX_FILE_BYTES  # noqa: E402  (after the path is set)

N = 5
TARGET = int(MAX_FILE_BYTES * 0.98)


def noise(w: int, h: int):  # type: ignore[no-untyped-def]
    """An RGB image of random pixels."""
    from PIL import Image

    return Image.frombytes("RGB", (w, h), os.urandom(w * h * 3))


def make_jpeg(path: Path) -> None:
    """A noisy JPEG at quality 95, just under the size limit."""
    probe = io.BytesIO()
    noise(512, 512).save(probe, "JPEG", quality=95)
    per_px = len(probe.getvalue()) / (512 * 512)
    side = int((TARGET / per_px) ** 0.5)
    while True:
        out = io.BytesIO()
        noise(side, side).save(out, "JPEG", quality=95)
        if len(out.getvalue()) <= MAX_FILE_BYTES:
            break
        side = int(side * 0.99)
    path.write_bytes(out.getvalue())


def make_png(path: Path) -> None:
    """A noisy RGB PNG just under the size limit."""
    side = int((TARGET / 3.01) ** 0.5)
    out = io.BytesIO()
    noise(side, side).save(out, "PNG", compress_level=1)
    assert len(out.getvalue()) <= MAX_FILE_BYTES
    path.write_bytes(out.getvalue())


def floor(paths: list[Path]) -> float:
    """Seconds to read, hash and fully decode each file once, in this process."""
    from PIL import Image

    t = time.perf_counter()
    for p in paths:
        data = p.read_bytes()
        hashlib.sha256(data).hexdigest()
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    return time.perf_counter() - t


def measure(folder: Path) -> None:
    """Time the sandboxed check against the floor and print the figures."""
    from tui_app.intake import check_paths, prepare_many

    batches = {kind: sorted(folder.glob(f"*.{kind}")) for kind in ("jpg", "png")}
    results: dict[str, dict[str, float]] = {}
    for kind, paths in batches.items():
        t = time.perf_counter()
        verdicts = check_paths(paths)
        check_s = time.perf_counter() - t
        assert all(v.accepted for v in verdicts), [v.reason for v in verdicts]
        t = time.perf_counter()
        prepared = prepare_many(paths, folder / "work")
        prepare_s = time.perf_counter() - t
        assert all(p.verdict.accepted for p in prepared)
        results[kind] = {
            "check": check_s,
            "prepare": prepare_s,
            "mb": sum(p.stat().st_size for p in paths) / 2**20,
        }
    for kind, paths in batches.items():
        results[kind]["floor"] = floor(paths)
    print(f"{'batch':<12}{'MB':>7}{'check':>9}{'floor':>9}{'ratio':>7}{'prepare':>9}{'ratio':>7}")
    for kind, r in results.items():
        print(
            f"{N} x {kind:<8}{r['mb']:>7.1f}{r['check']:>8.2f}s{r['floor']:>8.2f}s"
            f"{r['check'] / r['floor']:>6.1f}x{r['prepare']:>8.2f}s"
            f"{r['prepare'] / r['floor']:>6.1f}x"
        )
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: workers {children:.0f} MiB (upper bound), measuring process {own:.0f} MiB")
    print("target: check within 3x of the floor (SHA-256 + one full Pillow decode)")


def make_scanned_pdf(path: Path, pages: int = 10) -> None:
    """A scanned document: one 300 dpi A4 JPEG per page (noisy paper), just under the limit."""
    import pikepdf
    from PIL import Image

    from tui_app.intake.flatten import PageImage, add_image_page

    w, h = 2480, 3508
    per_page = TARGET // pages - 4096
    pdf = pikepdf.new()
    for _ in range(pages):
        small = noise(w // 8, h // 8)
        im = small.resize((w, h), Image.Resampling.BILINEAR)
        for q in range(97, 20, -3):
            out = io.BytesIO()
            im.save(out, "JPEG", quality=q)
            if out.tell() <= per_page:
                break
        add_image_page(
            pdf, PageImage(out.getvalue(), w, h, "/DeviceRGB", "/DCTDecode"), 595.28, 841.89
        )
    pdf.save(path)
    assert path.stat().st_size <= MAX_FILE_BYTES


def make_text_pdf(path: Path, pages: int = 50) -> None:
    """A 50-page letter-like text document (10 pt Helvetica, 55 lines a page)."""
    import random

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    words = (
        "remiss patient hudutslag underarm behandling kortison provsvar läkare mottagning "
        "svullnad handled morgonstelhet blodprov sänka journal besök"
    ).split()
    rnd = random.Random(1177)
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        c.setFont("Helvetica", 10)
        for line in range(55):
            c.drawString(56, 800 - 14 * line, " ".join(rnd.choice(words) for _ in range(12)))
        c.showPage()
    c.save()


def pdf_floor(path: Path) -> float:
    """Seconds to read, hash and render every page once with PDFium at the stored resolution."""
    import pypdfium2 as pdfium

    from tui_app.intake.flatten import page_scale

    t = time.perf_counter()
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    doc = pdfium.PdfDocument(data)
    for i in range(len(doc)):
        page = doc[i]
        page.render(scale=page_scale(*page.get_size())).to_pil()
        page.close()
    doc.close()
    return time.perf_counter() - t


def measure_pdf(path: Path) -> None:
    """One document through the sandbox: check, prepare, floor, peak memory; one line."""
    from tui_app.intake import check_path, prepare
    from tui_app.intake.ocr import tesseract

    t = time.perf_counter()
    v = check_path(path)
    check_s = time.perf_counter() - t
    assert v.accepted, v.reason
    peak_check = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    t = time.perf_counter()
    r = prepare(path, path.parent / "work")
    prepare_s = time.perf_counter() - t
    assert r.verdict.accepted and r.stored_path is not None, r.verdict.reason
    stored_mb = r.stored_path.stat().st_size / 2**20
    fl = pdf_floor(path)
    ocr = "med OCR" if tesseract() else "utan OCR (tesseract saknas)"
    print(
        f"{path.name:<14}{path.stat().st_size / 2**20:>6.1f}{v.pages:>6}{check_s:>8.2f}s"
        f"{fl:>8.2f}s{check_s / fl:>6.1f}x{prepare_s:>8.2f}s{stored_mb:>8.1f}"
        f"{peak_check:>8.0f}  prepare {ocr}"
    )


def load(folder: Path, patients: int = 20, per_patient: int = N) -> None:
    """20 app processes, each checking 5 large files at once; prints the figures."""
    files = [
        folder / "noise0.jpg",
        folder / "noise1.jpg",
        folder / "noise0.png",
        folder / "scan10.pdf",
        folder / "text50.pdf",
    ][:per_patient]
    slots = folder / "slots"
    t = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--patient", str(folder), str(i)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(patients)
    ]
    pids = {p.pid for p in procs}
    peak_rss = peak_workers = 0
    while any(p.poll() is None for p in procs):
        rss, workers = _workers_of(pids)
        peak_rss, peak_workers = max(peak_rss, rss), max(peak_workers, workers)
        time.sleep(0.1)
    total = time.perf_counter() - t
    lines = [ln for p in procs for ln in (p.stdout.read().splitlines() if p.stdout else [])]
    refused = [ln for ln in lines if not ln.startswith("OK")]
    last = max(float(ln.split()[1]) for ln in lines) if lines else 0.0
    from tui_app.intake.slots import default_bound

    print(
        f"load: {patients} patients x {len(files)} files = {len(lines)} checks "
        f"(bound {default_bound()} workers, slots in {slots})"
    )
    print(
        f"  last verdict after {last:.1f}s (all processes done {total:.1f}s); "
        f"refused {len(refused)}; most workers at once {peak_workers}; "
        f"peak memory of the workers together {peak_rss / 2**20:.0f} MiB"
    )
    for ln in refused[:5]:
        print("  refused:", ln)


def _workers_of(parents: set[int]) -> tuple[int, int]:
    """Resident bytes and count of intake worker processes whose parent is in parents."""
    rss = count = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        fields = dict(ln.split(":", 1) for ln in status.splitlines() if ":" in ln)
        if int(fields.get("PPid", "0").strip()) in parents:
            try:
                cmd = (d / "cmdline").read_bytes()
            except OSError:
                continue
            if b"tui_app.intake.worker" in cmd:
                count += 1
                rss += int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    return rss, count


def patient(folder: Path, index: int) -> None:
    """One app process: 5 files picked at once, each checked on its own thread (as the UI does)."""
    import threading

    from tui_app.intake import prepare
    from tui_app.intake.sandbox import SandboxConfig

    files = [
        folder / "noise0.jpg",
        folder / "noise1.jpg",
        folder / "noise0.png",
        folder / "scan10.pdf",
        folder / "text50.pdf",
    ]
    start = time.perf_counter()
    out: list[str] = []
    config = SandboxConfig(slots_dir=folder / "slots")

    def one(p: Path, i: int) -> None:
        r = prepare(p, folder / "work" / f"p{index}-{i}", config)
        took = time.perf_counter() - start
        out.append(
            f"{'OK' if r.verdict.accepted else 'NEJ'} {took:.2f} {p.name} {r.verdict.reason or ''}"
        )

    threads = [threading.Thread(target=one, args=(p, i)) for i, p in enumerate(files)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print("\n".join(out), flush=True)


def main() -> int:
    """Create the files, then measure in a fresh process."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keep", type=Path, help="create the files here and keep them")
    p.add_argument("--load", action="store_true", help="also 20 patients x 5 files at once")
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--measure-pdf", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--patient", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        measure(args.measure)
        return 0
    if args.measure_pdf:
        measure_pdf(args.measure_pdf)
        return 0
    if args.patient:
        patient(Path(args.patient[0]), int(args.patient[1]))
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="intake-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    for i in range(N):
        make_jpeg(folder / f"noise{i}.jpg")
        make_png(folder / f"noise{i}.png")
    make_scanned_pdf(folder / "scan10.pdf")
    make_text_pdf(folder / "text50.pdf")
    print(f"created {2 * N + 2} files in {folder} in {time.perf_counter() - t:.1f}s")
    try:
        code = subprocess.call([sys.executable, __file__, "--measure", str(folder)])
        print(
            f"\n{'document':<14}{'MB':>6}{'pages':>6}{'check':>9}{'floor':>9}{'ratio':>7}"
            f"{'prepare':>9}{'stored':>8}{'peak':>8}"
        )
        print(f"{'':<14}{'':>6}{'':>6}{'':>9}{'':>9}{'':>7}{'':>9}{'MB':>8}{'MiB':>8}")
        for doc in ("scan10.pdf", "text50.pdf"):
            code |= subprocess.call([sys.executable, __file__, "--measure-pdf", str(folder / doc)])
        print(
            "floor for documents: SHA-256 + one PDFium render of every page at the stored "
            "resolution"
        )
        if args.load:
            load(folder)
        return code
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
