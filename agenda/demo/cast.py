"""The demo's cast: an invented Government (the names are invented, the titles real) and its logins.

agenda/demo/demo.py seeds them; agenda/demo/demo_papers.py signs the demo papers with them.
"""

from __future__ import annotations

from dataclasses import dataclass

PLACE = "Phòng họp A, Trụ sở Chính phủ, 1 Hoàng Hoa Thám, Hà Nội"


ADMIN_PASSWORD = "demo-admin-2026"


SECRETARIAT_PASSWORD = "demo-thuky-2026"


CHAIR_PASSWORD = "demo-chutoa-2026"


MEMBER_PASSWORD = "demo-member-2026"


ASSISTANT_PASSWORD = "demo-troly-2026"


GUEST_PASSWORD = "demo-khach-2026"


OBSERVER_PASSWORD = "demo-manhinh-2026"
AGENCY_PASSWORD = "demo-daumoi-2026"


@dataclass(frozen=True)
class Seat:
    """One seat in the demo Government. The names are invented; the titles are real."""

    username: str
    full_name: str
    title: str
    agency: str
    abbr: str  # used in document numbers, e.g. 215/TTr-BTC
    signer: str  # the title above the signature


def _minister(username: str, full_name: str, ministry: str, abbr: str) -> Seat:
    return Seat(username, full_name, f"Bộ trưởng {ministry}", ministry, abbr, "BỘ TRƯỞNG")


# In order of precedence (../shared/DESIGN.md, ../shared/demo/README.md).
GOVERNMENT: tuple[Seat, ...] = (
    Seat("chutoa", "Tạ Quang Khải", "Thủ tướng Chính phủ", "Chính phủ", "TTg", "THỦ TƯỚNG"),
    Seat(
        "pttg.thuongtruc", "Đinh Thị Thu Hà", "Phó Thủ tướng Thường trực", "Chính phủ", "TTg", "PHÓ THỦ TƯỚNG"
    ),
    Seat("pttg.tuan", "Lạc Minh Tuấn", "Phó Thủ tướng", "Chính phủ", "TTg", "PHÓ THỦ TƯỚNG"),
    Seat("pttg.hien", "Kiều Văn Hiển", "Phó Thủ tướng", "Chính phủ", "TTg", "PHÓ THỦ TƯỚNG"),
    Seat("pttg.binh", "Mai Thanh Bình", "Phó Thủ tướng", "Chính phủ", "TTg", "PHÓ THỦ TƯỚNG"),
    _minister("bt.quocphong", "Quách Đình Phong", "Bộ Quốc phòng", "BQP"),
    _minister("bt.congan", "Thái Bảo Long", "Bộ Công an", "BCA"),
    _minister("bt.ngoaigiao", "Cao Ngọc Diệp", "Bộ Ngoại giao", "BNG"),
    _minister("bt.noivu", "La Thị Huyền Trang", "Bộ Nội vụ", "BNV"),
    _minister("bt.tuphap", "Âu Dương Khánh", "Bộ Tư pháp", "BTP"),
    _minister("bt.khdt", "Ninh Văn Thành", "Bộ Kế hoạch và Đầu tư", "BKHĐT"),
    _minister("bt.taichinh", "Tôn Nữ Minh Châu", "Bộ Tài chính", "BTC"),
    _minister("bt.congthuong", "Phùng Gia Hưng", "Bộ Công Thương", "BCT"),
    _minister("bt.nnptnt", "Lò Văn Sinh", "Bộ Nông nghiệp và Phát triển nông thôn", "BNNPTNT"),
    _minister("bt.gtvt", "Chu Đức Toàn", "Bộ Giao thông vận tải", "BGTVT"),
    _minister("bt.xaydung", "Hà Quốc Việt", "Bộ Xây dựng", "BXD"),
    _minister("bt.tnmt", "Diệp Thanh Tùng", "Bộ Tài nguyên và Môi trường", "BTNMT"),
    _minister("bt.tttt", "Trương Khánh Linh", "Bộ Thông tin và Truyền thông", "BTTTT"),
    _minister("bt.ldtbxh", "Bạch Thị Ngọc Lan", "Bộ Lao động - Thương binh và Xã hội", "BLĐTBXH"),
    _minister("bt.vhttdl", "Vi Hoàng Sơn", "Bộ Văn hóa, Thể thao và Du lịch", "BVHTTDL"),
    _minister("bt.khcn", "Giang Minh Khoa", "Bộ Khoa học và Công nghệ", "BKHCN"),
    _minister("bt.gddt", "Khúc Thị Thanh Nhàn", "Bộ Giáo dục và Đào tạo", "BGDĐT"),
    _minister("bt.yte", "Tăng Hữu Phúc", "Bộ Y tế", "BYT"),
    Seat(
        "bt.dantoc",
        "Lù Văn Chiến",
        "Bộ trưởng, Chủ nhiệm Ủy ban Dân tộc",
        "Ủy ban Dân tộc",
        "UBDT",
        "BỘ TRƯỞNG, CHỦ NHIỆM",
    ),
    Seat(
        "thongdoc",
        "Văn Thị Bích Ngọc",
        "Thống đốc Ngân hàng Nhà nước Việt Nam",
        "Ngân hàng Nhà nước Việt Nam",
        "NHNN",
        "THỐNG ĐỐC",
    ),
    Seat(
        "tongthanhtra",
        "Tiêu Đức Hạnh",
        "Tổng Thanh tra Chính phủ",
        "Thanh tra Chính phủ",
        "TTCP",
        "TỔNG THANH TRA",
    ),
    Seat(
        "bt.vpcp",
        "Mạc Quang Vinh",
        "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ",
        "Văn phòng Chính phủ",
        "VPCP",
        "BỘ TRƯỞNG, CHỦ NHIỆM",
    ),
)


@dataclass(frozen=True)
class Account:
    """One demo login; `seat` names the member (by seat username) the account is linked to."""

    username: str
    full_name: str
    roles: tuple[str, ...]
    password: str
    seat: str | None = None
    note: str = ""


ACCOUNTS: tuple[Account, ...] = (
    Account("admin", "Quản trị hệ thống", ("admin",), ADMIN_PASSWORD),
    Account(
        "thuky", "Phan Ngọc Ánh (Vụ Tổng hợp – Văn phòng Chính phủ)", ("secretariat",), SECRETARIAT_PASSWORD
    ),
    Account(
        "chutoa", GOVERNMENT[0].full_name, ("chair", "member"), CHAIR_PASSWORD, "chutoa", GOVERNMENT[0].title
    ),
    *(
        Account(s.username, s.full_name, ("member",), MEMBER_PASSWORD, s.username, s.title)
        for s in GOVERNMENT[1:]
    ),
    Account(
        "troly.taichinh",
        "Nghiêm Minh Quân",
        ("assistant",),
        ASSISTANT_PASSWORD,
        "bt.taichinh",
        "trợ lý Bộ trưởng Bộ Tài chính",
    ),
    Account("khach", "Tống Minh Đức", ("guest",), GUEST_PASSWORD, note="khách mời phiên họp thường kỳ"),
    Account("manhinh", "Màn hình Phòng họp A", ("observer",), OBSERVER_PASSWORD, note="màn hình phòng họp"),
)


@dataclass(frozen=True)
class FocalPoint:
    """An `agency` account: one agency's focal point for the programme and its tasks."""

    username: str
    full_name: str
    agency: str


FOCAL_POINTS: tuple[FocalPoint, ...] = (
    FocalPoint("cb.btc", "Lưu Thị Thanh Hương (Văn phòng Bộ Tài chính)", "Bộ Tài chính"),
    FocalPoint("cb.bca", "Doãn Văn Khang (Văn phòng Bộ Công an)", "Bộ Công an"),
)


DEMO_LOGINS: tuple[tuple[str, str, str], ...] = tuple(
    (a.username, a.password, f"{', '.join(a.roles)} – {a.note or a.full_name}") for a in ACCOUNTS
) + tuple((f.username, AGENCY_PASSWORD, f"agency – cán bộ đầu mối {f.agency}") for f in FOCAL_POINTS)
