"""The classroom's HTML pages (trainee, room full, trainer, projector view): plain strings,
every value from outside escaped."""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from tui_app.classroom.exercise import STEPS

FULL_TEXT = (
    "Rummet är fullt: {cap} elever kör redan var sin demo. Vänta tills någon stänger sin "
    "flik och ladda sedan om sidan, eller be läraren höja gränsen (--max-demos)."
)


def page(body: str, status: int = 200) -> web.Response:
    """An HTML response."""
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


_HEAD = """<!DOCTYPE html>
<html lang="sv"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ background: #0c181f; color: #eee; font-family: sans-serif; margin: 1em; }}
a {{ color: #9cf; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #456; padding: 0.2em 0.5em; text-align: center; }}
td.name {{ text-align: left; }}
.box {{ max-width: 44em; margin: 4em auto; padding: 1.5em; background: #12232d; }}
</style>{extra}</head><body>"""

_TERMINAL_CSS = """<link rel="stylesheet" href="/static/css/xterm.css">
<style>
body { margin: 0; }
.textual-terminal { width: 100vw; height: 100vh; opacity: 0; }
body.-first-byte .textual-terminal { opacity: 1; }
.ended { display: none; }
body.-closed .ended { display: flex; position: absolute; inset: 0; z-index: 10;
  align-items: center; justify-content: center; background: rgba(12,24,31,0.92); }
.loading { position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; }
body.-first-byte .loading { display: none; }
</style>
<script src="/static/js/textual.js"></script>"""


def trainee_html(ws: str, font_size: int) -> str:
    """A trainee's page: the terminal of a fresh demo."""
    return (
        _HEAD.format(title="Övning – Skicka in filer via 1177", extra=_TERMINAL_CSS)
        + '<div class="loading">Din egen demo startar …</div>'
        + '<div class="ended"><div class="box"><p>Demon är avslutad och dess data är '
        'borttagen.</p><p><a href="/">Starta en ny demo</a></p></div></div>'
        + f'<div id="terminal" class="textual-terminal" data-session-websocket-url="{ws_url(ws)}"'
        + f' data-font-size="{font_size}"></div>'
        + _ABSOLUTE_WS
        + "</body></html>"
    )


def ws_url(path: str) -> str:
    """A websocket path for a data attribute."""
    return html.escape(path, quote=True)


#: textual.js opens the websocket address as given: make it absolute from the page's own
#: address (whatever host name the trainees used to reach the server).
_ABSOLUTE_WS = """<script>
const term = document.getElementById("terminal");
term.dataset.sessionWebsocketUrl =
  (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
  term.dataset.sessionWebsocketUrl;
</script>"""


def full_html(cap: int) -> str:
    """The page the next trainee gets when the room is full."""
    return (
        _HEAD.format(title="Rummet är fullt", extra='<meta http-equiv="refresh" content="15">')
        + f'<div class="box"><h1>Rummet är fullt</h1><p>{html.escape(FULL_TEXT.format(cap=cap))}'
        + "</p><p>Sidan försöker igen var 15:e sekund.</p></div></body></html>"
    )


def message_html(title: str, text: str, token: str) -> str:
    """A short message for the trainer, with the way back."""
    return (
        _HEAD.format(title=html.escape(title), extra="")
        + f'<div class="box"><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>'
        + f'<p><a href="/trainer/{token}">Tillbaka till lärarsidan</a></p></div></body></html>'
    )


def trainer_html(
    token: str, rows: list[dict[str, Any]], offset_seconds: float, *, cap: int, note: str
) -> str:
    """The trainer's page: the progress table, the shared clock, the views."""
    days = offset_seconds / 86400
    head = "".join(
        f'<th title="{html.escape(text)}">{n}</th>' for n, (_, text) in enumerate(STEPS, 1)
    )
    body = []
    for r in rows:
        ticks = "".join(f"<td>{'✓' if r['steps'][key] else '○'}</td>" for key, _ in STEPS)
        body.append(
            f'<tr><td class="name">{html.escape(str(r["label"]))}</td>'
            f'<td class="name">{html.escape(str(r["signed_in"]) or "–")}</td>'
            f"<td>{r['done']}/{r['total']}</td>{ticks}"
            f'<td><a href="/trainer/{token}/view/{r["id"]}" target="_blank">Visa skärm</a></td></tr>'
        )
    legend = "".join(f"<li>{html.escape(text)}</li>" for _, text in STEPS)
    return (
        _HEAD.format(title="Lärarsidan", extra='<meta http-equiv="refresh" content="5">')
        + "<h1>Lärarsidan – Skicka in filer via 1177</h1>"
        + ("<p><b>Klockan flyttad framåt.</b></p>" if note == "klocka" else "")
        + f"<p>Demor igång: {len(rows)} av högst {cap}. Gemensam klocka: +{days:g} dagar.</p>"
        + f'<form method="post" action="/trainer/{token}/clock">'
        + '<input type="hidden" name="steg" value="+1 dag">'
        + '<button type="submit" id="plus-one-day">+1 dag för alla</button></form>'
        + f'<form method="post" action="/trainer/{token}/clock">'
        + '<input name="steg" value="+3 timmar" size="10"> '
        + '<button type="submit">Flytta allas klocka</button></form>'
        + '<p><a href="/?namn=L%C3%A4rare" target="_blank">Öppna en egen demo (för projektorn)'
        + "</a></p>"
        + f'<table id="progress"><tr><th>Elev</th><th>Inloggad som</th><th>Klart</th>{head}'
        + "<th>Skärm</th></tr>"
        + "".join(body)
        + "</table>"
        + ("<p>Ingen elev har öppnat sidan än.</p>" if not rows else "")
        + f"<h2>Stegen</h2><ol>{legend}</ol></body></html>"
    )


def viewer_html(ws: str, label: str, size: tuple[int, int], font_size: int) -> str:
    """The projector's read-only view of one trainee's screen."""
    width, height = size
    # A read-only copy: the terminal keeps the trainee's size (never the viewer's window),
    # and nothing typed here is sent anywhere (the server drops it too).
    fix = f"""<script>
Object.defineProperty(Object.prototype, "websocket_url", {{
  configurable: true,
  set(value) {{
    Object.defineProperty(this, "websocket_url", {{value, writable: true, configurable: true}});
    const self = this;
    this.fit = function () {{ if (self.terminal) self.terminal.resize({width}, {height}); }};
  }},
}});
</script>"""
    return (
        _HEAD.format(title=f"Skärm: {html.escape(label)}", extra=fix + _TERMINAL_CSS)
        + f'<div class="loading">Visar {html.escape(label)}s skärm (bara visning) …</div>'
        + '<div class="ended"><div class="box"><p>Eleven har stängt sin flik.</p></div></div>'
        + f'<div id="terminal" class="textual-terminal" data-session-websocket-url="{ws_url(ws)}"'
        + f' data-font-size="{font_size}"></div>'
        + _ABSOLUTE_WS
        + "</body></html>"
    )


def terminal_text(text: str) -> bytes:
    """A message drawn on the trainee's terminal (wrapped at 70 columns)."""
    import textwrap

    lines = textwrap.wrap(text, 70)
    return ("\x1b[2J\x1b[H\r\n" + "".join(f"  {line}\r\n" for line in lines)).encode("utf-8")
