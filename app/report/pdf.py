"""The pack as an A4 PDF (reportlab), with static maps and charts from :mod:`app.report.static_maps`.

Every page carries the protective marking in its header and footer (OFFICIAL-SENSITIVE when the pack
holds restricted data, else OFFICIAL), the pack's title and a page number. Long tables repeat their
header row on each page.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Image,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from app.report import static_maps
from app.report.content import REGION_PACK, PackContent, PackTable, cell_text

MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
_base = getSampleStyleSheet()
STYLES = {
    "title": ParagraphStyle("title", parent=_base["Title"], alignment=TA_LEFT, fontSize=20, leading=24),
    "h1": ParagraphStyle("h1", parent=_base["Heading1"], fontSize=15, leading=18, spaceBefore=6, spaceAfter=6),
    "h2": ParagraphStyle("h2", parent=_base["Heading2"], fontSize=11.5, leading=14, spaceBefore=8, spaceAfter=4),
    "body": ParagraphStyle("body", parent=_base["BodyText"], fontSize=9.5, leading=12.5),
    "small": ParagraphStyle("small", parent=_base["BodyText"], fontSize=7.5, leading=9.5),
    "cell": ParagraphStyle("cell", parent=_base["BodyText"], fontSize=7, leading=8.4),
    "head": ParagraphStyle("head", parent=_base["BodyText"], fontSize=7, leading=8.4, fontName="Helvetica-Bold"),
}


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(str(text)), STYLES[style])


def _widths(frame: pd.DataFrame, texts: list[list[str]]) -> list[float]:
    """Each column as wide as its longest text (its heading's longest word at least); wide columns give way
    when the table would not fit the page, so short codes and numbers never wrap."""
    pad = 6.0
    natural = []
    for i, column in enumerate(frame.columns):
        body = max([stringWidth(row[i], "Helvetica", 7) for row in texts] + [0.0])
        words = str(column).split() or [""]
        heading = max(stringWidth(w, "Helvetica-Bold", 7) for w in words)
        natural.append(min(max(body, heading) + pad, 0.45 * WIDTH))
    total = sum(natural)
    if total <= WIDTH:
        return [w * WIDTH / total for w in natural]
    fair = WIDTH / len(natural)
    fixed = sum(w for w in natural if w <= fair)
    flexible = sum(w for w in natural if w > fair)
    room = max(WIDTH - fixed, 0.3 * WIDTH)
    widths = [w if w <= fair else w * room / flexible for w in natural]
    scale = min(1.0, WIDTH / sum(widths))
    return [w * scale for w in widths]


def table_flowables(table: PackTable) -> list:
    items: list = [_p(table.title, "h2")]
    if table.note:
        items.append(_p(table.note, "small"))
    frame = table.frame
    if frame.empty:
        items.append(_p("None.", "body"))
        return items
    texts = [[cell_text(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    cells = [[Paragraph(escape(str(c)), STYLES["head"]) for c in frame.columns]]
    cells += [[Paragraph(escape(t), STYLES["cell"]) for t in row] for row in texts]
    grid = LongTable(cells, colWidths=_widths(frame, texts), repeatRows=1, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    items.append(grid)
    return items


def _image(png: bytes, width: float = WIDTH) -> Image:
    picture = Image(io.BytesIO(png))
    scale = width / picture.imageWidth
    picture.drawWidth, picture.drawHeight = width, picture.imageHeight * scale
    if picture.drawHeight > 0.62 * A4[1]:
        ratio = 0.62 * A4[1] / picture.drawHeight
        picture.drawWidth, picture.drawHeight = picture.drawWidth * ratio, picture.drawHeight * ratio
    picture.hAlign = "LEFT"
    return picture


def figures(content: PackContent, geometry) -> dict[str, list[tuple[str, bytes]]]:
    """The static pictures of the pack, per figure slot: [(caption, PNG)]."""
    by_share = content.kind == REGION_PACK
    trend = [
        (
            "Share of the limit by month" if by_share else "People supported against the limit by month",
            static_maps.trend_chart(content.trend, by_share=by_share, approaching=content.approaching),
        )
    ]
    maps = []
    if content.kind == REGION_PACK and len(content.la_map):
        las = content.la_map.assign(label=content.la_map["area_name"].astype(str))
        maps.append(
            (
                f"Local authorities at {content.month} (official flag)",
                static_maps.status_map(
                    las, geometry.las, title="", level_words="official flag (LA)", approaching=content.approaching
                ),
            )
        )
    maps.append(
        (
            f"Wards at {content.month} (local indicator)",
            static_maps.status_map(
                content.ward_map,
                geometry.wards,
                outlines=geometry.las,
                points=None if content.suppressed else content.points,
                approaching=content.approaching,
            ),
        )
    )
    return {"trend": trend, "map": maps}


def render(content: PackContent, geometry) -> bytes:
    out = io.BytesIO()
    marking = content.marking
    generated = content.generated_at.strftime("%d %B %Y %H:%M")

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 10 * mm, marking)
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(MARGIN, A4[1] - 10 * mm, content.title)
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawCentredString(A4[0] / 2, 8 * mm, marking)
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(MARGIN, 8 * mm, f"Made {generated} for {content.user} ({content.role})")
        canvas.drawRightString(A4[0] - MARGIN, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN + 2 * mm,
        title=content.title,
        author="Dispersal Monitor",
        subject=f"{marking}: provider meeting pack",
    )
    story: list = [
        _p(content.title, "title"),
        _p("Evidence for the quarterly strategic meeting with the accommodation provider.", "body"),
        _p(
            f"Position at {content.month}. Made {generated} for {content.user} ({content.role}). "
            f"Protective marking: {marking}.",
            "small",
        ),
        Spacer(1, 4 * mm),
    ]
    if content.restricted:
        story.append(
            _p(
                "This pack contains restricted data (ward and sector figures, property addresses). "
                "Handle as OFFICIAL-SENSITIVE: need to know only; do not forward.",
                "body",
            )
        )
    else:
        story.append(
            _p(
                "Disclosure-controlled pack: no addresses, property locations or sector figures; counts "
                'under 5 read "fewer than 5" and ward counts are rounded to the nearest 5.',
                "body",
            )
        )
    story.append(_p("Summary", "h1"))
    story += table_flowables(PackTable("facts", "Key facts", pd.DataFrame(content.facts, columns=["", "Value"])))
    pictures = figures(content, geometry)
    for section in content.sections:
        story.append(PageBreak() if section.key in ("position", "wards", "properties") else Spacer(1, 6 * mm))
        story.append(_p(section.title, "h1"))
        story += [_p(line) for line in section.text]
        for caption, png in pictures.get(section.figure or "", []):
            story.append(KeepTogether([_p(caption, "h2"), _image(png)]))
        for table in section.tables:
            story += table_flowables(table)
        if section.key == "sources":
            story.append(_p("Licences and attribution", "h2"))
            story += [_p(line, "small") for line in content.attribution]
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
