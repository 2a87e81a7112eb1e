"""The CSV exports: BOM, Vietnamese text, formula cells defused, download names."""

from __future__ import annotations

import csv
import io

from meeting_app.api.csv_export import cell, csv_response, csv_text


def test_the_text_opens_with_a_bom_and_keeps_vietnamese_text() -> None:
    text = csv_text(["Cơ quan", "Số"], [["Bộ Tài nguyên và Môi trường", 3], ["Bộ Y tế", None]])
    assert text.startswith("\ufeffCơ quan,Số\r\n")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [["Cơ quan", "Số"], ["Bộ Tài nguyên và Môi trường", "3"], ["Bộ Y tế", ""]]


def test_cells_a_spreadsheet_would_run_get_a_leading_quote() -> None:
    for hostile in ('=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert cell(hostile) == "'" + hostile
    assert cell("Đề án = 3") == "Đề án = 3"
    assert cell(True) == "1"
    assert cell(-5) == "'-5"


def test_the_response_names_the_file_in_ascii_and_in_utf8() -> None:
    response = csv_response(["a"], [["b"]], filename="nhiệm-vụ.csv")
    assert response.media_type == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    assert 'filename="nhi_m-v_.csv"' in disposition
    assert "filename*=UTF-8''nhi%E1%BB%87m-v%E1%BB%A5.csv" in disposition
    assert bytes(response.body).startswith("\ufeff".encode())
