"""PDF rendering: a print template, print CSS from static/, WeasyPrint.

Nothing is fetched from the network: stylesheets and images resolve through Django's
static files finders to files on disk, so a PDF renders the same on a LAN with no internet.
"""

import io
import multiprocessing
import re
import ssl
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydyf
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
        self.frames: dict[str, _Frame] = {}

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

    def frame(self, html: str) -> "_Frame":
        """The frame this HTML lays out (its first page), laid out once per thread."""
        frame = self.frames.get(html)
        if frame is None:
            if len(self.frames) > 8:
                self.frames.clear()
            frame = self.frames[html] = _Frame(self.render(html).write_pdf(pdf_version="1.4"))
        return frame


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


# The CSS page name (`page: framed`) of the pages drawn over a frame.
FRAMED_PAGE = "framed"


class _RawObject(pydyf.Object):
    """An object copied as it is from another PDF (its references renumbered)."""

    def __init__(self, body: bytes = b"") -> None:
        super().__init__()
        self.body = body

    @property
    def data(self) -> bytes:
        return self.body

    @property
    def compressible(self) -> bool:
        return not self.body.startswith(b"<<") or _STREAM not in self.body


class _Frame:
    """What every page of a kind of document shows the same (a form's headings, labels,
    rules, boxes and fixed text), laid out once and drawn under each page named
    FRAMED_PAGE as one Form XObject: WeasyPrint lays out and draws only what differs
    from page to page. A print file of thousands of bills shares one frame.

    The frame's PDF (PDF 1.4, classic cross-reference table) is kept as its objects;
    a document's finisher copies them in, renumbered, the frame's first page's content
    stream made the form (with that page's resources), and puts a call of the form before
    each framed page's own content."""

    def __init__(self, pdf: bytes) -> None:
        objects, root = _objects(pdf)
        tree = int(re.search(rb"/Pages (\d+) 0 R", objects[root]).group(1))
        page = int(re.search(rb"/Kids \[(\d+) 0 R", objects[tree]).group(1))
        head = objects[page]
        self.contents = int(re.search(rb"/Contents (\d+) 0 R", head).group(1))
        self.resources = int(re.search(rb"/Resources (\d+) 0 R", head).group(1))
        self.box = re.search(rb"/MediaBox \[([^\]]*)\]", head).group(1)
        self.objects = {n: body for n, body in objects.items() if n not in (root, tree, page)}

    def apply(self, document: Document, pdf: pydyf.PDF) -> None:
        framed = [
            number
            for number, page in enumerate(document.pages)
            if page._page_box.page_type.name == FRAMED_PAGE
        ]
        if not framed:
            return
        copies = {number: _RawObject() for number in self.objects}
        for copy in copies.values():
            pdf.add_object(copy)

        def renumber(match: re.Match) -> bytes:
            return copies[int(match.group(1))].reference

        for number, body in self.objects.items():
            split = body.find(_STREAM) if body.startswith(b"<<") else -1
            head, stream = (body, b"") if split < 0 else (body[:split], body[split:])
            head = _REFERENCE.sub(renumber, head)
            if number == self.contents:
                head = (
                    b"<< /Type /XObject /Subtype /Form /BBox [%s] /Resources %s "
                    % (self.box, copies[self.resources].reference)
                    + head[2:]
                )
            copies[number].body = head + stream
        form = copies[self.contents].reference
        call = pydyf.Stream([b"q /MFFrame Do Q"])
        pdf.add_object(call)
        kids = pdf.pages["Kids"]  # pydyf's: number, 0, R, number, 0, R...
        pages = {kids[3 * index] for index in framed}
        resources = set()
        for page in pdf.objects:
            if page.number in pages:
                page["Contents"] = pydyf.Array([call.reference, page["Contents"]])
                resources.add(int(page["Resources"].split()[0]))
        for number in resources:
            pdf.objects[number]["XObject"]["MFFrame"] = form


_renderer = _Renderer()


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    request: HttpRequest | None = None,
    *,
    frame_template: str | None = None,
) -> bytes:
    """Render a Django template to PDF bytes; with a frame template, the pages named
    FRAMED_PAGE are drawn over the frame it lays out (see `_Frame`)."""
    html = render_to_string(template_name, context, request=request)
    frame = render_to_string(frame_template) if frame_template else None
    return html_to_pdf(html, frame, pdf_version=None)[0]


def html_to_pdf(
    html: str, frame_html: str | None = None, *, pdf_version: str | None = "1.4"
) -> tuple[bytes, int]:
    """Lay out an HTML document already rendered from its template (over a frame, if
    given: see `_Frame`): the PDF's bytes and its page count. Needs no database, so it
    runs in a process of the PDF pool."""
    finisher = _renderer.frame(frame_html).apply if frame_html else None
    document = _renderer.render(html)
    # PDF 1.4: a classic cross-reference table, no object streams, so that `join_pdfs`
    # joins parts without parsing them.
    options = {"pdf_version": pdf_version} if pdf_version else {}
    return document.write_pdf(finisher=finisher, **options), len(document.pages)


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
    """One PDF of these PDFs' pages, in order (a batch rendered a slice at a time).

    Parts from `html_to_pdf` (a classic cross-reference table, no object streams) are
    joined here without being parsed: each part's objects are copied with their numbers
    shifted, and each part's page tree becomes a branch of one new page tree. Parsing
    and rewriting them with pypdf took 10 ms a page; this takes a fraction of one. A
    part in any other form (an older chunk, say) has the whole join go through pypdf."""
    parts = list(parts)
    try:
        return _concatenate(parts)
    except _NotConcatenable:
        return _join_with_pypdf(parts)


class _NotConcatenable(ValueError):
    pass


_REFERENCE = re.compile(rb"(\d+) 0 R\b")
_STREAM = b">>\nstream\n"


def _objects(part: bytes) -> tuple[dict[int, bytes], int]:
    """A classic-xref PDF's objects (number: the bytes between `N 0 obj` and `endobj`)
    and the number of its catalog."""
    tail = part[-64:]
    at = tail.rfind(b"startxref")
    if at < 0:
        raise _NotConcatenable("no startxref")
    xref = int(tail[at + 9 :].split()[0])
    if part[xref : xref + 5] != b"xref\n":
        raise _NotConcatenable("a cross-reference stream, not a table")
    header_end = part.index(b"\n", xref + 5)
    first, count = (int(n) for n in part[xref + 5 : header_end].split())
    if first != 0:
        raise _NotConcatenable("a cross-reference table in sections")
    table = part[header_end + 1 : header_end + 1 + 20 * count]
    trailer = part[header_end + 1 + 20 * count : len(part) - len(tail) + at]
    root = re.search(rb"/Root (\d+) 0 R", trailer)
    if root is None or b"/Prev" in trailer:
        raise _NotConcatenable("no catalog, or an incremental update")
    offsets = sorted(
        (int(table[20 * n : 20 * n + 10]), n)
        for n in range(count)
        if table[20 * n + 17 : 20 * n + 18] == b"n"
    )
    objects = {}
    for index, (offset, number) in enumerate(offsets):
        end = offsets[index + 1][0] if index + 1 < len(offsets) else xref
        head = f"{number} 0 obj\n".encode()
        body = part[offset:end].rstrip()
        if not body.startswith(head) or not body.endswith(b"endobj"):
            raise _NotConcatenable(f"object {number} is not where the table says")
        objects[number] = body[len(head) : -len(b"endobj")].rstrip(b"\n")
    return objects, int(root.group(1))


def _concatenate(parts: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xf0\x9f\x96\xa4\n")
    offsets: list[int] = []  # of objects 1, 2, ...
    # Objects 1 and 2: the catalog and the root of the page tree, written last.
    base = 2
    branches, pages = [], 0
    for part in parts:
        objects, root = _objects(part)
        catalog = objects[root]
        tree = re.search(rb"/Pages (\d+) 0 R", catalog)
        if tree is None:
            raise _NotConcatenable("a catalog with no page tree")
        tree_number = int(tree.group(1))
        count = re.search(rb"/Count (\d+)", objects[tree_number])
        if count is None or not objects[tree_number].startswith(b"<<"):
            raise _NotConcatenable("a page tree with no count")
        pages += int(count.group(1))
        branches.append(tree_number + base)

        def shift(match: re.Match, base: int = base) -> bytes:
            return b"%d 0 R" % (int(match.group(1)) + base)

        for number in sorted(objects):
            if number == root:
                continue  # the part's catalog: the joined file has its own
            body = objects[number]
            split = body.find(_STREAM) if body.startswith(b"<<") else -1
            head, stream = (body, b"") if split < 0 else (body[:split], body[split:])
            head = _REFERENCE.sub(shift, head)
            if number == tree_number:
                head = b"<< /Parent 2 0 R " + head[2:]
            while len(offsets) < number + base - 1:
                offsets.append(0)  # a number left unused (the part's catalog)
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n%s%s\nendobj\n" % (number + base, head, stream))
        base = len(offsets) + 1
    kids = b" ".join(b"%d 0 R" % number for number in branches)
    catalog_at = out.tell()
    out.write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
    tree_at = out.tell()
    out.write(b"2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n" % (kids, pages))
    offsets[0], offsets[1] = catalog_at, tree_at
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    out.write(
        b"".join(
            b"%010d 00000 n \n" % offset if offset else b"0000000000 65535 f \n"
            for offset in offsets
        )
    )
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(offsets) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _join_with_pypdf(parts: list[bytes]) -> bytes:
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
    frame_template: str | None = None,
) -> HttpResponse:
    """An HTTP response carrying the rendered PDF, shown in the browser or downloaded."""
    response = HttpResponse(
        render_pdf(template_name, context, request, frame_template=frame_template),
        content_type="application/pdf",
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
    # A template of what its pages named FRAMED_PAGE share, laid out once (see `_Frame`).
    frame_template: str | None = None

    def response(self, request: HttpRequest | None = None, *, inline: bool = True) -> HttpResponse:
        return pdf_response(
            self.template,
            self.context,
            filename=self.filename,
            request=request,
            inline=inline,
            frame_template=self.frame_template,
        )
