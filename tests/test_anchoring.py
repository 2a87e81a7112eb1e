"""Re-anchoring over real edits (issue 17, part 3; agenda/papers/anchoring.py): each pair of
versions is a real PDF drawn with fpdf2 in DejaVu Sans and read back with the project's own
extraction (agenda/papers/pdf_check.py `extract_pages`), as the server reads a new version."""

from __future__ import annotations

from sqlmodel import Session

from agenda.db import Database
from agenda.papers import reanchor
from agenda.papers.anchoring import Quote, find, fold, normalise, page_order, reanchor_all
from agenda.papers.annotations import Annotation
from tests.support.annotation_pdfs import CLOSING, FILLER, INSERTED, INTRO, OTHER, PASSAGE, page_texts, pdf
from tests.support.factories import make_document, make_programme_item, make_user

QUOTE = "quy định chi tiết về quản lý thuế"


def quote_from(pages: list[str], exact: str, page: int) -> Quote:
    """The quote as the reader takes it: the exact text with up to 32 characters around it."""
    text = normalise(pages[page - 1])
    start = text.index(exact)
    return Quote(
        exact, text[max(0, start - 32) : start], text[start + len(exact) : start + len(exact) + 32], page
    )


V1 = pdf([[INTRO, PASSAGE, FILLER], [OTHER, CLOSING]])


def test_a_paragraph_inserted_before_the_passage() -> None:
    old = page_texts(V1)
    quote = quote_from(old, QUOTE, 1)
    # Enough new paragraphs before it that the passage moves down to page 2.
    new = page_texts(pdf([[INTRO, *([INSERTED] * 40), PASSAGE, FILLER], [OTHER, CLOSING]]))
    assert QUOTE not in normalise(new[0])
    found = find(new, quote)
    assert found is not None and found.page == 2 and found.method in ("exact", "spacing")
    # A single inserted paragraph: same page, still found.
    found = find(page_texts(pdf([[INTRO, INSERTED, PASSAGE, FILLER], [OTHER, CLOSING]])), quote)
    assert found is not None and found.page == 1 and QUOTE in normalise(found.exact + " ")


def test_the_passage_moved_to_another_page() -> None:
    quote = quote_from(page_texts(V1), QUOTE, 1)
    new = page_texts(pdf([[INTRO, FILLER], [OTHER], [CLOSING, PASSAGE]]))
    found = find(new, quote)
    assert found is not None and found.page == 3


def test_the_passage_deleted_is_orphaned() -> None:
    quote = quote_from(page_texts(V1), QUOTE, 1)
    new = page_texts(pdf([[INTRO, FILLER], [OTHER, CLOSING]]))
    assert find(new, quote) is None
    assert reanchor_all(new, [(7, quote)]) == [(7, None)]


def test_vietnamese_without_diacritics_in_the_new_text_layer() -> None:
    quote = quote_from(page_texts(V1), QUOTE, 1)
    stripped = "Nghi dinh nay quy dinh chi tiet ve quan ly thue doi voi ho kinh doanh."
    new = page_texts(pdf([[INTRO, stripped], [OTHER]]))
    found = find(new, quote)
    assert found is not None and found.page == 1 and found.method == "folded"
    assert found.exact == "quy dinh chi tiet ve quan ly thue"  # as the new version reads


def test_vietnamese_with_diacritics_where_the_old_layer_had_none() -> None:
    old = page_texts(pdf([["Dieu 1. Nghi dinh nay quy dinh chi tiet ve quan ly thue."]]))
    quote = quote_from(old, "quy dinh chi tiet ve quan ly thue", 1)
    new = page_texts(pdf([[INTRO], [PASSAGE]]))
    found = find(new, quote)
    assert found is not None and found.page == 2 and found.exact == QUOTE


def test_a_few_words_edited_still_anchor_fuzzily() -> None:
    passage = "Cơ quan thuế có trách nhiệm hướng dẫn người nộp thuế thực hiện đúng quy định của pháp luật."
    old = page_texts(pdf([[INTRO, passage]]))
    quote = quote_from(old, passage.rstrip("."), 1)
    edited = "Cơ quan thuế có trách nhiệm hướng dẫn người nộp thuế thực hiện đầy đủ quy định của pháp luật."
    found = find(page_texts(pdf([[INTRO], [edited]])), quote)
    assert found is not None and found.page == 2 and found.method == "fuzzy"
    assert "đầy đủ" in found.exact
    unrelated = page_texts(pdf([[INTRO, OTHER, CLOSING]]))
    assert find(unrelated, quote) is None


def test_the_prefix_and_suffix_choose_among_repeats() -> None:
    pages = ["Khoản 1. Thuế suất là 10%. Khoản 2. Thuế suất là 5% đối với hàng thiết yếu."]
    second = find(pages, Quote("Thuế suất là", prefix="Khoản 2. ", suffix=" 5%", page=1))
    assert second is not None and second.suffix.startswith(" 5%")
    first = find(pages, Quote("Thuế suất là", prefix="Khoản 1. ", suffix=" 10%", page=1))
    assert first is not None and first.suffix.startswith(" 10%")


def test_the_hint_page_comes_first_then_the_nearest() -> None:
    assert page_order(3, 5) == [3, 4, 2, 5, 1]
    assert page_order(9, 2) == [2, 1]  # a hint past the end: the last page
    pages = ["Đoạn lặp lại.", "Khác.", "Đoạn lặp lại."]
    found = find(pages, Quote("Đoạn lặp lại", page=3))
    assert found is not None and found.page == 3
    assert find(pages, Quote("Đoạn lặp lại", page=2), only_hint=True) is None


def test_normalising_and_folding() -> None:
    assert normalise("  Nghi\u0323 đi\u0323nh \n\t này ") == "Nghị định này"
    assert fold("Đường Độc Lập") == "duongdoclap"
    assert find(["Nghị  định\nnày"], Quote("Nghị định này", page=1)) is not None
    assert find(["Nghịđịnhnày"], Quote("Nghị định này", page=1)) is not None  # spacing lost
    assert find([], Quote("x", page=1)) is None
    assert find(["abc"], Quote("   ", page=1)) is None


def test_apply_moves_each_annotation_once(db: Database) -> None:
    """Two runs over the same annotations (two processes): the second moves nothing."""
    user = make_user(db, "doc_gia", ["secretariat"])
    item = make_programme_item(db)
    document = make_document(db, item.id or 0, "submission", pages=2)
    assert user.id and document.id

    def add(s: Session) -> tuple[int, int]:
        kept = Annotation(
            user_id=user.id or 0,
            document_id=document.id or 0,
            version=1,
            kind="note",
            page=1,
            exact=QUOTE,
            text="Ghi chú",
        )
        lost = Annotation(
            user_id=user.id or 0,
            document_id=document.id or 0,
            version=1,
            kind="highlight",
            page=1,
            exact=FILLER,
        )
        s.add_all([kept, lost])
        s.flush()
        assert kept.id and lost.id
        return kept.id, lost.id

    kept_id, lost_id = db.write_sync(add)
    new = page_texts(pdf([[INTRO, PASSAGE], [OTHER]]))
    found = db.read_sync(lambda s: reanchor.pending(s, document.id or 0))[1]
    assert found == []  # the document has one version: nothing to carry
    results = reanchor_all(new, [(kept_id, Quote(QUOTE, page=1)), (lost_id, Quote(FILLER, page=1))])
    seen = {kept_id: 1, lost_id: 1}
    first = db.write_sync(
        lambda s: reanchor.apply(s, document_id=document.id or 0, to_version=2, seen=seen, results=results)
    )
    assert first == {user.id: (1, 1)}
    again = db.write_sync(
        lambda s: reanchor.apply(s, document_id=document.id or 0, to_version=2, seen=seen, results=results)
    )
    assert again == {}
    carried = db.read_sync(
        lambda s: reanchor.carried_for(s, user_id=user.id or 0, document_id=document.id or 0, version=2)
    )
    assert carried is not None and (carried["carried"], carried["orphaned"]) == (1, 1)
    lost = db.read_sync(lambda s: s.get(Annotation, lost_id))
    assert lost is not None and lost.state == "orphaned" and lost.exact == FILLER and lost.version == 2
