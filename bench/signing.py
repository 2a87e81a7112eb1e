"""Signing (issue 16): sign a 40-page session resolution and validate it, p50 and p99 over 20 runs,
with the key in a PKCS#11 token (SoftHSM2) and in a PKCS#12 file.

Standalone: no database and no server. In one temporary folder (removed at the end; the SoftHSM2
library reads its config once per process, so the whole run shares it, and an inherited
SOFTHSM2_CONF is dropped so that no token lands outside it) it creates the demo CA and the demo
TSA (agenda/signing/config.py), then for each store enrols two signers of the demo cast, the
chair and the Minister-Chairman of the Government Office (key, certificate from the demo CA;
timed once, not part of the figures).

The document is the project's own draft session resolution (agenda/record/minutes_pdf.py
`render_resolution`) over the items of the demo work programme (agenda/demo/data/
work-programme.csv), each adopted with a long conclusion and the tasks it gave, with as many
items as it takes to reach --pages pages (40 items make exactly 40 pages).

Each run, for each store in turn (so both see the same machine), through agenda/signing/service.py
and verify.py as the app calls them:
  sign                 the chair signs the unsigned PDF (always the same bytes): the PIN, the
                       key, the visible signature on the last page, the timestamp and the
                       long-term validation data (with --tsa demo), one incremental write
  validate             verify_pdf of that output against the demo CA and its CRL
  sign + validate      the two above, per run
  sign (2nd signature) the second signer signs over the signed file (an incremental update:
                       the minutes' real case, secretary and chair)
  validate (2 signatures)  verify_pdf of the twice-signed file
Every output must validate (both signatures intact, valid, trusted); a failure is printed and the
exit status is 1. One warm-up run per store is not counted. The machine's versions and load
average are printed at the start, the load average again at the end. p99 is the nearest-rank 99th
percentile; with 20 runs it is the slowest run. --tsa demo (the default configuration: the demo
CA's RFC 3161 TSA in process, level B-LT), none (SigningConfig(tsa_url=""): no timestamp, the
signer's clock) or both.

    .venv/bin/python bench/signing.py [--runs 20] [--pages 40] [--tsa demo|none|both]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import logging
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message="DSA is deprecated")  # pyHanko imports it; never used

import pypdf  # noqa: E402

from agenda.demo.cast import GOVERNMENT, PLACE  # noqa: E402
from agenda.record.minutes_pdf import render_resolution  # noqa: E402
from agenda.signing import service, verify  # noqa: E402
from agenda.signing.appearance import Appearance  # noqa: E402
from agenda.signing.config import SOFTHSM, SigningConfig  # noqa: E402
from agenda.signing.pdf_sign import Placement, Signed  # noqa: E402
from agenda.signing.records import SigningIdentity  # noqa: E402

PROGRAMME = ROOT / "agenda" / "demo" / "data" / "work-programme.csv"
STORES = ("pkcs11", "pkcs12")
STORE_NAMES = {"pkcs11": "PKCS#11 (SoftHSM2)", "pkcs12": "PKCS#12 file"}
STEPS = ("sign", "validate", "sign + validate", "sign (2nd signature)", "validate (2 signatures)")
CHAIR = next(s for s in GOVERNMENT if s.username == "chutoa")
SECOND = next(s for s in GOVERNMENT if s.username == "bt.vpcp")
PINS = {CHAIR.username: "246810", SECOND.username: "135790"}

POINTS = (
    "Chính phủ đánh giá cao {agency} đã chủ động, tích cực phối hợp với các bộ, cơ quan liên quan "
    "chuẩn bị {title}; hồ sơ cơ bản bảo đảm đầy đủ, đúng trình tự, thủ tục theo quy định. Các thành "
    "viên Chính phủ cơ bản thống nhất với sự cần thiết, mục đích, quan điểm chỉ đạo và những nội dung "
    "chủ yếu, đồng thời phát biểu nhiều ý kiến tâm huyết, trách nhiệm, sát thực tiễn.",
    "Giao {agency} chủ trì, phối hợp với Bộ Tư pháp, Văn phòng Chính phủ và các cơ quan liên quan "
    "nghiên cứu, tiếp thu tối đa ý kiến của các thành viên Chính phủ, hoàn thiện hồ sơ, báo cáo Thủ "
    "tướng Chính phủ trước ngày {due}; chịu trách nhiệm về nội dung, số liệu báo cáo.",
    "Rà soát kỹ các quy định còn chồng chéo, mâu thuẫn, bảo đảm tính thống nhất, đồng bộ của hệ "
    "thống pháp luật; cắt giảm tối đa thủ tục hành chính, điều kiện kinh doanh không cần thiết và chi "
    "phí tuân thủ cho người dân, doanh nghiệp; quy định rõ trách nhiệm của từng cơ quan, từng cấp.",
    "Làm rõ tác động của chính sách đến ngân sách nhà nước, nguồn lực bảo đảm thi hành và lộ trình "
    "thực hiện phù hợp; đánh giá đầy đủ tác động về giới, về thủ tục hành chính và về quyền, nghĩa vụ "
    "của các đối tượng chịu sự tác động theo quy định của Luật Ban hành văn bản quy phạm pháp luật.",
    "Đẩy mạnh phân cấp, phân quyền gắn với phân bổ nguồn lực hợp lý, nâng cao năng lực thực thi của "
    "chính quyền địa phương; tăng cường thanh tra, kiểm tra, giám sát và kiểm soát quyền lực, phòng, "
    "chống tham nhũng, tiêu cực, lợi ích nhóm trong quá trình tổ chức thực hiện.",
    "Tăng cường ứng dụng công nghệ thông tin và chuyển đổi số; xây dựng, kết nối và chia sẻ cơ sở dữ "
    "liệu dùng chung giữa các bộ, ngành, địa phương, bảo đảm an toàn, an ninh mạng và bảo vệ dữ liệu "
    "cá nhân; thực hiện thủ tục hành chính trên môi trường điện tử ở mức độ toàn trình.",
    "Bộ Tài chính cân đối, bố trí kinh phí thực hiện theo quy định của Luật Ngân sách nhà nước; Bộ Tư "
    "pháp thẩm định, bảo đảm tính hợp hiến, hợp pháp, tính thống nhất của văn bản; Bộ Nội vụ hướng "
    "dẫn về tổ chức bộ máy, biên chế có liên quan.",
    "Đối với các vấn đề còn ý kiến khác nhau, {agency} tiếp tục phối hợp chặt chẽ với các cơ quan liên "
    "quan nghiên cứu, thống nhất phương án, báo cáo Phó Thủ tướng Chính phủ phụ trách lĩnh vực xem "
    "xét, quyết định; trường hợp vượt thẩm quyền, báo cáo Thủ tướng Chính phủ.",
    "Các bộ, cơ quan ngang bộ, Ủy ban nhân dân các tỉnh, thành phố trực thuộc trung ương theo chức "
    "năng, nhiệm vụ được giao phối hợp chặt chẽ với {agency}; tổ chức tốt công tác truyền thông chính "
    "sách, lấy ý kiến rộng rãi của các đối tượng chịu sự tác động, nhất là người dân và doanh nghiệp.",
    "Văn phòng Chính phủ theo dõi, đôn đốc việc thực hiện, tổng hợp tình hình và báo cáo Thủ tướng "
    "Chính phủ tại phiên họp Chính phủ thường kỳ hằng tháng; kịp thời báo cáo những khó khăn, vướng "
    "mắc vượt thẩm quyền.",
)
TASKS = (
    "Tiếp thu, giải trình ý kiến thành viên Chính phủ, hoàn thiện hồ sơ",
    "Phối hợp với Bộ Tư pháp rà soát tính thống nhất của hệ thống pháp luật",
    "Xây dựng kế hoạch triển khai, văn bản quy định chi tiết và hướng dẫn thi hành",
    "Tổ chức truyền thông chính sách và lấy ý kiến đối tượng chịu tác động",
)


def resolution_doc(pages_wanted: int) -> tuple[dict[str, Any], bytes, int]:
    """The smallest run of adopted items (the programme's, cycled if need be) whose resolution is
    at least `pages_wanted` pages: (doc, PDF, pages)."""
    rng = random.Random(16)
    with PROGRAMME.open(encoding="utf-8") as handle:
        programme = list(csv.DictReader(handle))
    started = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội

    def item(n: int) -> dict[str, Any]:
        row = programme[n % len(programme)]
        title = row["title"]
        due = date(2027, 1, 15) + timedelta(days=rng.randrange(0, 120))
        context = {
            "agency": row["lead_agency"],
            "title": title[0].lower() + title[1:],
            "due": f"{due:%d/%m/%Y}",
        }
        points = [POINTS[0], POINTS[1], *rng.sample(POINTS[2:], 6)]
        conclusion = "\n".join(f"{k}. {p.format(**context)}" for k, p in enumerate(points, start=1))
        tasks = [
            {
                "code": f"NV-{n + 1:02d}-{k:02d}/2026",
                "title": f"{task}: {title}",
                "lead_agency": row["lead_agency"],
                "due_on": (due + timedelta(days=30 * k)).isoformat(),
            }
            for k, task in enumerate(rng.sample(TASKS, rng.randint(1, 3)), start=1)
        ]
        return {
            "id": n + 1,
            "position": n + 1,
            "title": title,
            "code": row["code"],
            "outcome": "adopted_with_changes" if n % 5 == 2 else "adopted",
            "conclusion": conclusion,
            "consent": row["kind"] == "report" and n % 3 == 0,
            "tasks": tasks,
            "restricted_tasks": 1 if n % 7 == 4 else 0,
        }

    candidates = [item(n) for n in range(4 * len(programme))]

    def build(count: int) -> tuple[dict[str, Any], bytes, int]:
        items = candidates[:count]
        doc = {
            "meeting_id": 1,
            "state": "draft",
            "record": {
                "meeting": {
                    "id": 1,
                    "title": "Phiên họp Chính phủ thường kỳ tháng 11 năm 2026",
                    "kind": "regular",
                    "place": PLACE,
                    "starts_at": started.isoformat(),
                    "chair": {"member_id": 1, "full_name": CHAIR.full_name, "title": CHAIR.title},
                },
                "items": items,
                "timings": {"started_at": started.isoformat()},
            },
            "resolution": {"items": items},
            "last_event": {"seq": 1873, "hash": hashlib.sha256(b"bench-signing").hexdigest()},
        }
        data = render_resolution(doc)
        return doc, data, len(pypdf.PdfReader(io.BytesIO(data)).pages)

    # Pages grow with the items: estimate the count from the whole programme, then walk to the
    # smallest count that reaches the pages wanted.
    pages = build(len(programme))[2]
    count = max(1, min(len(candidates), -(-pages_wanted * len(programme) // pages)))
    found = build(count)
    while found[2] < pages_wanted and count < len(candidates):
        count += 1
        found = build(count)
    while count > 1 and (smaller := build(count - 1))[2] >= pages_wanted:
        count, found = count - 1, smaller
    return found


@dataclass
class Store:
    config: SigningConfig
    signers: dict[str, SigningIdentity] = field(default_factory=dict)
    enrolment: dict[str, float] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=lambda: {step: [] for step in STEPS})
    sizes: tuple[int, int] = (0, 0)
    levels: tuple[str, str] = ("", "")


def enrol(store: Store) -> None:
    for seat in (CHAIR, SECOND):
        started = time.perf_counter()
        store.signers[seat.username] = service.enrol(
            store.config,
            user_id=len(store.signers) + 1,
            username=seat.username,
            pin=PINS[seat.username],
            common_name=seat.full_name,
            title=seat.title,
        )
        store.enrolment[seat.username] = time.perf_counter() - started


def one_run(store: Store, unsigned: bytes, *, counted: bool) -> list[str]:
    """One run of the steps on `store`; returns what did not validate."""
    config, trust = store.config, store.config.trust()
    problems: list[str] = []
    outputs: list[Signed] = []
    for n, seat, x in ((1, CHAIR, 300), (2, SECOND, 60)):
        source = unsigned if n == 1 else outputs[-1].data
        appearance = Appearance(seat.full_name, seat.title, config.organisation, datetime.now(UTC))
        job = service.SignJob(source, f"Sig{n}", Placement(page=-1, x=x, y=80), appearance)
        started = time.perf_counter()
        signed = service.sign(config, store.signers[seat.username], PINS[seat.username], job)
        signing = time.perf_counter() - started
        started = time.perf_counter()
        report = verify.verify_pdf(signed.data, trust.roots, trust.crls)
        validating = time.perf_counter() - started
        outputs.append(signed)
        if not report["valid"] or len(report["signatures"]) != n:
            problems.append(f"{config.store}, {n} signature(s): {report['signatures']}")
        if counted and n == 1:
            store.times["sign"].append(signing)
            store.times["validate"].append(validating)
            store.times["sign + validate"].append(signing + validating)
        elif counted:
            store.times["sign (2nd signature)"].append(signing)
            store.times["validate (2 signatures)"].append(validating)
    store.sizes = (len(outputs[0].data), len(outputs[1].data))
    store.levels = (outputs[0].level, outputs[1].level)
    return problems


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def machine() -> str:
    softhsm = "not found"
    if tool := shutil.which("softhsm2-util"):
        softhsm = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.strip()
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("pyhanko", "python-pkcs11", "cryptography", "pypdf", "fpdf2")
    )
    return (
        f"python {platform.python_version()}, {packages}, SoftHSM {softhsm}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}, {platform.processor() or platform.system()}), "
        f"{load()}"
    )


def load() -> str:
    """The 1, 5 and 15 minute load averages: the figures mean little on a busy machine."""
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


def report(tsa: str, stores: dict[str, Store], runs: int, unsigned: bytes) -> None:
    print(f"\n== TSA {tsa}: ms over {runs} runs (p99 is the nearest rank: with {runs} runs, the slowest)")
    head = "".join(f" {STORE_NAMES[s] + ' p50':>24} {'p99':>7}" for s in STORES)
    print(f"{'step':<24}{head} {'p50 ratio PKCS#11/PKCS#12':>26}")
    for step in STEPS:
        p11, p12 = (stores[s].times[step] for s in STORES)
        cells = "".join(f" {statistics.median(t) * 1000:>24.0f} {p99(t) * 1000:>7.0f}" for t in (p11, p12))
        ratio = statistics.median(p11) / statistics.median(p12)
        print(f"{step:<24}{cells} {ratio:>25.2f}x")
    for s in STORES:
        one, two = stores[s].sizes
        print(
            f"{STORE_NAMES[s]}: level {stores[s].levels[0]} / {stores[s].levels[1]}; "
            f"unsigned {len(unsigned) / 1024:.0f} KiB, signed once {one / 1024:.0f} KiB "
            f"(+{(one - len(unsigned)) / 1024:.0f} KiB), twice {two / 1024:.0f} KiB "
            f"(+{(two - one) / 1024:.0f} KiB more)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--tsa", choices=("demo", "none", "both"), default="demo")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    # pyHanko warns on every signature that revocation data is embedded with fetching off: that is
    # the configuration (the demo CA's CRL is handed in), not news.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    os.environ.pop("SOFTHSM2_CONF", None)  # the tokens go to the temporary folder
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # and it is removed when killed too
    if not Path(SOFTHSM).exists():
        sys.exit(f"no SoftHSM2 module at {SOFTHSM}: apt-get install softhsm2")

    doc, unsigned, pages = resolution_doc(args.pages)
    started = time.perf_counter()
    render_resolution(doc)
    print(
        f"document: the draft session resolution, {len(doc['resolution']['items'])} adopted items, "
        f"{pages} pages, {len(unsigned) / 1024:.0f} KiB (render_resolution: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms)"
    )
    print(machine())
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ecabinet-bench-signing-") as folder:
        enrolled = {s: Store(SigningConfig(folder=Path(folder), store=s)) for s in STORES}
        for name, store in enrolled.items():
            enrol(store)
            times = ", ".join(f"{u} {t * 1000:.0f} ms" for u, t in store.enrolment.items())
            print(f"enrolment on {STORE_NAMES[name]} (not in the figures): {times}")
        for tsa in ("demo", "none") if args.tsa == "both" else (args.tsa,):
            stores = {
                s: Store(replace(e.config, tsa_url="demo" if tsa == "demo" else ""), e.signers)
                for s, e in enrolled.items()
            }
            for store in stores.values():
                failed += one_run(store, unsigned, counted=False)  # warm-up
            for _ in range(args.runs):
                for store in stores.values():
                    failed += one_run(store, unsigned, counted=True)
            report(tsa, stores, args.runs, unsigned)
    print(f"at the end: {load()}")
    for problem in failed:
        print(f"NOT VALID: {problem}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
