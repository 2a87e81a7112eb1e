"""The signature block of a record (the minutes, the resolution, a ballot report, a vote record):
one or two columns, each a heading ("CHỦ TỌA", "THƯ KÝ PHIÊN HỌP"...), an empty area where the
visible digital signature will be drawn, and the printed name.

The block always sits at the same place at the foot of the last page (a page is added when the
text leaves no room), so that the signing code knows where each column's area is without the
PDF in hand: `area_points` gives it in PDF points.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

from agenda.pdf.letterhead import INK, LEFT, PAGE_H, TEXT_W

FOOT = 24.0  # mm between the block's bottom and the page's bottom edge (the footer lives below)
HEAD_H = 7.0  # the column heading
AREA_H = 50.0  # where the signature goes (agenda/signing/appearance.py BOX_HEIGHT fits)
NAME_H = 7.0
BLOCK_H = HEAD_H + AREA_H + NAME_H
TOP = PAGE_H - FOOT - BLOCK_H  # the block's top, in mm from the top edge
POINTS_PER_MM = 72 / 25.4


def draw(pdf: FPDF, columns: Sequence[tuple[str, str]], *, font: str) -> None:
    """Draw the block's headings and printed names; `columns` is (heading, name) left to right."""
    if pdf.get_y() > TOP - 2:
        pdf.add_page()
    width = TEXT_W / len(columns)
    pdf.set_text_color(*INK)
    for index, (heading, name) in enumerate(columns):
        x = LEFT + index * width
        pdf.set_font(font, "B", 11)
        pdf.set_xy(x, TOP)
        pdf.cell(width, HEAD_H - 1, heading, align="C")
        if name:
            pdf.set_xy(x, TOP + HEAD_H + AREA_H)
            pdf.cell(width, NAME_H - 1, name, align="C")
    pdf.set_y(TOP + BLOCK_H)


def area_points(column: int, columns: int, box_width: float, box_height: float) -> tuple[float, float]:
    """The lower-left corner, in PDF points (origin bottom left), of a `box_width` x `box_height`
    (points) signature centred in column `column` of `columns`, at the top of its area."""
    width = TEXT_W / columns
    x_mm = LEFT + column * width + (width - box_width / POINTS_PER_MM) / 2
    bottom_mm = TOP + HEAD_H + min(AREA_H, box_height / POINTS_PER_MM)
    return x_mm * POINTS_PER_MM, (PAGE_H - bottom_mm) * POINTS_PER_MM
