"""The annual report as a PDF, drawn with fpdf2 (pure Python, no system library or font).

fpdf2's core fonts (Helvetica) embed nothing and cover Windows-1252, which holds every
character French needs (« » é ’ … œ) but not the narrow no-break space French numbers use:
``printable`` writes it as a plain no-break space, and any other character the font lacks as
« ? », so that a name typed in another script never stops the report.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from core.business_days import PARIS
from services.annual_report import AnnualReport, ReportSection
from services.annual_report_tables import ChartBar, ReportTable

ENCODING = "windows-1252"
SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": "\u00a0", "\u2011": "-"})
BLUE = (0, 0, 145)
GREY = (90, 90, 90)
HEADING = FontFace(emphasis="BOLD", fill_color=(225, 228, 240))
STRIPE = (245, 245, 248)
LABEL_WIDTH = 70.0
BAR_HEIGHT = 5.0
BAR_ROOM = 85.0


def printable(text: str) -> str:
    """``text`` in the characters Helvetica draws (Windows-1252), the rest as « ? »."""
    normalised = text.translate(SPACES)
    return normalised.encode(ENCODING, errors="replace").decode(ENCODING)


class ReportDocument(FPDF):
    """An A4 document whose every page says « page n / N » at its foot."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self.running_title = printable(title)
        self.set_title(self.running_title)
        self.set_author("relais")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        """The running title on the left and « page n / N » on the right."""
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.running_title, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"page {self.page_no()} / {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def text_line(self, text: str, *, size: float = 10, style: str = "", height: float = 5) -> None:
        """A paragraph across the page."""
        self.set_font("Helvetica", style=style, size=size)
        self.multi_cell(0, height, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _title_page(document: ReportDocument, report: AnnualReport) -> None:
    document.add_page()
    document.set_y(70)
    document.set_text_color(*BLUE)
    document.text_line("Plan parisien de l'insertion par l'emploi", size=16, style="B", height=9)
    document.text_line(f"Rapport annuel {report.year}", size=28, style="B", height=14)
    document.set_text_color(0, 0, 0)
    document.ln(6)
    document.text_line("Document établi pour le comité de pilotage", size=13)
    document.text_line(f"Période {report.period_label}", size=11)
    generated = report.generated_at.astimezone(PARIS)
    document.text_line(f"Établi par relais le {generated:%d/%m/%Y à %H:%M}", size=11)
    document.ln(10)
    if not report.has_data:
        document.text_line(
            f"Aucune activité n'a été enregistrée dans relais en {report.year} : "
            "les tableaux qui suivent sont vides.",
            size=11,
            style="B",
        )
    document.text_line(
        "Tout chiffre portant sur moins de cinq personnes est affiché « < 5 ». "
        "Aucune donnée de santé n'entre dans ces chiffres.",
        size=10,
    )


def _chart(document: ReportDocument, title: str, bars: list[ChartBar]) -> None:
    """Horizontal bars: the label, a rectangle as long as the value, the value beside it."""
    needed = 8 + len(bars) * (BAR_HEIGHT + 2)
    if document.get_y() + needed > document.page_break_trigger:
        document.add_page()
    document.text_line(title, size=10, style="B")
    largest = max((bar.value for bar in bars), default=0.0) or 1.0
    document.set_font("Helvetica", size=8)
    for bar in bars:
        y = document.get_y() + 1
        document.set_xy(document.l_margin, y)
        document.cell(LABEL_WIDTH - 2, BAR_HEIGHT, printable(bar.label[:40]), align="R")
        length = BAR_ROOM * bar.value / largest
        document.set_fill_color(*BLUE)
        if length > 0:
            document.rect(document.l_margin + LABEL_WIDTH, y, length, BAR_HEIGHT, style="F")
        document.set_xy(document.l_margin + LABEL_WIDTH + length + 1.5, y)
        document.cell(25, BAR_HEIGHT, printable(bar.text))
        document.set_y(y + BAR_HEIGHT + 1)
    document.set_fill_color(255, 255, 255)
    document.ln(3)


def _table(document: ReportDocument, table: ReportTable) -> None:
    if document.get_y() + 25 > document.page_break_trigger:
        document.add_page()
    document.text_line(table.title, size=11, style="B", height=7)
    if table.empty:
        document.text_line("Aucune donnée pour cette période.", size=9)
        document.ln(3)
        return
    document.set_font("Helvetica", size=8)
    first = 2.0 if len(table.columns) > 2 else 3.0
    widths = (first, *(1.0 for _ in table.columns[1:]))
    with document.table(
        col_widths=widths,
        line_height=4.5,
        text_align="LEFT",
        repeat_headings=1,
        headings_style=HEADING,
        cell_fill_color=STRIPE,
        cell_fill_mode=TableCellFillMode.ROWS,
    ) as grid:
        heading = grid.row()
        for column in table.columns:
            heading.cell(printable(column))
        for values in table.rows:
            row = grid.row()
            for value in values:
                row.cell(printable(value))
    document.ln(4)
    if table.chart:
        _chart(document, table.chart_title, table.chart)


def _section(document: ReportDocument, section: ReportSection, number: int) -> None:
    document.add_page()
    document.set_text_color(*BLUE)
    document.text_line(f"{number}. {section.title}", size=16, style="B", height=9)
    document.set_text_color(0, 0, 0)
    document.text_line(section.intro, size=10)
    document.ln(3)
    for table in section.tables:
        _table(document, table)


def annual_report_pdf(report: AnnualReport) -> bytes:
    """The report as the bytes of a PDF: a title page, then one chapter per section."""
    document = ReportDocument(report.title)
    _title_page(document, report)
    for number, section in enumerate(report.sections, start=1):
        _section(document, section, number)
    return bytes(document.output())
