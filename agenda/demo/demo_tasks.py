"""The demo's follow-through: the agency registry, the agencies' focal points (cán bộ đầu mối) and
some thirty tasks in every state. See docs/follow-through.md.

The registry is Vietnam's Government as the demo's programme knows it (the 2021-2026 term, before
the 2025 merger of ministries; ../shared/demo/README.md): 18 ministries, 4 ministerial-level
agencies and 9 Government agencies, with their usual abbreviations as codes. It is seeded before
the programme is imported, so that every item's lead agency links to it by name.

The tasks come from the conclusions of the two regular sessions before the demo's (as the
Government Office's notices of conclusions, "Thông báo số …/TB-VPCP") and from the Prime
Minister's directives. Their history is written through the domain functions on the days it
happened, relative to the day the demo is seeded (`clock.travel`), so each state, report and
extension is real and each event is the one the action appends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from agenda import clock
from agenda.agencies.registry import AgencyCreate, by_name, create_agency
from agenda.demo.cast import AGENCY_PASSWORD, FOCAL_POINTS
from agenda.people.accounts import User, UserCreate, create_user
from agenda.people.members import Member
from agenda.tasks import lifecycle
from agenda.tasks.lifecycle import ExtensionCreate, ExtensionDecision, ReportCreate, TaskCancel, TaskCreate
from agenda.tasks.models import Task

# (code, name, kind), in the order of the Government's structure.
AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("BQP", "Bộ Quốc phòng", "ministry"),
    ("BCA", "Bộ Công an", "ministry"),
    ("BNG", "Bộ Ngoại giao", "ministry"),
    ("BNV", "Bộ Nội vụ", "ministry"),
    ("BTP", "Bộ Tư pháp", "ministry"),
    ("BKHDT", "Bộ Kế hoạch và Đầu tư", "ministry"),
    ("BTC", "Bộ Tài chính", "ministry"),
    ("BCT", "Bộ Công Thương", "ministry"),
    ("BNNPTNT", "Bộ Nông nghiệp và Phát triển nông thôn", "ministry"),
    ("BGTVT", "Bộ Giao thông vận tải", "ministry"),
    ("BXD", "Bộ Xây dựng", "ministry"),
    ("BTNMT", "Bộ Tài nguyên và Môi trường", "ministry"),
    ("BTTTT", "Bộ Thông tin và Truyền thông", "ministry"),
    ("BLDTBXH", "Bộ Lao động - Thương binh và Xã hội", "ministry"),
    ("BVHTTDL", "Bộ Văn hóa, Thể thao và Du lịch", "ministry"),
    ("BKHCN", "Bộ Khoa học và Công nghệ", "ministry"),
    ("BGDDT", "Bộ Giáo dục và Đào tạo", "ministry"),
    ("BYT", "Bộ Y tế", "ministry"),
    ("UBDT", "Ủy ban Dân tộc", "ministerial"),
    ("NHNN", "Ngân hàng Nhà nước Việt Nam", "ministerial"),
    ("TTCP", "Thanh tra Chính phủ", "ministerial"),
    ("VPCP", "Văn phòng Chính phủ", "ministerial"),
    ("BQLLCTHCM", "Ban Quản lý Lăng Chủ tịch Hồ Chí Minh", "government"),
    ("BHXHVN", "Bảo hiểm xã hội Việt Nam", "government"),
    ("TTXVN", "Thông tấn xã Việt Nam", "government"),
    ("VOV", "Đài Tiếng nói Việt Nam", "government"),
    ("VTV", "Đài Truyền hình Việt Nam", "government"),
    ("HVCTQGHCM", "Học viện Chính trị quốc gia Hồ Chí Minh", "government"),
    ("VHLKHCNVN", "Viện Hàn lâm Khoa học và Công nghệ Việt Nam", "government"),
    ("VHLKHXHVN", "Viện Hàn lâm Khoa học xã hội Việt Nam", "government"),
    ("UBQLVNN", "Ủy ban Quản lý vốn nhà nước tại doanh nghiệp", "government"),
)


OCT = "Thông báo số 471/TB-VPCP (phiên họp thường kỳ tháng 10)"
NOV = "Thông báo số 523/TB-VPCP (phiên họp thường kỳ tháng 11)"


@dataclass(frozen=True)
class Spec:
    """One demo task. Days count from the seeding day: `assigned` days ago, due `due` days from
    today (negative: in the past); `done` days from today (<= 0) it was completed."""

    title: str
    agency: str
    assigned: int
    due: int
    source: str
    leader: str = "pttg.thuongtruc"
    cooperating: tuple[str, ...] = ()
    done: int | None = None
    progress: str | None = None
    cancelled: int | None = None
    extended_to: int | None = None  # approved: the new due date, days from today
    asks_until: int | None = None  # a pending extension request
    audience: tuple[str, ...] = field(default_factory=tuple)  # restricted to these usernames


SPECS: tuple[Spec, ...] = (
    # Done on time.
    Spec("Báo cáo tình hình thu ngân sách nhà nước 10 tháng", "Bộ Tài chính", 60, -30, OCT, done=-33),
    Spec(
        "Ban hành hướng dẫn quyết toán vốn đầu tư công năm 2026",
        "Bộ Tài chính",
        58,
        -10,
        OCT,
        done=-12,
        cooperating=("Bộ Kế hoạch và Đầu tư",),
    ),
    Spec(
        "Trình Chính phủ Nghị định sửa đổi quy định về hóa đơn điện tử", "Bộ Tài chính", 30, 20, NOV, done=-2
    ),
    Spec("Hoàn thiện hồ sơ dự án Luật Đấu thầu (sửa đổi)", "Bộ Kế hoạch và Đầu tư", 60, -25, OCT, done=-26),
    Spec(
        "Báo cáo đánh giá tác động của chính sách giảm thuế giá trị gia tăng",
        "Bộ Tài chính",
        55,
        -15,
        OCT,
        done=-15,
        leader="pttg.tuan",
    ),
    Spec("Tổng kết thi hành Luật Nhà ở năm 2014", "Bộ Xây dựng", 60, -20, OCT, done=-21, leader="pttg.hien"),
    Spec("Triển khai cấp căn cước điện tử cho người dân", "Bộ Công an", 58, -5, OCT, done=-6),
    Spec("Báo cáo tình hình giải ngân vốn ODA", "Bộ Kế hoạch và Đầu tư", 30, -3, NOV, done=-4),
    Spec(
        "Hướng dẫn các địa phương bảo đảm cung ứng điện mùa khô",
        "Bộ Công Thương",
        28,
        -7,
        NOV,
        done=-8,
        leader="pttg.hien",
    ),
    # Done late.
    Spec(
        "Đề xuất cơ chế tự chủ tài chính của đơn vị sự nghiệp công lập",
        "Bộ Tài chính",
        60,
        -21,
        OCT,
        done=-9,
        progress="Đã lấy ý kiến các bộ, đang tổng hợp, tiếp thu.",
    ),
    Spec(
        "Sửa đổi Quy chế phối hợp giải quyết thủ tục hành chính liên thông",
        "Văn phòng Chính phủ",
        59,
        -14,
        OCT,
        done=-5,
    ),
    Spec(
        "Báo cáo kết quả xử lý kiến nghị của cử tri về đất đai",
        "Bộ Tài nguyên và Môi trường",
        60,
        -28,
        OCT,
        done=-16,
        leader="pttg.tuan",
    ),
    Spec(
        "Rà soát các dự án điện gió chậm tiến độ", "Bộ Công Thương", 30, -12, NOV, done=-1, leader="pttg.hien"
    ),
    # Open, within the deadline (some due this week: the reminders and the board's "at risk").
    Spec(
        "Xây dựng Đề án phát triển thị trường trái phiếu doanh nghiệp",
        "Bộ Tài chính",
        30,
        3,
        NOV,
        progress="Đã xây dựng dự thảo Đề án, đang lấy ý kiến Ngân hàng Nhà nước Việt Nam.",
        cooperating=("Ngân hàng Nhà nước Việt Nam",),
    ),
    Spec("Trình Chính phủ dự toán chi thường xuyên năm 2027 của các bộ", "Bộ Tài chính", 25, 6, NOV),
    Spec(
        "Hoàn thiện Nghị định về định danh và xác thực điện tử",
        "Bộ Công an",
        30,
        5,
        NOV,
        cooperating=("Bộ Thông tin và Truyền thông", "Bộ Tư pháp"),
    ),
    Spec("Báo cáo tình hình thực hiện Đề án 06 tại các địa phương", "Bộ Công an", 25, 25, NOV),
    Spec(
        "Xây dựng kế hoạch phòng, chống rét cho cây trồng, vật nuôi",
        "Bộ Nông nghiệp và Phát triển nông thôn",
        20,
        12,
        NOV,
        leader="pttg.tuan",
    ),
    Spec(
        "Triển khai nền tảng chia sẻ dữ liệu quốc gia",
        "Bộ Thông tin và Truyền thông",
        30,
        40,
        NOV,
        leader="chutoa",
    ),
    Spec(
        "Sơ kết 3 năm thực hiện Chương trình mục tiêu quốc gia giảm nghèo bền vững",
        "Bộ Lao động - Thương binh và Xã hội",
        28,
        18,
        NOV,
        leader="pttg.binh",
    ),
    Spec(
        "Kiểm tra việc quản lý, sử dụng vốn nhà nước tại doanh nghiệp",
        "Thanh tra Chính phủ",
        20,
        30,
        "Chỉ thị số 21/CT-TTg",
        leader="chutoa",
    ),
    # Extended: the original date is kept; now within the new deadline.
    Spec(
        "Sửa đổi Nghị định về quản lý nợ công",
        "Bộ Tài chính",
        60,
        20,
        OCT,
        extended_to=20,
        progress="Đang chờ ý kiến thẩm định của Bộ Tư pháp.",
    ),
    # Open and overdue.
    Spec(
        "Trình Chính phủ Nghị định về kinh doanh xăng dầu",
        "Bộ Công Thương",
        60,
        -12,
        OCT,
        progress="Đang tiếp thu ý kiến thành viên Chính phủ.",
        leader="pttg.hien",
    ),
    Spec("Báo cáo việc sắp xếp lại, xử lý nhà, đất công", "Bộ Tài chính", 58, -4, OCT, asks_until=26),
    Spec("Hoàn thiện quy hoạch mạng lưới cơ sở y tế", "Bộ Y tế", 60, -9, OCT, leader="pttg.binh"),
    Spec(
        "Đề xuất tháo gỡ vướng mắc trong định giá đất",
        "Bộ Tài nguyên và Môi trường",
        30,
        -2,
        NOV,
        leader="pttg.tuan",
    ),
    Spec(
        "Ban hành tiêu chuẩn cơ sở giáo dục đại học",
        "Bộ Giáo dục và Đào tạo",
        58,
        -16,
        OCT,
        leader="pttg.binh",
    ),
    Spec("Rà soát thủ tục cấp phép xây dựng", "Bộ Xây dựng", 30, -1, NOV, leader="pttg.hien"),
    # Restricted: a security matter for the Ministry of Public Security and the Prime Minister.
    Spec(
        "Xây dựng phương án bảo đảm an ninh mạng cho hệ thống thông tin quan trọng",
        "Bộ Công an",
        30,
        10,
        "Thông báo số 524/TB-VPCP (nội dung mật)",
        leader="chutoa",
        audience=("chutoa", "pttg.thuongtruc"),
    ),
    # Cancelled.
    Spec(
        "Nghiên cứu thành lập Quỹ hỗ trợ khởi nghiệp quốc gia",
        "Bộ Kế hoạch và Đầu tư",
        60,
        10,
        OCT,
        cancelled=-20,
    ),
    Spec(
        "Báo cáo phương án điều chỉnh giá vé tàu Tết",
        "Bộ Giao thông vận tải",
        28,
        5,
        NOV,
        cancelled=-3,
        leader="pttg.tuan",
    ),
)
CANCEL_REASON = "Nội dung đã được giải quyết trong Nghị quyết phiên họp Chính phủ thường kỳ."


def seed_agencies(*, session: Session, actor_id: int | None) -> None:
    """The registry, before the programme is imported (which links its lead agencies by name)."""
    for code, name, kind in AGENCIES:
        create_agency(session=session, data=AgencyCreate(code=code, name=name, kind=kind), actor_id=actor_id)


def seed_focal_points(*, session: Session, actor_id: int | None) -> dict[str, User]:
    """The agencies' focal points, by agency name."""
    found: dict[str, User] = {}
    for focal in FOCAL_POINTS:
        agency = by_name(session, focal.agency)
        assert agency is not None and agency.id is not None
        data = UserCreate(
            username=focal.username,
            full_name=focal.full_name,
            password=AGENCY_PASSWORD,
            roles=["agency"],
            agency_id=agency.id,
            email=f"{focal.username}@chinhphu.example",
        )
        found[focal.agency] = create_user(session=session, data=data, actor_id=actor_id)
    return found


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=clock.LOCAL_TZ)


def seed_tasks(
    *, session: Session, actor_id: int | None, seats: dict[str, Member], focal: dict[str, User]
) -> list[Task]:
    """The tasks and their history, each step on its own day; the clock is put back after."""
    today = clock.local_today()
    users = {u.username: u.id for u in session.exec(select(User)).all() if u.id is not None}
    made: list[Task] = []
    for spec in SPECS:
        reporter = focal[spec.agency].id if spec.agency in focal else actor_id
        with clock.travel(_at(today - timedelta(days=spec.assigned))):
            data = TaskCreate(
                title=spec.title,
                lead_agency=spec.agency,
                due_on=today + timedelta(days=spec.due if spec.extended_to is None else -spec.assigned // 2),
                description=f"Theo {spec.source}.",
                cooperating_agencies=list(spec.cooperating),
                leader_member_id=seats[spec.leader].id,
                document_number=spec.source.split(" (")[0].removeprefix("Thông báo số ")[:64],
                restricted_user_ids=[users[name] for name in spec.audience if users.get(name)],
            )
            task = lifecycle.create_task(session=session, data=data, actor_id=actor_id)
        made.append(task)
        _history(session, task, spec, today, reporter, actor_id)
    return made


def _history(
    session: Session, task: Task, spec: Spec, today: date, reporter: int | None, actor_id: int | None
) -> None:
    start = today - timedelta(days=spec.assigned)
    if spec.progress:
        with clock.travel(_at(start + timedelta(days=spec.assigned // 3))):
            lifecycle.add_report(
                session=session, task=task, data=ReportCreate(text=spec.progress), actor_id=reporter
            )
    if spec.extended_to is not None:
        asked = start + timedelta(days=spec.assigned // 3 + 1)
        with clock.travel(_at(asked)):
            request = lifecycle.request_extension(
                session=session,
                task=task,
                data=ExtensionCreate(
                    reason="Cần thêm thời gian lấy ý kiến thẩm định.",
                    due_on=today + timedelta(days=spec.extended_to),
                ),
                actor_id=reporter,
            )
        with clock.travel(_at(asked + timedelta(days=1))):
            lifecycle.decide_extension(
                session=session,
                extension_id=request.id or 0,
                data=ExtensionDecision(approve=True, note="Đồng ý gia hạn theo đề nghị."),
                actor_id=actor_id,
            )
    if spec.asks_until is not None:
        with clock.travel(_at(today - timedelta(days=1))):
            lifecycle.request_extension(
                session=session,
                task=task,
                data=ExtensionCreate(
                    reason="Chờ kết quả kiểm kê của các địa phương.",
                    due_on=today + timedelta(days=spec.asks_until),
                ),
                actor_id=reporter,
            )
    if spec.done is not None:
        with clock.travel(_at(today + timedelta(days=spec.done))):
            lifecycle.add_report(
                session=session,
                task=task,
                data=ReportCreate(
                    text="Đã hoàn thành, gửi kèm văn bản báo cáo Thủ tướng Chính phủ.", done=True
                ),
                actor_id=reporter,
            )
    if spec.cancelled is not None:
        with clock.travel(_at(today + timedelta(days=spec.cancelled))):
            lifecycle.cancel_task(
                session=session, task=task, data=TaskCancel(reason=CANCEL_REASON), actor_id=actor_id
            )
