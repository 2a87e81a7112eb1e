"""Demo data: an invented Government, its accounts, the work programme, dossiers and two meetings,
and the follow-through (the agency registry, the agencies' focal points and their tasks:
agenda/demo/demo_tasks.py).

`seed_demo` fills an EMPTY database through the domain functions only, so every change
appends its event exactly as in real use. The caller checks `is_empty`, runs the seed in one
write transaction and commits. The PDFs are written under DATA_DIR before the commit; if the
transaction rolls back they stay behind as unreferenced, content-addressed files.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, select

from agenda.clock import LOCAL_TZ, to_local, utcnow
from agenda.demo.cast import ACCOUNTS, DEMO_LOGINS, GOVERNMENT, PLACE, Account
from agenda.demo.demo_papers import Paper, month_label, render_papers
from agenda.demo.demo_tasks import seed_agencies, seed_focal_points, seed_tasks
from agenda.meetings import agenda_edits, agenda_items, meetings, publishing
from agenda.meetings.agenda_items import AgendaItemCreate
from agenda.meetings.dossier import add_document
from agenda.meetings.meetings import Meeting, MeetingCreate
from agenda.meetings.positions import PositionSet, set_position
from agenda.pdf.fonts import find_font
from agenda.people.accounts import User, UserCreate, create_user
from agenda.people.members import Member, MemberCreate, create_member
from agenda.policy import Policy
from agenda.polls import poll_lifecycle
from agenda.polls.opinion_polls import PollAnswer, PollCreate
from agenda.programme import programme, programme_import
from agenda.programme.programme import ProgrammeItem
from agenda.storage import store_original
from agenda.viewer import Viewer

DEMO_DATA = Path(__file__).resolve().parent / "data"
DEMO_CSV = DEMO_DATA / "work-programme.csv"


# admin first, then the secretariat: they create everything else.
# (username, password, roles – who) for printing; the same whether or not this run seeded.

# The dossier of each programme item that has one: a third of the items have none yet. Items
# whose dossier meets the policy's readiness rule become `ready`, the others `submitted`; with
# the default rules, 18 are ready and 9 are not (mostly a missing appraisal).
DOSSIERS: dict[str, tuple[str, ...]] = {
    "L-2026-01": ("submission", "draft", "synthesis", "annex"),  # no appraisal yet
    "L-2026-02": ("submission", "draft", "appraisal", "synthesis"),
    "L-2026-03": ("submission", "draft"),
    "ND-2026-01": ("submission", "draft", "appraisal"),
    "ND-2026-02": ("submission", "draft", "appraisal", "annex"),
    "ND-2026-03": ("submission", "draft", "appraisal"),
    "ND-2026-04": ("submission", "draft"),  # no appraisal yet
    "NQ-2026-01": ("submission", "draft", "annex"),
    "BC-2026-11": ("submission", "annex"),
    "BC-2026-21": ("submission",),
    "BC-2026-23": ("submission",),
    "DA-2026-01": ("submission", "draft"),
    "K-2026-01": ("submission",),
    "L-2026-05": ("submission", "draft", "appraisal", "synthesis"),
    "L-2026-06": ("submission", "draft", "synthesis"),
    "L-2026-07": ("submission",),
    "PL-2026-01": ("submission", "draft", "appraisal", "synthesis"),
    "ND-2026-05": ("submission", "draft", "appraisal"),
    "ND-2026-06": ("submission", "draft"),
    "NQ-2026-02": ("submission", "draft"),
    "BC-2026-24": ("submission",),
    "BC-2026-25": ("submission",),
    "BC-2026-27": ("submission", "annex"),
    "DA-2026-02": ("draft",),
    "L-2026-09": ("submission", "draft"),
    "ND-2026-08": ("submission",),
    "DA-2026-03": ("submission", "draft"),
}


@dataclass(frozen=True)
class Slot:
    """One agenda line of a demo meeting: a programme item (by code) or a procedural title."""

    minutes: int
    code: str | None = None
    title: str | None = None
    consent: bool = False
    restricted: bool = False
    override_reason: str | None = None


REGULAR_AGENDA = (
    Slot(5, title="Khai mạc, thông qua chương trình phiên họp"),
    Slot(5, "BC-2026-21", consent=True),
    Slot(5, "K-2026-01", consent=True),
    Slot(60, "BC-2026-11"),
    Slot(45, "NQ-2026-01"),
    Slot(20, "BC-2026-23"),
    Slot(30, "ND-2026-01", restricted=True),
    Slot(30, "DA-2026-01"),
    Slot(15, title="Thủ tướng Chính phủ kết luận, bế mạc phiên họp"),
)
THEMATIC_AGENDA = (
    Slot(60, "L-2026-05"),
    Slot(45, "PL-2026-01"),
    Slot(
        60,
        "L-2026-06",
        override_reason="Thủ tướng đồng ý đưa vào phiên họp; Bộ Tư pháp gửi báo cáo thẩm định "
        "trước phiên họp.",
    ),
)
# Pre-session positions on the regular meeting: (member's username, item code, position, comment).
# The objection takes K-2026-01 out of the consent block; BC-2026-21 stays in it.
DEMO_POSITIONS = (
    ("bt.khdt", "BC-2026-21", "no_objection", ""),
    ("bt.noivu", "BC-2026-21", "no_objection", ""),
    (
        "bt.tuphap",
        "K-2026-01",
        "object",
        "Đề nghị thảo luận tại phiên họp: lùi thời hạn trình ảnh hưởng tiến độ Chương trình xây dựng "
        "luật, pháp lệnh năm 2027.",
    ),
    ("bt.congthuong", "BC-2026-11", "wish_to_speak", "Về xuất khẩu và chuỗi cung ứng cuối năm."),
    ("bt.taichinh", "NQ-2026-01", "wish_to_speak", "Về dự toán thu, chi ngân sách nhà nước năm 2027."),
)
# The opinion ballot between sessions: on a decree that is on no agenda, answered by three members.
DEMO_BALLOT_ITEM = "ND-2026-02"
DEMO_BALLOT_DAYS = 3
DEMO_BALLOT_QUESTION = (
    "Thành viên Chính phủ có đồng ý thông qua dự thảo Nghị định về bảo vệ dữ liệu cá nhân "
    "theo hồ sơ Bộ Công an trình không?"
)
DEMO_BALLOT_ANSWERS = (
    ("bt.congan", "agree", ""),
    ("bt.tuphap", "agree", "Đồng ý; đề nghị tiếp thu ý kiến thẩm định về điều khoản chuyển tiếp."),
    (
        "bt.taichinh",
        "other",
        "Đề nghị làm rõ nguồn kinh phí bảo đảm thực hiện và lộ trình áp dụng đối với doanh nghiệp nhỏ.",
    ),
)
# The audience of the restricted (security) item: the PM, the Deputy PMs and three ministers.
SECURITY_AUDIENCE = (
    "chutoa",
    "pttg.thuongtruc",
    "pttg.tuan",
    "pttg.hien",
    "pttg.binh",
    "bt.quocphong",
    "bt.congan",
    "bt.ngoaigiao",
)


def is_empty(*, session: Session) -> bool:
    """True when no account exists yet: the only state in which the demo may be seeded."""
    return session.exec(select(User.id).limit(1)).first() is None


def seed_demo(*, session: Session, data_dir: Path, policy: Policy) -> list[tuple[str, str, str]]:
    """Seed the demo into an empty database; return (username, password, role) for printing.

    The papers are rendered in a worker thread while the accounts are created: hashing the
    passwords (argon2, outside the GIL) and drawing the PDFs then share the machine's cores.
    """
    find_font()  # fail before anything is written when the font is missing
    raw = DEMO_CSV.read_bytes()
    rows = [row for _, row in programme_import.parse_csv(raw)[0]]
    seed = _Seed(session=session, policy=policy)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-papers") as pool:
        papers = pool.submit(render_papers, rows, dossiers=DOSSIERS, government=GOVERNMENT)
        seats = seed.people()
        seed_agencies(session=session, actor_id=seed.actor_id)
        focal = seed_focal_points(session=session, actor_id=seed.admin_id)
        items = seed.programme(raw, papers.result(), data_dir)
    seed.meetings(seats, items)
    seed.ballot(items)
    seed_tasks(session=session, actor_id=seed.actor_id, seats=seats, focal=focal)
    return list(DEMO_LOGINS)


@dataclass
class _Seed:
    session: Session
    policy: Policy
    admin_id: int | None = None
    actor_id: int | None = None  # the secretariat, who does everything but the accounts

    def account(self, spec: Account, seats: dict[str, Member] | None = None) -> User:
        member = (seats or {}).get(spec.seat or "")
        data = UserCreate(
            username=spec.username,
            full_name=spec.full_name,
            password=spec.password,
            roles=list(spec.roles),
            member_id=member.id if member else None,
            email=f"{spec.username}@chinhphu.example",  # reminders by email, when SMTP is set
        )
        return create_user(session=self.session, data=data, actor_id=self.admin_id)

    def people(self) -> dict[str, Member]:
        """The accounts and the Government; returns the members by the username of their seat."""
        specs = iter(ACCOUNTS)
        self.admin_id = self.account(next(specs)).id  # admin
        self.actor_id = self.account(next(specs)).id  # thuky
        seats: dict[str, Member] = {}
        for precedence, seat in enumerate(GOVERNMENT, start=1):
            data = MemberCreate(
                full_name=seat.full_name,
                title=seat.title,
                agency=seat.agency,
                precedence=precedence,
                votes=True,
            )
            seats[seat.username] = create_member(session=self.session, data=data, actor_id=self.actor_id)
        for spec in specs:
            self.account(spec, seats)
        return seats

    def programme(self, raw: bytes, papers: list[Paper], data_dir: Path) -> dict[str, ProgrammeItem]:
        """Import the work programme, file the dossiers and move each item to its status."""
        items = programme_import.import_csv(session=self.session, raw=raw, actor_id=self.actor_id)
        by_code = {item.code: item for item in items}
        for paper in papers:
            add_document(
                session=self.session,
                programme_item_id=_id(by_code[paper.item.code]),
                kind=paper.kind,
                title=paper.title,
                sha256=store_original(data_dir, paper.pdf),
                pages=paper.pages,
                size=len(paper.pdf),
                note="Bản gửi kèm hồ sơ trình Chính phủ (dữ liệu minh họa).",
                actor_id=self.actor_id,
                text=paper.text,  # extracted in-process: the demo drew these PDFs itself
            )
        for code in DOSSIERS:
            self.move(by_code[code], "submitted")
            if not programme.readiness(session=self.session, item=by_code[code], policy=self.policy):
                self.move(by_code[code], "ready")
        return by_code

    def move(self, item: ProgrammeItem, status: str) -> None:
        programme.change_status(
            session=self.session, item=item, new=status, actor_id=self.actor_id, policy=self.policy
        )

    def meetings(self, seats: dict[str, Member], items: dict[str, ProgrammeItem]) -> None:
        """The regular session of the programme's first month (published) and a draft thematic one."""
        first = min(item.planned_month for item in items.values())
        guest = self.session.exec(select(User).where(User.username == "khach")).one()
        regular = self.meeting(
            seats["chutoa"],
            "regular",
            first,
            f"Phiên họp Chính phủ thường kỳ tháng {month_label(first)}",
            guests=[_id(guest)],
        )
        audience = [_id(seats[name]) for name in SECURITY_AUDIENCE]
        self.agenda(regular, REGULAR_AGENDA, items, seats["chutoa"], audience)
        publishing.publish(session=self.session, meeting_id=_id(regular), actor_id=self.actor_id)
        self.positions(regular)
        following = _next_month(first)
        title = f"Phiên họp Chính phủ chuyên đề xây dựng pháp luật tháng {month_label(following)}"
        thematic = self.meeting(seats["chutoa"], "thematic", following, title)
        self.agenda(thematic, THEMATIC_AGENDA, items, seats["chutoa"], [])

    def positions(self, meeting: Meeting) -> None:
        """Pre-session positions on the published meeting: an objection takes one item out of
        the consent block, and two wishes to speak wait for the start (docs/positions.md)."""
        items = {
            source.code: item
            for item in agenda_items.list_items(self.session, _id(meeting))
            if item.programme_item_id is not None
            and (source := self.session.get(ProgrammeItem, item.programme_item_id)) is not None
        }
        for username, code, position, comment in DEMO_POSITIONS:
            user = self.session.exec(select(User).where(User.username == username)).one()
            viewer = Viewer(user_id=_id(user), roles=frozenset(user.roles), member_id=user.member_id)
            set_position(
                session=self.session,
                meeting_id=_id(meeting),
                agenda_item_id=items[code].id or 0,
                viewer=viewer,
                data=PositionSet(position=position, comment=comment),
            )

    def ballot(self, items: dict[str, ProgrammeItem]) -> None:
        """An opinion ballot sent today on a decree, due in three days at 17:00, with a few answers
        (docs/opinion-polls.md); the other members find it in their inbox and under the bell."""
        deadline = datetime.combine(
            to_local(utcnow()).date() + timedelta(days=DEMO_BALLOT_DAYS), time(17, 0), tzinfo=LOCAL_TZ
        )
        data = PollCreate(
            programme_item_id=_id(items[DEMO_BALLOT_ITEM]), question=DEMO_BALLOT_QUESTION, deadline=deadline
        )
        poll = poll_lifecycle.create(session=self.session, data=data, actor_id=self.actor_id)
        poll_lifecycle.send(session=self.session, poll_id=poll.id or 0, actor_id=self.actor_id)
        for username, position, comment in DEMO_BALLOT_ANSWERS:
            user = self.session.exec(select(User).where(User.username == username)).one()
            viewer = Viewer(user_id=_id(user), roles=frozenset(user.roles), member_id=user.member_id)
            answer = PollAnswer(position=position, comment=comment)
            poll_lifecycle.respond(session=self.session, poll_id=poll.id or 0, data=answer, viewer=viewer)

    def meeting(
        self, chair: Member, kind: str, month: str, title: str, guests: list[int] | None = None
    ) -> Meeting:
        """A four-hour meeting at 08:00 on the first Thursday of `month`, all voting members invited."""
        day = _first_thursday(month)
        data = MeetingCreate(
            title=title,
            kind=kind,
            starts_at=datetime(day.year, day.month, day.day, 8, 0, tzinfo=LOCAL_TZ),
            duration_minutes=240,
            place=PLACE,
            chair_member_id=_id(chair),
            guest_user_ids=guests,
        )
        return meetings.create_meeting(session=self.session, data=data, actor_id=self.actor_id)

    def agenda(
        self,
        meeting: Meeting,
        slots: Sequence[Slot],
        items: dict[str, ProgrammeItem],
        chair: Member,
        audience: list[int],
    ) -> None:
        presenters = {seat.agency: seat.title for seat in GOVERNMENT}
        for slot in slots:
            source = items[slot.code] if slot.code else None
            reason = slot.override_reason
            if (
                source is not None
                and reason is None
                and programme.readiness(session=self.session, item=source, policy=self.policy)
            ):
                reason = "Dữ liệu minh họa: quy định về hồ sơ của đơn vị khác với mặc định."
            data = AgendaItemCreate(
                programme_item_id=source.id if source else None,
                title=slot.title,
                minutes=slot.minutes,
                presenter=presenters[source.lead_agency] if source else chair.title,
                restricted_member_ids=audience if slot.restricted else None,
                consent=slot.consent,
                override_readiness=reason is not None,
                reason=reason,
            )
            agenda_edits.add_item(
                session=self.session,
                meeting_id=_id(meeting),
                data=data,
                actor_id=self.actor_id,
                policy=self.policy,
            )


def _id(row: Member | User | ProgrammeItem | Meeting) -> int:
    assert row.id is not None
    return row.id


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}"


def _first_thursday(month: str) -> date:
    first = date(int(month[:4]), int(month[5:7]), 1)
    return first + timedelta(days=(3 - first.weekday()) % 7)
