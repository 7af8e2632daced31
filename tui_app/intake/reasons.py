"""Every refusal reason the intake gives, in plain Swedish: what is wrong and what to do."""

from __future__ import annotations

from tui_app.core.limits import (
    MAX_FILE_BYTES,
    MAX_PDF_PAGES,
    MAX_PIXELS_PER_FRAME,
    MAX_TOTAL_PIXELS,
)

_MB = MAX_FILE_BYTES // (1024 * 1024)
ALLOWED_WORDS = "PDF, GIF, JPEG eller PNG"

NOT_FOUND = "Filen finns inte. Kontrollera namnet och välj filen igen."
NOT_A_FILE = "Det valda är inte en vanlig fil (t.ex. en mapp). Välj en bild eller ett dokument."
UNREADABLE = (
    "Filen gick inte att läsa. Kontrollera att den inte är öppen eller låst och försök igen."
)
NO_PERMISSION = (
    "Filen kan inte läsas eftersom du saknar behörighet att läsa den (filens "
    "rättigheter). Spara en kopia som du själv äger, t.ex. på skrivbordet, och välj "
    "den i stället."
)
EMPTY = "Filen är tom (0 byte). Välj filen på nytt och försök igen."
TOO_BIG = (
    f"Filen är större än {_MB} MB. Förminska bilden eller dela upp dokumentet och försök igen."
)
DAMAGED = (
    "Filen är skadad och kan inte öppnas. Spara eller exportera filen på nytt och försök igen."
)
UNKNOWN = (
    f"Filen är inte en bild eller ett dokument i formatet {ALLOWED_WORDS}. "
    "Spara den i något av de formaten och försök igen."
)
UNSURE = (
    "Filens innehåll stämmer inte med formatet {fmt}, så den kan inte tas emot. "
    "Spara filen på nytt och försök igen."
)
SANDBOX = (
    "Filen kunde inte kontrolleras: kontrollen avbröts, t.ex. för att den tog för lång tid "
    "eller krävde för mycket minne. Spara filen på nytt, gärna mindre, i formatet "
    f"{ALLOWED_WORDS} och försök igen."
)
PDF_JUNK_BEFORE = (
    "PDF-filen har okänd data före dokumentets början och kan inte tas emot. "
    "Spara eller skriv ut dokumentet som en ny PDF och försök igen."
)
ENCRYPTED = (
    "Filen är lösenordsskyddad eller låst (krypterad) och kan inte öppnas av vården. "
    "Spara en kopia utan lösenord eller skydd och försök igen."
)
PDF_NO_PAGES = "PDF-filen har inga sidor. Kontrollera dokumentet och försök igen."
PDF_TOO_MANY_PAGES = (
    f"PDF-filen har {{pages}} sidor. Högst {MAX_PDF_PAGES} sidor tas emot. "
    "Dela upp dokumentet i flera filer och försök igen."
)
PDF_JBIG2 = (
    "PDF-filen innehåller bilder komprimerade med JBIG2, som inte tas emot av "
    'säkerhetsskäl. Skriv ut dokumentet till en ny PDF ("Skriv ut som PDF") och försök igen.'
)
PDF_UNRENDERABLE = (
    "PDF-filen går inte att öppna och visa: den är skadad eller inte en riktig PDF. "
    "Öppna den på din dator; om det går, skriv ut den till en ny PDF "
    '("Skriv ut som PDF") och försök igen.'
)
PDF_UNSUPPORTED_SECURITY = (
    "PDF-filen är skyddad med en metod som inte kan öppnas här. Spara en "
    "kopia utan skydd och försök igen."
)
PDF_PAGE_UNRENDERABLE = (
    "Sidan {page} i PDF-filen går inte att visa, så dokumentet kan inte tas "
    'emot. Skriv ut dokumentet till en ny PDF ("Skriv ut som PDF") och '
    "försök igen."
)
PDF_TRUNCATED = (
    "PDF-filen är ofullständig (slutet av filen saknas), t.ex. för att den inte "
    "hann sparas eller laddas ner helt. Spara eller ladda ner dokumentet på nytt "
    "och försök igen."
)
PDF_ACTIVE = (
    "PDF-filen innehåller {what}, som inte tas emot av säkerhetsskäl. Skriv ut "
    'dokumentet till en ny PDF ("Skriv ut som PDF") och försök igen.'
)
HIDDEN = (
    "Filen innehåller {what} utöver själva {fmt}-innehållet och kan inte tas emot. "
    'Spara filen på nytt (t.ex. som en skärmbild eller med "Skriv ut som PDF") och försök igen.'
)
TRAILING = (
    "Filen har extra data efter slutet av {fmt}-innehållet och kan inte tas emot. "
    "Spara filen på nytt och försök igen."
)
PNG_LAYOUT = (
    "PNG-filen är felaktigt uppbyggd: {what}. Sådana filer kan visas olika i olika "
    "program och tas därför inte emot. Spara bilden på nytt (t.ex. som en skärmbild) "
    "och försök igen."
)
TOO_MANY_ANIMATION_FRAMES = (
    "Den rörliga bilden har för många bildrutor ({frames}). Högst {limit} "
    "bildrutor tas emot. Spara en enskild bild som JPEG eller PNG och "
    "försök igen."
)
TOO_MANY_PIXELS = (
    "Bilden är för stor: {w} × {h} bildpunkter. Högst "
    f"{MAX_PIXELS_PER_FRAME // 1_000_000} megapixel tas emot. "
    "Förminska bilden och försök igen."
)
TOO_MANY_FRAMES = (
    "Den rörliga bilden är för stor: {frames} bildrutor på {w} × {h} bildpunkter. "
    f"Högst {MAX_TOTAL_PIXELS // 1_000_000} megapixel sammanlagt tas emot. "
    "Spara en enskild bild som JPEG eller PNG och försök igen."
)

# What a hidden payload is called in HIDDEN / PDF_ACTIVE ("Filen innehåller ...").
WHAT_ZIP = "en dold ZIP-fil"
WHAT_PROGRAM = "ett dolt program"
WHAT_WEB = "dold webbkod (HTML eller skript)"
WHAT_PDF = "ett dolt PDF-dokument"
WHAT_JS = "JavaScript"
WHAT_LAUNCH = "kommandon som startar program"
WHAT_EMBEDDED = "bifogade filer"
WHAT_XFA = "ett XFA-formulär"
WHAT_MEDIA = "inbäddad media (video, ljud, 3D eller Flash)"
WHAT_SUBMIT = "formulär som skickar eller hämtar data"
WHAT_REMOTE = "länkar som öppnar andra filer"
WHAT_AUTO = "åtgärder som körs automatiskt"
WHAT_ACTION = 'otillåtna åtgärder ("{name}")'

# Refused formats by category: (sentence start, what to do).
_BY_CATEGORY: dict[str, str] = {
    "image": "Filen är i formatet {name}, som inte kan skickas. Spara bilden som JPEG och försök igen.",
    "document": (
        "Filen är i formatet {name}, som inte kan skickas. Spara dokumentet som PDF och "
        "försök igen."
    ),
    "web": (
        "Filen är en webbsida eller webbkod ({name}), som inte kan skickas. Spara innehållet "
        "som PDF och försök igen."
    ),
    "archive": (
        "Filen är ett komprimerat arkiv ({name}), som inte kan skickas. Packa upp det och "
        f"skicka filerna var för sig i formatet {ALLOWED_WORDS}."
    ),
    "program": (
        "Filen är ett program eller skript ({name}) och kan inte skickas. Skicka bara "
        f"bilder eller dokument i formatet {ALLOWED_WORDS}."
    ),
    "video": (
        "Filen är en video ({name}), som inte kan skickas. Ta en skärmbild av det som ska "
        "visas och skicka den som JPEG eller PNG."
    ),
    "audio": (
        "Filen är en ljudfil ({name}), som inte kan skickas. Skicka bara bilder eller "
        f"dokument i formatet {ALLOWED_WORDS}."
    ),
    "text": (
        "Filen är en textfil ({name}), som inte kan skickas. Spara texten som PDF och försök igen."
    ),
}


def for_format(category: str, name: str) -> str:
    """The refusal for a recognised but not allowed format."""
    template = _BY_CATEGORY.get(category)
    return template.format(name=name) if template else UNKNOWN


def hidden(what: str, fmt: str) -> str:
    """The refusal for a polyglot: a payload hidden in or after an allowed format."""
    return HIDDEN.format(what=what, fmt=fmt)
