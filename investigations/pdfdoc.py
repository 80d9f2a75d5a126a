"""The one home of the project's PDFs: the CJK font, the base stylesheet, the Jinja templates and
WeasyPrint with a fetcher that never leaves the machine.

Why one home: the evidence package's dossier (evidence/pdf.py) and the freeze list
(investigations/freeze_pdf.py) must embed the same font (WenQuanYi Micro Hei, Debian
`fonts-wqy-microhei`), look alike and stay byte-reproducible; matplotlib figures inside them use the
same font file. The documents hold no clock: no creation or modification date, a PDF identifier
derived from the content, so the same input gives the same bytes.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote, urlparse

logger = logging.getLogger(__name__)

#: The CJK font both PDFs and their figures use (the first that exists).
FONT_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
#: The CSS family name the @font-face rule gives it (templates use it through the base stylesheet).
FONT_FAMILY = "WenQuanYi Micro Hei"
#: Templates shared by every PDF: the base stylesheet and the page layout.
TEMPLATES = Path(__file__).resolve().parent / "templates" / "pdf"


class PdfError(RuntimeError):
    """A PDF that cannot be rendered (the CJK font is missing); the message says how to fix it."""


def font_path() -> Path:
    """The CJK TrueType collection, or PdfError naming the Debian package to install."""
    for p in FONT_PATHS:
        if p.exists():
            return p
    raise PdfError("CJK TrueType font not found (" + ", ".join(str(p) for p in FONT_PATHS)
                   + "): install it with `apt-get install fonts-wqy-microhei`")


def matplotlib_family() -> str:
    """Register the CJK font with matplotlib (once) and return its family name, for figures."""
    from matplotlib import font_manager

    path = font_path()
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _allowed_roots() -> tuple[Path, ...]:
    return (TEMPLATES, *(p.parent for p in FONT_PATHS))


def local_fetcher() -> Any:
    """WeasyPrint's url_fetcher: data: URIs and files under the template and font folders only.

    Anything else (http, https, ftp, a file elsewhere) is refused, so rendering never touches the
    network, whatever a template or a datum holds.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlparse(url).path)).resolve()
                if any(path == root or root in path.parents for root in _allowed_roots()) and path.is_file():
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _mime(path)})
            logger.warning("PDF rendering refused to fetch %s", url[:200])
            raise ValueError(f"refused to fetch {url[:200]!r}: PDFs use local files and data: URIs only")

    return LocalFetcher(allowed_protocols={"data", "file"})


def _mime(path: Path) -> str:
    return {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml",
            ".ttc": "font/collection", ".ttf": "font/ttf"}.get(path.suffix.lower(), "application/octet-stream")


def environment(*folders: Path) -> Any:
    """A Jinja environment over `folders` then the shared PDF templates (autoescaped)."""
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=ChoiceLoader([FileSystemLoader([str(f) for f in folders]),
                                           FileSystemLoader(str(TEMPLATES))]),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["br"] = _lines
    env.globals["font_url"] = font_path().as_uri()
    env.globals["font_family"] = FONT_FAMILY
    return env


def _lines(value: Any) -> Any:
    """A cell's text escaped, its newlines as line breaks (None as empty)."""
    from markupsafe import Markup, escape

    return Markup("<br>").join(escape(line) for line in ("" if value is None else str(value)).split("\n"))


def image_data_uri(png: bytes) -> str:
    """A PNG as a data: URI (the only kind of image the fetcher serves besides local files)."""
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def render(template: str, context: dict, folders: Iterable[Path] = ()) -> tuple[bytes, int]:
    """Render `template` (Jinja HTML) to (PDF bytes, pages): fonts embedded, no dates, identifier
    from the content, so the same context gives the same bytes."""
    import weasyprint

    html = environment(*folders).get_template(template).render(**context)
    doc = weasyprint.HTML(string=html, base_url=TEMPLATES.as_uri() + "/", url_fetcher=local_fetcher()).render()
    doc.metadata.created = None
    doc.metadata.modified = None
    ident = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    # PDF 1.4: plain object dictionaries (no object streams), readable by any viewer and by a grep
    return doc.write_pdf(pdf_identifier=ident, pdf_version="1.4"), len(doc.pages)
