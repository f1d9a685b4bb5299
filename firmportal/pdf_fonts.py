"""The one font helper for every PDF the portal draws (reports, compliance, retention registers).

Issue #3 asks for PDFs "with Chinese fonts embedded": a register or report handed to an auditor
must look the same on any machine, years later. reportlab embeds (a subset of) a TrueType font with
glyf outlines as a `FontFile2` stream. Debian's `fonts-wqy-microhei` is such a font (a .ttc; its
first face is WenQuanYi Micro Hei); Debian's Noto CJK is CFF-based, which reportlab refuses. Only
when no usable TrueType file exists do we fall back to reportlab's CID font STSong-Light, which the
PDF names but does not carry (readers substitute a Song face) — and we log that we did.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

log = logging.getLogger("firmportal.pdf")

# (path, face index inside a .ttc), tried in order after the configured one.
DEFAULT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
)
FALLBACK_CID_FONT = "STSong-Light"
EMBEDDED_FONT_NAME = "FirmPortalCJK"


@dataclass(frozen=True)
class CJKFont:
    name: str  # the reportlab font name to use in styles
    embedded: bool  # True when the glyphs travel inside the PDF
    path: str = ""  # the TrueType file, when embedded


def register_cjk_font(candidates: Sequence[tuple[str, int]]) -> CJKFont:
    """Register the first usable TrueType CJK font of `candidates` (else the CID font) and name it."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path, index in candidates:
        try:
            pdfmetrics.registerFont(TTFont(EMBEDDED_FONT_NAME, path, subfontIndex=index))
        except (TTFError, OSError) as exc:
            log.debug("CJK font %s not usable: %s", path, exc)
            continue
        return CJKFont(name=EMBEDDED_FONT_NAME, embedded=True, path=path)
    log.warning("No embeddable CJK TrueType font found; PDFs use the CID font %s (not embedded)", FALLBACK_CID_FONT)
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return CJKFont(name=FALLBACK_CID_FONT, embedded=False)


def candidates() -> list[tuple[str, int]]:
    """The configured font (settings.PDF_CJK_FONT, from FIRMPORTAL_PDF_CJK_TTF) first, then Debian's."""
    from django.conf import settings

    configured = getattr(settings, "PDF_CJK_FONT", None)
    return [*([(configured, 0)] if configured else []), *DEFAULT_CANDIDATES]


@cache
def cjk_font() -> CJKFont:
    """The font for all PDF text (CJK and Latin), registered once per process."""
    return register_cjk_font(candidates())
