"""Demo books: a dozen client companies, each with a realistic year of posted vouchers and documents.

Everything goes through the services (so the audit trail and the balances are real). Idempotent:
demo clients have fixed ids, and a client whose books exist is left alone.
"""

from __future__ import annotations

import datetime
import random
import uuid
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from clients import services
from clients.models import (
    Account,
    AccountingPeriod,
    ArchiveCategory,
    ArchiveKeeper,
    Client,
    ClientRole,
    TaxpayerType,
    Voucher,
    VoucherState,
)
from clients.validators import credit_code_check_character

_NAMESPACE = uuid.UUID("6f1d7a0e-4c55-4a7e-9d0b-6b1f3c2a9e10")

DEMO_CLIENTS: list[tuple[str, str, str]] = [
    ("上海黄浦晨光贸易有限公司", TaxpayerType.GENERAL, "上海市黄浦区南京东路100号"),
    ("上海徐汇启明软件有限公司", TaxpayerType.GENERAL, "上海市徐汇区漕溪北路88号"),
    ("上海静安茶语餐饮管理有限公司", TaxpayerType.SMALL_SCALE, "上海市静安区南京西路1266号"),
    ("上海浦东远航物流有限公司", TaxpayerType.GENERAL, "上海市浦东新区张杨路500号"),
    ("上海闵行恒新机械制造有限公司", TaxpayerType.GENERAL, "上海市闵行区莘庄工业区申富路8号"),
    ("上海长宁悦美美容服务有限公司", TaxpayerType.SMALL_SCALE, "上海市长宁区天山路345号"),
    ("上海杨浦知行教育咨询有限公司", TaxpayerType.SMALL_SCALE, "上海市杨浦区国定路200号"),
    ("上海普陀绿源农产品有限公司", TaxpayerType.SMALL_SCALE, "上海市普陀区真北路1500号"),
    ("上海虹口云帆广告传媒有限公司", TaxpayerType.GENERAL, "上海市虹口区四川北路1800号"),
    ("上海宝山钢联建材有限公司", TaxpayerType.GENERAL, "上海市宝山区友谊路1号"),
    ("上海嘉定安途汽车配件有限公司", TaxpayerType.GENERAL, "上海市嘉定区曹安公路4800号"),
    ("上海松江墨香文化用品有限公司", TaxpayerType.SMALL_SCALE, "上海市松江区人民北路20号"),
]

CUSTOMERS = ["华东商贸", "申城百货", "东方连锁", "长江实业", "海派超市"]
SUPPLIERS = ["苏州原料", "杭州制品", "宁波五金", "无锡包装"]


def demo_client_id(index: int) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"demo-client-{index}")


def demo_credit_code(index: int) -> str:
    body = f"913101{index:02d}MA1D{index:02d}X{index % 10}P"[:17]
    body = body.replace("X", "K")
    return body + credit_code_check_character(body)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _d(code: str, summary: str, amount: Decimal, sub: dict[str, Account]) -> services.LineInput:
    return services.LineInput(account_id=sub.get(code, _STANDARD[code]).pk, summary=summary, debit=amount)


def _c(code: str, summary: str, amount: Decimal, sub: dict[str, Account]) -> services.LineInput:
    return services.LineInput(account_id=sub.get(code, _STANDARD[code]).pk, summary=summary, credit=amount)


_STANDARD: dict[str, Account] = {}


def _month_vouchers(
    rng: random.Random, month: int, general: bool, sub: dict[str, Account], customer: str
) -> list[tuple[int, list[services.LineInput], int]]:
    """(day, lines, attachments) for one month of a trading company's books."""
    rate = Decimal("0.13") if general else Decimal("0.01")
    tax_label = "销项税额" if general else "应交增值税"
    out: list[tuple[int, list[services.LineInput], int]] = []
    net = _money(rng, 45_000, 120_000)
    tax = (net * rate).quantize(Decimal("0.01"))
    out.append(
        (
            3,
            [
                _d("1122", f"销售商品给{customer}", net + tax, sub),
                _c("5001", f"销售商品给{customer}", net, sub),
                _c("2221", tax_label, tax, sub),
            ],
            2,
        )
    )
    out.append(
        (
            12,
            [_d("1002", f"收到{customer}货款", net + tax, sub), _c("1122", f"收到{customer}货款", net + tax, sub)],
            1,
        )
    )
    cost = (net * Decimal(rng.randint(55, 75)) / 100).quantize(Decimal("0.01"))
    supplier = rng.choice(SUPPLIERS)
    purchase = [_d("1405", f"采购商品 {supplier}", cost, sub)]
    paid = cost
    if general:
        input_tax = (cost * Decimal("0.13")).quantize(Decimal("0.01"))
        purchase.append(_d("2221", "进项税额", input_tax, sub))
        paid = cost + input_tax
    purchase.append(_c("2202", f"应付{supplier}货款", paid, sub))
    out.append((6, purchase, 2))
    out.append((18, [_d("2202", f"支付{supplier}货款", paid, sub), _c("1002", f"支付{supplier}货款", paid, sub)], 1))
    out.append((28, [_d("5401", "结转销售成本", cost, sub), _c("1405", "结转销售成本", cost, sub)], 0))
    salary = _money(rng, 8_000, 25_000)
    out.append((25, [_d("5602", "计提本月工资", salary, sub), _c("2211", "计提本月工资", salary, sub)], 1))
    out.append((10, [_d("2211", "发放工资", salary, sub), _c("1002", "发放工资", salary, sub)], 1))
    office = _money(rng, 300, 3_000)
    out.append((15, [_d("5602", "办公用品及房租分摊", office, sub), _c("1002", "办公用品及房租分摊", office, sub)], 3))
    ads = _money(rng, 200, 2_500)
    out.append((20, [_d("5601", "广告宣传费", ads, sub), _c("1002", "广告宣传费", ads, sub)], 1))
    fee = _money(rng, 10, 120)
    out.append((27, [_d("5603", "银行手续费", fee, sub), _c("1002", "银行手续费", fee, sub)], 1))
    if month in (4, 7, 10, 1):
        surcharge = (tax * Decimal("0.12")).quantize(Decimal("0.01")) or Decimal("1.00")
        out.append(
            (
                15,
                [_d("5403", "城建税及教育费附加", surcharge, sub), _c("1002", "城建税及教育费附加", surcharge, sub)],
                1,
            )
        )
    return out


def _staff(username: str) -> User:
    return User.objects.get(username=username)


def _assign(client: Client, manager: User, pairs: list[tuple[User, str]]) -> None:
    from confidentiality import access_services
    from confidentiality.models import Assignment

    for user, role in pairs:
        if not Assignment.objects.filter(client=client, user=user, role=role, ended_at__isnull=True).exists():
            access_services.assign_staff(client=client, user=user, role=role, actor=manager)


def seed_books(*, year: int | None = None) -> int:
    """Create the demo clients and their books where missing; return how many clients got books now."""
    from confidentiality.models import AssignmentRole

    _STANDARD.update({a.code: a for a in Account.objects.filter(client__isnull=True)})
    year = year or timezone.localdate().year - 1
    manager = _staff("manager_li")
    reviewer = _staff("reviewer_liu")
    bookkeepers = [_staff("bookkeeper_zhang"), _staff("bookkeeper_chen")]
    seeded = 0
    for index, (name, taxpayer_type, address) in enumerate(DEMO_CLIENTS, start=1):
        client = Client.objects.filter(pk=demo_client_id(index)).first()
        if client is None:
            client = Client(
                id=demo_client_id(index),
                name=name,
                credit_code=demo_credit_code(index),
                taxpayer_type=taxpayer_type,
                address=address,
                contacts=[{"name": "财务负责人", "role": "finance", "phone": f"1380000{index:04d}", "email": ""}],
                bank_accounts=[{"bank": "中国工商银行上海分行", "account_number": f"100122{index:04d}000{index:05d}"}],
            )
            client.save(force_insert=True)
            services.open_engagement(
                client,
                contract_start=datetime.date(year, 1, 1),
                contract_end=datetime.date(year + 2, 12, 31),
                scope="代理记账、纳税申报、会计档案保管",
                archive_keeper=ArchiveKeeper.FIRM if index % 3 else ArchiveKeeper.CLIENT,
                archive_custodian="赵档案",
                manager=manager,
                actor=manager,
            )
        bookkeeper = bookkeepers[(index - 1) % 2]
        _assign(
            client,
            manager,
            [
                (manager, AssignmentRole.MANAGER),
                (bookkeeper, AssignmentRole.BOOKKEEPER),
                (reviewer, AssignmentRole.REVIEWER),
            ],
        )
        if index == 1:
            for username, role in (("owner_huang", ClientRole.OWNER), ("finance_xu", ClientRole.FINANCE)):
                user = User.objects.filter(username=username).first()
                if user is not None:
                    services.add_client_member(client, user=user, role=role, actor=manager)
        if Voucher.objects.filter(client=client).exists():
            continue
        _seed_year(client, year=year, index=index, bookkeeper=bookkeeper, reviewer=reviewer, manager=manager)
        seeded += 1
    return seeded


def _seed_year(client: Client, *, year: int, index: int, bookkeeper: User, reviewer: User, manager: User) -> None:
    rng = random.Random(index * 7919)  # deterministic demo numbers
    general = client.taxpayer_type == TaxpayerType.GENERAL
    customer = CUSTOMERS[index % len(CUSTOMERS)]
    # 应收账款 is kept per customer: its sub-account (name encrypted) takes every receivable line.
    sub = {"1122": services.create_sub_account(client, parent=_STANDARD["1122"], name=customer, actor=bookkeeper)}
    capital = Decimal(rng.choice([100_000, 200_000, 500_000]))
    opening = [
        (2, [_d("1002", "股东投入资本金", capital, {}), _c("3001", "股东投入资本金", capital, {})], 1),
    ]
    for month in range(1, 13):
        entries = _month_vouchers(rng, month, general, sub, customer)
        if month == 1:
            entries = opening + entries
        for day, lines, attachments in sorted(entries, key=lambda e: e[0]):
            voucher = services.create_voucher(
                client,
                date=datetime.date(year, month, day),
                lines=lines,
                attachments_count=attachments,
                actor=bookkeeper,
            )
            services.review_voucher(voucher, actor=reviewer)
            services.post_voucher(voucher, actor=manager)  # 记账 by a third person (separation of duties)
            if attachments:
                services.record_document(
                    client,
                    title=f"{lines[0].summary} 原始凭证",
                    fiscal_year=year,
                    archive_category=ArchiveCategory.SOURCE_VOUCHER,
                    voucher=voucher,
                    original_name=f"{year}{month:02d}{day:02d}-{voucher.number:04d}.pdf",
                    content_type="application/pdf",
                    actor=bookkeeper,
                )
        services.record_document(
            client,
            title=f"{year}年{month}月银行对账单",
            fiscal_year=year,
            archive_category=ArchiveCategory.BANK_STATEMENT,
            original_name=f"bank-{year}-{month:02d}.pdf",
            content_type="application/pdf",
            actor=bookkeeper,
        )
        if month < 12:
            period = AccountingPeriod.objects.get(client=client, year=year, month=month)
            services.close_period(period, actor=manager)
    # One voucher waiting for review, so the review queue is not empty.
    pending = services.create_voucher(
        client,
        date=datetime.date(year, 12, 30),
        lines=[
            _d("5602", "业务招待费", Decimal("860.00"), {}),
            _c("1002", "业务招待费", Decimal("860.00"), {}),
        ],
        attachments_count=1,
        actor=bookkeeper,
    )
    assert pending.state == VoucherState.DRAFT
