"""The books as reports, read from the encrypted per-period balances (O(accounts × periods)), never
by decrypting every line; only the subsidiary ledger reads lines, of one account.

科目余额表 (trial balance), 总账 (general ledger), 明细账 (subsidiary ledger), and the small-enterprise
资产负债表 (会小企01表) and 利润表 (会小企02表). Amounts are Decimals; balances are signed
debit-positive inside, shown with their direction (借/贷) outside.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.models import ZERO, Account, AccountBalance, Client, Side, VoucherLine, VoucherState


def _english() -> bool:
    return (get_language() or "").startswith("en")


def period_key(year: int, month: int) -> int:
    return year * 100 + month


# --- Balances per account ---------------------------------------------------------------------------


@dataclass
class AccountTotals:
    account: Account
    opening: Decimal = ZERO
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    closing: Decimal = ZERO


def account_totals(client: Client, *, key_from: int, key_to: int) -> dict[uuid.UUID, AccountTotals]:
    """Opening at the start of key_from, movements over [key_from, key_to], closing at key_to, per leaf account.

    Reads every balance row up to key_to once; decrypts only what it uses.
    """
    rows = (
        AccountBalance.objects.filter(client=client, period_key__lte=key_to)
        .select_related("account", "account__parent")
        .order_by("period_key")
    )
    by_account: dict[uuid.UUID, list[AccountBalance]] = defaultdict(list)
    for row in rows:
        by_account[row.account_id].append(row)
    result: dict[uuid.UUID, AccountTotals] = {}
    for account_id, history in by_account.items():
        before = [r for r in history if r.period_key < key_from]
        inside = [r for r in history if r.period_key >= key_from]
        totals = AccountTotals(account=history[0].account)
        totals.opening = inside[0].opening if inside else before[-1].closing
        totals.debit = sum((r.debit for r in inside), ZERO)
        totals.credit = sum((r.credit for r in inside), ZERO)
        totals.closing = history[-1].closing
        result[account_id] = totals
    return result


def _by_standard_code(totals: dict[uuid.UUID, AccountTotals]) -> dict[str, AccountTotals]:
    merged: dict[str, AccountTotals] = {}
    for item in totals.values():
        standard = item.account.parent if item.account.parent_id else item.account
        assert standard is not None
        into = merged.setdefault(standard.code, AccountTotals(account=standard))
        into.opening += item.opening
        into.debit += item.debit
        into.credit += item.credit
        into.closing += item.closing
    return merged


# --- 科目余额表 -----------------------------------------------------------------------------------------


@dataclass
class TrialBalanceRow:
    code: str
    name: str
    level: int
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal

    @staticmethod
    def split(value: Decimal) -> tuple[Decimal, Decimal]:
        """A signed balance as (debit column, credit column)."""
        return (value, ZERO) if value >= 0 else (ZERO, -value)

    @property
    def opening_debit(self) -> Decimal:
        return self.split(self.opening)[0]

    @property
    def opening_credit(self) -> Decimal:
        return self.split(self.opening)[1]

    @property
    def closing_debit(self) -> Decimal:
        return self.split(self.closing)[0]

    @property
    def closing_credit(self) -> Decimal:
        return self.split(self.closing)[1]


@dataclass
class TrialBalance:
    year: int
    month_from: int
    month_to: int
    rows: list[TrialBalanceRow] = field(default_factory=list)
    total: TrialBalanceRow | None = None

    @property
    def balanced(self) -> bool:
        t = self.total
        return t is not None and t.debit == t.credit and t.opening == ZERO and t.closing == ZERO


def trial_balance(client: Client, *, year: int, month_from: int = 1, month_to: int = 12) -> TrialBalance:
    """科目余额表: per account, opening, movements and closing over the months, sub-accounts under their parent."""
    totals = account_totals(client, key_from=period_key(year, month_from), key_to=period_key(year, month_to))
    standard = _by_standard_code(totals)
    children: dict[str, list[AccountTotals]] = defaultdict(list)
    for item in totals.values():
        if item.account.parent_id:
            assert item.account.parent is not None
            children[item.account.parent.code].append(item)
    report = TrialBalance(year=year, month_from=month_from, month_to=month_to)
    grand = TrialBalanceRow("", _("Total"), 0, ZERO, ZERO, ZERO, ZERO)
    for code in sorted(standard):
        item = standard[code]
        if not any((item.opening, item.debit, item.credit, item.closing)) and not children.get(code):
            continue
        report.rows.append(
            TrialBalanceRow(code, item.account.display_name, 1, item.opening, item.debit, item.credit, item.closing)
        )
        for child in sorted(children.get(code, []), key=lambda c: c.account.code):
            report.rows.append(
                TrialBalanceRow(
                    child.account.code,
                    child.account.display_name,
                    2,
                    child.opening,
                    child.debit,
                    child.credit,
                    child.closing,
                )
            )
        grand.opening += item.opening
        grand.debit += item.debit
        grand.credit += item.credit
        grand.closing += item.closing
    report.total = grand
    return report


# --- 总账 ---------------------------------------------------------------------------------------------


@dataclass
class LedgerEntry:
    date: str
    voucher: str
    summary: str
    debit: Decimal | None
    credit: Decimal | None
    balance: Decimal

    @property
    def direction(self) -> str:
        return direction_label(self.balance)


def direction_label(balance: Decimal) -> str:
    if balance == 0:
        return _("Even")
    return _("Dr") if balance > 0 else _("Cr")


@dataclass
class GeneralLedgerAccount:
    code: str
    name: str
    entries: list[LedgerEntry]


def general_ledger(client: Client, *, year: int, month_to: int = 12) -> list[GeneralLedgerAccount]:
    """总账: per standard account, the year's opening, then each month's totals and the year to date."""
    rows = (
        AccountBalance.objects.filter(client=client, period_key__lte=period_key(year, month_to))
        .select_related("account", "account__parent")
        .order_by("period_key")
    )
    # (standard code) -> {period_key: [debit, credit, closing]} plus the year's opening.
    history: dict[str, dict[int, list[Decimal]]] = defaultdict(dict)
    openings: dict[str, dict[uuid.UUID, AccountBalance]] = defaultdict(dict)
    accounts: dict[str, Account] = {}
    year_start = period_key(year, 1)
    for row in rows:
        standard = row.account.parent if row.account.parent_id else row.account
        assert standard is not None
        accounts[standard.code] = standard
        if row.period_key < year_start:
            openings[standard.code][row.account_id] = row  # the last one before the year wins
            continue
        bucket = history[standard.code].setdefault(row.period_key, [ZERO, ZERO])
        bucket[0] += row.debit
        bucket[1] += row.credit
    result = []
    for code in sorted(accounts):
        opening = sum((row.closing for row in openings[code].values()), ZERO)
        entries = [LedgerEntry(f"{year}-01-01", "", _("Opening balance"), None, None, opening)]
        balance = opening
        cumulative = [ZERO, ZERO]
        for key in sorted(history[code]):
            debit, credit = history[code][key]
            balance += debit - credit
            cumulative[0] += debit
            cumulative[1] += credit
            month = key % 100
            entries.append(LedgerEntry(f"{year}-{month:02d}", "", _("Month total"), debit, credit, balance))
            entries.append(
                LedgerEntry(f"{year}-{month:02d}", "", _("Year to date"), cumulative[0], cumulative[1], balance)
            )
        if len(entries) == 1 and opening == 0:
            continue
        result.append(GeneralLedgerAccount(code, accounts[code].display_name, entries))
    return result


# --- 明细账 -------------------------------------------------------------------------------------------


def subsidiary_ledger(
    client: Client, *, account: Account, year: int, month_from: int = 1, month_to: int = 12
) -> GeneralLedgerAccount:
    """明细账: the posted lines of one account (with its sub-accounts), with the running balance."""
    ids = [account.pk]
    if account.is_standard:
        ids += list(Account.objects.filter(client=client, parent=account).values_list("pk", flat=True))
    totals = account_totals(client, key_from=period_key(year, month_from), key_to=period_key(year, month_to))
    opening = sum((totals[i].opening for i in ids if i in totals), ZERO)
    balance = opening
    entries = [LedgerEntry(f"{year}-{month_from:02d}-01", "", _("Opening balance"), None, None, opening)]
    lines = (
        VoucherLine.objects.filter(
            client=client,
            account_id__in=ids,
            voucher__state=VoucherState.POSTED,
            voucher__period__year=year,
            voucher__period__month__gte=month_from,
            voucher__period__month__lte=month_to,
        )
        .select_related("voucher")
        .order_by("voucher__date", "voucher__number", "position")
    )
    for line in lines:
        debit = line.amount if line.side == Side.DEBIT else None
        credit = line.amount if line.side == Side.CREDIT else None
        balance += (debit or ZERO) - (credit or ZERO)
        entries.append(
            LedgerEntry(line.voucher.date.isoformat(), line.voucher.label, line.summary, debit, credit, balance)
        )
    return GeneralLedgerAccount(account.code, account.display_name, entries)


# --- 资产负债表 (会小企01表) and 利润表 (会小企02表) ------------------------------------------------------


@dataclass(frozen=True)
class LineDef:
    number: int
    zh: str
    en: str
    codes: tuple[str, ...] = ()
    sign: int = 1
    plus: tuple[int, ...] = ()
    minus: tuple[int, ...] = ()
    of_which: bool = False  # "其中" detail: shown, never added into a total
    section: str = ""  # a heading shown before the line

    @property
    def label(self) -> str:
        return self.en if _english() else self.zh


_INVENTORY = ("1401", "1402", "1403", "1404", "1405", "1407", "1408", "1411", "1421", "4001", "4101", "4401", "4403")
_PROFIT_LOSS = ("5001", "5051", "5111", "5301", "5401", "5402", "5403", "5601", "5602", "5603", "5711", "5801")

BALANCE_SHEET_ASSETS: tuple[LineDef, ...] = (
    LineDef(1, "货币资金", "Cash and cash equivalents", ("1001", "1002", "1012"), section="流动资产："),
    LineDef(2, "短期投资", "Short-term investments", ("1101",)),
    LineDef(3, "应收票据", "Notes receivable", ("1121",)),
    LineDef(4, "应收账款", "Accounts receivable", ("1122",)),
    LineDef(5, "预付账款", "Prepayments", ("1123",)),
    LineDef(6, "应收股利", "Dividends receivable", ("1131",)),
    LineDef(7, "应收利息", "Interest receivable", ("1132",)),
    LineDef(8, "其他应收款", "Other receivables", ("1221",)),
    LineDef(9, "存货", "Inventories", _INVENTORY),
    LineDef(10, "其中：原材料", "of which: raw materials", ("1403",), of_which=True),
    LineDef(11, "在产品", "work in progress", ("4001",), of_which=True),
    LineDef(12, "库存商品", "finished goods", ("1405",), of_which=True),
    LineDef(13, "周转材料", "revolving materials", ("1411",), of_which=True),
    LineDef(14, "其他流动资产", "Other current assets", ("1901",)),
    LineDef(15, "流动资产合计", "Total current assets", plus=(1, 2, 3, 4, 5, 6, 7, 8, 9, 14)),
    LineDef(16, "长期债券投资", "Long-term bond investments", ("1501",), section="非流动资产："),
    LineDef(17, "长期股权投资", "Long-term equity investments", ("1511",)),
    LineDef(18, "固定资产原价", "Fixed assets at cost", ("1601",)),
    LineDef(19, "减：累计折旧", "Less: accumulated depreciation", ("1602",), sign=-1),
    LineDef(20, "固定资产账面价值", "Fixed assets, carrying amount", plus=(18,), minus=(19,)),
    LineDef(21, "在建工程", "Construction in progress", ("1604",)),
    LineDef(22, "工程物资", "Construction materials", ("1605",)),
    LineDef(23, "固定资产清理", "Fixed assets in disposal", ("1606",)),
    LineDef(24, "生产性生物资产", "Productive biological assets", ("1621", "1622")),
    LineDef(25, "无形资产", "Intangible assets", ("1701", "1702")),
    LineDef(26, "开发支出", "Development expenditure", ("4301",)),
    LineDef(27, "长期待摊费用", "Long-term prepaid expenses", ("1801",)),
    LineDef(28, "其他非流动资产", "Other non-current assets"),
    LineDef(29, "非流动资产合计", "Total non-current assets", plus=(16, 17, 20, 21, 22, 23, 24, 25, 26, 27, 28)),
    LineDef(30, "资产总计", "Total assets", plus=(15, 29)),
)

BALANCE_SHEET_LIABILITIES: tuple[LineDef, ...] = (
    LineDef(31, "短期借款", "Short-term borrowings", ("2001",), sign=-1, section="流动负债："),
    LineDef(32, "应付票据", "Notes payable", ("2201",), sign=-1),
    LineDef(33, "应付账款", "Accounts payable", ("2202",), sign=-1),
    LineDef(34, "预收账款", "Advances from customers", ("2203",), sign=-1),
    LineDef(35, "应付职工薪酬", "Employee benefits payable", ("2211",), sign=-1),
    LineDef(36, "应交税费", "Taxes payable", ("2221",), sign=-1),
    LineDef(37, "应付利息", "Interest payable", ("2231",), sign=-1),
    LineDef(38, "应付利润", "Profit payable", ("2232",), sign=-1),
    LineDef(39, "其他应付款", "Other payables", ("2241",), sign=-1),
    LineDef(40, "其他流动负债", "Other current liabilities"),
    LineDef(41, "流动负债合计", "Total current liabilities", plus=(31, 32, 33, 34, 35, 36, 37, 38, 39, 40)),
    LineDef(42, "长期借款", "Long-term borrowings", ("2501",), sign=-1, section="非流动负债："),
    LineDef(43, "长期应付款", "Long-term payables", ("2701",), sign=-1),
    LineDef(44, "递延收益", "Deferred income", ("2401",), sign=-1),
    LineDef(45, "其他非流动负债", "Other non-current liabilities"),
    LineDef(46, "非流动负债合计", "Total non-current liabilities", plus=(42, 43, 44, 45)),
    LineDef(47, "负债合计", "Total liabilities", plus=(41, 46)),
    LineDef(48, "实收资本（或股本）", "Paid-in capital", ("3001",), sign=-1, section="所有者权益（或股东权益）："),
    LineDef(49, "资本公积", "Capital reserve", ("3002",), sign=-1),
    LineDef(50, "盈余公积", "Surplus reserve", ("3101",), sign=-1),
    # Profit not yet carried to 本年利润 by closing entries is still in the profit-and-loss accounts.
    LineDef(51, "未分配利润", "Retained earnings", ("3103", "3104", *_PROFIT_LOSS), sign=-1),
    LineDef(52, "所有者权益（或股东权益）合计", "Total owners' equity", plus=(48, 49, 50, 51)),
    LineDef(53, "负债和所有者权益（或股东权益）总计", "Total liabilities and owners' equity", plus=(47, 52)),
)

INCOME_STATEMENT: tuple[LineDef, ...] = (
    LineDef(1, "一、营业收入", "1. Operating revenue", ("5001", "5051"), sign=-1),
    LineDef(2, "减：营业成本", "Less: operating costs", ("5401", "5402")),
    LineDef(3, "税金及附加", "Taxes and surcharges", ("5403",)),
    LineDef(11, "销售费用", "Selling expenses", ("5601",)),
    LineDef(14, "管理费用", "Administrative expenses", ("5602",)),
    LineDef(18, "财务费用", "Finance costs", ("5603",)),
    LineDef(20, "加：投资收益（损失以“-”号填列）", "Add: investment income", ("5111",), sign=-1),
    LineDef(21, "二、营业利润（亏损以“-”号填列）", "2. Operating profit", plus=(1, 20), minus=(2, 3, 11, 14, 18)),
    LineDef(22, "加：营业外收入", "Add: non-operating income", ("5301",), sign=-1),
    LineDef(24, "减：营业外支出", "Less: non-operating expenses", ("5711",)),
    LineDef(30, "三、利润总额（亏损总额以“-”号填列）", "3. Total profit", plus=(21, 22), minus=(24,)),
    LineDef(31, "减：所得税费用", "Less: income tax expense", ("5801",)),
    LineDef(32, "四、净利润（净亏损以“-”号填列）", "4. Net profit", plus=(30,), minus=(31,)),
)


def _evaluate(lines: tuple[LineDef, ...], values: dict[str, Decimal], known: dict[int, Decimal]) -> dict[int, Decimal]:
    out = dict(known)
    for line in lines:
        if line.plus or line.minus:
            out[line.number] = sum((out[n] for n in line.plus), ZERO) - sum((out[n] for n in line.minus), ZERO)
        else:
            # "+ ZERO" turns a negated zero (-0.00) into 0.00.
            out[line.number] = line.sign * sum((values.get(code, ZERO) for code in line.codes), ZERO) + ZERO
    return out


@dataclass
class StatementRow:
    number: int
    label: str
    current: Decimal
    comparative: Decimal
    of_which: bool
    section: str
    is_total: bool


@dataclass
class Statement:
    title: str
    form: str
    year: int
    month: int
    current_label: str
    comparative_label: str
    left: list[StatementRow]
    right: list[StatementRow] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """For the balance sheet: total assets equal total liabilities and equity (both columns)."""
        if not self.right:
            return True
        return self.left[-1].current == self.right[-1].current and (
            self.left[-1].comparative == self.right[-1].comparative
        )


def _rows(
    lines: tuple[LineDef, ...], current: dict[int, Decimal], comparative: dict[int, Decimal]
) -> list[StatementRow]:
    return [
        StatementRow(
            line.number,
            line.label,
            current[line.number],
            comparative[line.number],
            line.of_which,
            line.section if not _english() else "",
            bool(line.plus or line.minus),
        )
        for line in lines
    ]


def balance_sheet(client: Client, *, year: int, month: int) -> Statement:
    """资产负债表 (会小企01表): closing balances at the month's end beside those at the start of the year."""
    key = period_key(year, month)
    closing = {c: t.closing for c, t in _by_standard_code(account_totals(client, key_from=key, key_to=key)).items()}
    year_start = {
        c: t.opening
        for c, t in _by_standard_code(account_totals(client, key_from=period_key(year, 1), key_to=key)).items()
    }
    now_assets = _evaluate(BALANCE_SHEET_ASSETS, closing, {})
    now_rest = _evaluate(BALANCE_SHEET_LIABILITIES, closing, {})
    start_assets = _evaluate(BALANCE_SHEET_ASSETS, year_start, {})
    start_rest = _evaluate(BALANCE_SHEET_LIABILITIES, year_start, {})
    return Statement(
        title=_("Balance sheet"),
        form="会小企01表",
        year=year,
        month=month,
        current_label=_("Closing balance"),
        comparative_label=_("Balance at start of year"),
        left=_rows(BALANCE_SHEET_ASSETS, now_assets, start_assets),
        right=_rows(BALANCE_SHEET_LIABILITIES, now_rest, start_rest),
    )


def income_statement(client: Client, *, year: int, month: int) -> Statement:
    """利润表 (会小企02表): the year to date beside the month."""
    key = period_key(year, month)

    def movements(key_from: int) -> dict[str, Decimal]:
        totals = _by_standard_code(account_totals(client, key_from=key_from, key_to=key))
        return {c: t.debit - t.credit for c, t in totals.items()}

    ytd = _evaluate(INCOME_STATEMENT, movements(period_key(year, 1)), {})
    this_month = _evaluate(INCOME_STATEMENT, movements(key), {})
    return Statement(
        title=_("Income statement"),
        form="会小企02表",
        year=year,
        month=month,
        current_label=_("Year to date"),
        comparative_label=_("This month"),
        left=_rows(INCOME_STATEMENT, ytd, this_month),
    )
