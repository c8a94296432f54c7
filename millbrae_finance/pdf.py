"""PDF rendering: a print template, print CSS from static/, WeasyPrint.

Nothing is fetched from the network: stylesheets and images resolve through Django's
static files finders to files on disk, so a PDF renders the same on a LAN with no internet.
"""

import io
import multiprocessing
import ssl
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

STATIC_PREFIX = "/static/"
# WeasyPrint's fetcher builds an HTTPS handler, which without a context makes a default
# one and reads the system's certificate store: about 0.1 s of every PDF, for a protocol
# this fetcher refuses anyway. One bare context, made once, is never used to connect.
_UNUSED_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class StaticFilesFetcher(URLFetcher):
    """Serve /static/ URLs from disk and data: URLs inline; refuse everything else."""

    def __init__(self) -> None:
        super().__init__(
            allowed_protocols={"file", "data"}, fail_on_errors=True, ssl_context=_UNUSED_TLS
        )

    def fetch(self, url: str, headers: dict | None = None):
        if url.startswith("file://"):
            path = url.removeprefix("file://")
            found = (
                finders.find(path.removeprefix(STATIC_PREFIX))
                if path.startswith(STATIC_PREFIX)
                else None
            )
            if not found:
                raise ValueError(f"PDF rendering found no static file for {url!r}.")
            url = Path(found).as_uri()
        return super().fetch(url, headers)


class _Renderer(threading.local):
    """What every PDF a thread lays out shares, made once per thread: WeasyPrint's font
    configuration (Fontconfig's set-up and Pango's font map, whose caches of faces and
    glyphs stay warm) and the parsed stylesheets (a stylesheet parsed and its selectors
    compiled once, not once a document). Threads do not share them: Pango's objects are
    not for two threads at once."""

    def __init__(self) -> None:
        self.fetcher = StaticFilesFetcher()
        self.font_config = FontConfiguration()
        self.sheets: dict[tuple[str, str], CSS] = {}

    def stylesheet(self, kind: str, source: str) -> CSS:
        sheet = self.sheets.get((kind, source))
        if sheet is None:
            if len(self.sheets) > 64:  # a few per template: never more than a handful
                self.sheets.clear()
            options = {"url": source} if kind == "link" else {"string": source}
            sheet = CSS(
                **options, base_url="/", url_fetcher=self.fetcher, font_config=self.font_config
            )
            self.sheets[(kind, source)] = sheet
        return sheet

    def document_sheets(self, html: HTML) -> tuple[list[CSS], list[CSS]]:
        """Take the document's <link rel=stylesheet> and <style> sheets out of its tree
        and give them back parsed (from the cache), its own user-agent sheets apart:
        WeasyPrint would parse them again for every document. The others are given to it
        in their order as the document's only sheets besides the user agent's (the
        user's origin, which like the author's comes after the user agent's), so the
        cascade is the same."""
        sheets: list[CSS] = []
        user_agent: list[CSS] = []
        for parent in html.etree_element.iter():
            for child in list(parent):
                if child.tag == "link":
                    if "stylesheet" not in child.get("rel", "").lower().split():
                        continue
                    href = child.get("href")
                    sheet = self.stylesheet("link", "file://" + href) if href else None
                elif child.tag == "style":
                    sheet = self.stylesheet("style", child.text or "")
                else:
                    continue
                parent.remove(child)
                if sheet is None or child.get("media", "all") not in ("all", "print"):
                    continue
                if child.get("data-origin") == "user-agent":
                    user_agent.append(sheet)
                else:
                    sheets.append(sheet)
        return sheets, user_agent

    def render(self, html: str) -> Document:
        source = _PrintHTML(string=html, base_url="/", url_fetcher=self.fetcher)
        sheets, user_agent = self.document_sheets(source)
        if user_agent and _PrintHTML.can_replace_user_agent:
            source.user_agent = user_agent
        return source.render(font_config=self.font_config, stylesheets=sheets)


class _PrintHTML(HTML):
    """An HTML document whose template may bring its own user-agent stylesheet (see
    static/css/print_ua.css) in place of WeasyPrint's full one. This overrides
    `HTML._ua_stylesheets`, a private hook of WeasyPrint 70 (pinned in requirements);
    should a later WeasyPrint not have it, the document keeps WeasyPrint's own sheet
    (slower, laid out the same)."""

    can_replace_user_agent = callable(getattr(HTML, "_ua_stylesheets", None))
    user_agent: list[CSS] | None = None

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if self.user_agent is None:
            return super()._ua_stylesheets(forms)
        return self.user_agent


_renderer = _Renderer()


def render_pdf(
    template_name: str, context: dict[str, Any], request: HttpRequest | None = None
) -> bytes:
    """Render a Django template to PDF bytes."""
    return _renderer.render(render_to_string(template_name, context, request=request)).write_pdf()


def html_to_pdf(html: str) -> tuple[bytes, int]:
    """Lay out an HTML document already rendered from its template: the PDF's bytes and
    its page count. Needs no database, so it runs in a process of the PDF pool."""
    document = _renderer.render(html)
    return document.write_pdf(), len(document.pages)


def _start_pdf_process() -> None:
    # A spawned process starts bare: the settings (from DJANGO_SETTINGS_MODULE, inherited)
    # and the apps are set up for the static files finders the fetcher uses.
    import django

    django.setup()


def pdf_process_pool(processes: int) -> ProcessPoolExecutor:
    """Processes that lay out PDFs with `html_to_pdf`, one per core given: WeasyPrint's
    layout is pure Python and holds the GIL, so threads would take turns on one core.
    Spawned, not forked: a worker's process holds database connections and threads that
    a fork would copy half-way."""
    return ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_pdf_process,
    )


def join_pdfs(parts: Iterable[bytes]) -> bytes:
    """One PDF of these PDFs' pages, in order (a batch rendered a slice at a time)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_response(
    template_name: str,
    context: dict[str, Any],
    *,
    filename: str,
    request: HttpRequest | None = None,
    inline: bool = True,
) -> HttpResponse:
    """An HTTP response carrying the rendered PDF, shown in the browser or downloaded."""
    response = HttpResponse(
        render_pdf(template_name, context, request), content_type="application/pdf"
    )
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@dataclass(frozen=True)
class PdfDocument:
    """A PDF as an app's documents module describes it: the print template, what it shows
    (the template's context, built there and not in a view), and the file it saves as."""

    template: str
    context: dict[str, Any]
    filename: str

    def response(self, request: HttpRequest | None = None, *, inline: bool = True) -> HttpResponse:
        return pdf_response(
            self.template, self.context, filename=self.filename, request=request, inline=inline
        )
