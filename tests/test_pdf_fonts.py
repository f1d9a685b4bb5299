"""PDFs carry their Chinese font: one helper (firmportal.pdf_fonts) embeds a TrueType CJK font in the
books' reports, the compliance PDFs and the retention registers; the CID font is only a fallback."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from clients import exports
from compliance import pdf as compliance_pdf
from firmportal import pdf_fonts
from retention import registers

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _embeds_truetype(data: bytes) -> bool:
    # reportlab writes font dictionaries uncompressed; an embedded TrueType subset is a FontFile2 stream.
    return b"/FontFile2" in data


def test_the_ci_installs_the_embeddable_font() -> None:
    assert WQY.exists(), "fonts-wqy-microhei is missing: run .ci/install-system-packages"
    assert "fonts-wqy-microhei" in Path(".ci/install-system-packages").read_text()


def test_the_shared_helper_picks_the_truetype_font() -> None:
    font = pdf_fonts.cjk_font()
    assert font == pdf_fonts.CJKFont(name="FirmPortalCJK", embedded=True, path=str(WQY))


def test_books_report_pdf_embeds_the_font_and_keeps_text_extractable() -> None:
    table = exports.ReportTable(title="科目余额表", subtitle="上海示例贸易有限公司 · 2025-01", headers=["科目", "金额"])
    table.rows.append(["银行存款", Decimal("60500.00")])
    data = exports.to_pdf(table)
    assert _embeds_truetype(data)
    assert b"STSong-Light" not in data
    text = _text(data)
    assert "科目余额表" in text and "银行存款" in text and "60,500.00" in text


def test_compliance_pdf_embeds_the_font() -> None:
    data = compliance_pdf.render([compliance_pdf.para("合规报告 保密协议与培训状况", "title")], title="合规报告")
    assert _embeds_truetype(data) and b"STSong-Light" not in data
    assert "保密协议与培训状况" in _text(data)


def test_retention_register_pdf_embeds_the_font() -> None:
    table = [["名称", "卷号"], ["记账凭证", "1"]]
    data = registers.render_pdf("会计档案销毁清册", ["单位：上海示例贸易有限公司"], table)
    assert _embeds_truetype(data) and b"STSong-Light" not in data
    text = _text(data)
    assert "会计档案销毁清册" in text and "记账凭证" in text


def test_missing_font_file_falls_back_to_the_cid_font() -> None:
    font = pdf_fonts.register_cjk_font([("/nonexistent/no-such-font.ttf", 0)])
    assert font == pdf_fonts.CJKFont(name="STSong-Light", embedded=False)


@pytest.mark.parametrize("path", sorted(Path("/usr/share/fonts/opentype/noto").glob("NotoSansCJK-Regular.ttc"))[:1])
def test_cff_outlines_are_skipped_for_the_next_candidate(path: Path) -> None:
    """Debian's Noto CJK (PostScript outlines) cannot be embedded by reportlab: the next font is used."""
    font = pdf_fonts.register_cjk_font([(str(path), 2), (str(WQY), 0)])
    assert font.embedded and font.path == str(WQY)


def test_configured_font_is_tried_first(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PDF_CJK_FONT = "/nonexistent/configured.ttf"
    assert pdf_fonts.candidates()[0] == ("/nonexistent/configured.ttf", 0)
    assert pdf_fonts.candidates()[1:] == list(pdf_fonts.DEFAULT_CANDIDATES)
