"""The chart of accounts of the 小企业会计准则 (Accounting Standards for Small Enterprises, 财会〔2011〕17号,
附录《会计科目、主要账务处理和财务报表》), with English names alongside.

Kept as data so the seeding migration, the reports and the tests share one list. 5403 carries its
name since 财会〔2016〕22号 (税金及附加, formerly 营业税金及附加).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Category:
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    COST = "cost"
    PROFIT_LOSS = "profit_loss"


DEBIT = "debit"
CREDIT = "credit"


class StandardAccount(NamedTuple):
    code: str
    name_zh: str
    name_en: str
    category: str
    normal_side: str


_A, _L, _E, _C, _P = Category.ASSET, Category.LIABILITY, Category.EQUITY, Category.COST, Category.PROFIT_LOSS

STANDARD_ACCOUNTS: tuple[StandardAccount, ...] = (
    # 一、资产类
    StandardAccount("1001", "库存现金", "Cash on hand", _A, DEBIT),
    StandardAccount("1002", "银行存款", "Bank deposits", _A, DEBIT),
    StandardAccount("1012", "其他货币资金", "Other monetary funds", _A, DEBIT),
    StandardAccount("1101", "短期投资", "Short-term investments", _A, DEBIT),
    StandardAccount("1121", "应收票据", "Notes receivable", _A, DEBIT),
    StandardAccount("1122", "应收账款", "Accounts receivable", _A, DEBIT),
    StandardAccount("1123", "预付账款", "Prepayments", _A, DEBIT),
    StandardAccount("1131", "应收股利", "Dividends receivable", _A, DEBIT),
    StandardAccount("1132", "应收利息", "Interest receivable", _A, DEBIT),
    StandardAccount("1221", "其他应收款", "Other receivables", _A, DEBIT),
    StandardAccount("1401", "材料采购", "Materials procurement", _A, DEBIT),
    StandardAccount("1402", "在途物资", "Goods in transit", _A, DEBIT),
    StandardAccount("1403", "原材料", "Raw materials", _A, DEBIT),
    StandardAccount("1404", "材料成本差异", "Materials cost variance", _A, DEBIT),
    StandardAccount("1405", "库存商品", "Finished goods and merchandise", _A, DEBIT),
    StandardAccount("1407", "商品进销差价", "Merchandise purchase-sale price difference", _A, CREDIT),
    StandardAccount("1408", "委托加工物资", "Materials in outsourced processing", _A, DEBIT),
    StandardAccount("1411", "周转材料", "Revolving materials", _A, DEBIT),
    StandardAccount("1421", "消耗性生物资产", "Consumable biological assets", _A, DEBIT),
    StandardAccount("1501", "长期债券投资", "Long-term bond investments", _A, DEBIT),
    StandardAccount("1511", "长期股权投资", "Long-term equity investments", _A, DEBIT),
    StandardAccount("1601", "固定资产", "Fixed assets", _A, DEBIT),
    StandardAccount("1602", "累计折旧", "Accumulated depreciation", _A, CREDIT),
    StandardAccount("1604", "在建工程", "Construction in progress", _A, DEBIT),
    StandardAccount("1605", "工程物资", "Construction materials", _A, DEBIT),
    StandardAccount("1606", "固定资产清理", "Fixed assets in disposal", _A, DEBIT),
    StandardAccount("1621", "生产性生物资产", "Productive biological assets", _A, DEBIT),
    StandardAccount(
        "1622", "生产性生物资产累计折旧", "Accumulated depreciation of productive biological assets", _A, CREDIT
    ),
    StandardAccount("1701", "无形资产", "Intangible assets", _A, DEBIT),
    StandardAccount("1702", "累计摊销", "Accumulated amortisation", _A, CREDIT),
    StandardAccount("1801", "长期待摊费用", "Long-term prepaid expenses", _A, DEBIT),
    StandardAccount("1901", "待处理财产损溢", "Property losses and gains pending treatment", _A, DEBIT),
    # 二、负债类
    StandardAccount("2001", "短期借款", "Short-term borrowings", _L, CREDIT),
    StandardAccount("2201", "应付票据", "Notes payable", _L, CREDIT),
    StandardAccount("2202", "应付账款", "Accounts payable", _L, CREDIT),
    StandardAccount("2203", "预收账款", "Advances from customers", _L, CREDIT),
    StandardAccount("2211", "应付职工薪酬", "Employee benefits payable", _L, CREDIT),
    StandardAccount("2221", "应交税费", "Taxes payable", _L, CREDIT),
    StandardAccount("2231", "应付利息", "Interest payable", _L, CREDIT),
    StandardAccount("2232", "应付利润", "Profit payable", _L, CREDIT),
    StandardAccount("2241", "其他应付款", "Other payables", _L, CREDIT),
    StandardAccount("2401", "递延收益", "Deferred income", _L, CREDIT),
    StandardAccount("2501", "长期借款", "Long-term borrowings", _L, CREDIT),
    StandardAccount("2701", "长期应付款", "Long-term payables", _L, CREDIT),
    # 三、所有者权益类
    StandardAccount("3001", "实收资本", "Paid-in capital", _E, CREDIT),
    StandardAccount("3002", "资本公积", "Capital reserve", _E, CREDIT),
    StandardAccount("3101", "盈余公积", "Surplus reserve", _E, CREDIT),
    StandardAccount("3103", "本年利润", "Profit for the year", _E, CREDIT),
    StandardAccount("3104", "利润分配", "Profit distribution", _E, CREDIT),
    # 四、成本类
    StandardAccount("4001", "生产成本", "Production costs", _C, DEBIT),
    StandardAccount("4101", "制造费用", "Manufacturing overhead", _C, DEBIT),
    StandardAccount("4301", "研发支出", "Research and development expenditure", _C, DEBIT),
    StandardAccount("4401", "工程施工", "Contract work in progress", _C, DEBIT),
    StandardAccount("4403", "机械作业", "Machinery operations", _C, DEBIT),
    # 五、损益类
    StandardAccount("5001", "主营业务收入", "Revenue from main operations", _P, CREDIT),
    StandardAccount("5051", "其他业务收入", "Other operating revenue", _P, CREDIT),
    StandardAccount("5111", "投资收益", "Investment income", _P, CREDIT),
    StandardAccount("5301", "营业外收入", "Non-operating income", _P, CREDIT),
    StandardAccount("5401", "主营业务成本", "Cost of main operations", _P, DEBIT),
    StandardAccount("5402", "其他业务成本", "Other operating costs", _P, DEBIT),
    StandardAccount("5403", "税金及附加", "Taxes and surcharges", _P, DEBIT),
    StandardAccount("5601", "销售费用", "Selling expenses", _P, DEBIT),
    StandardAccount("5602", "管理费用", "Administrative expenses", _P, DEBIT),
    StandardAccount("5603", "财务费用", "Finance costs", _P, DEBIT),
    StandardAccount("5711", "营业外支出", "Non-operating expenses", _P, DEBIT),
    StandardAccount("5801", "所得税费用", "Income tax expense", _P, DEBIT),
)

BY_CODE: dict[str, StandardAccount] = {a.code: a for a in STANDARD_ACCOUNTS}


def ensure_standard_chart(account_model: Any = None) -> None:
    """Create the firm-wide standard accounts that are missing (idempotent). The data migration
    uses it with its historical model; tests and benchmarks use it after a database flush."""
    if account_model is None:
        from clients.models import Account

        account_model = Account
    if account_model.objects.filter(client__isnull=True).count() >= len(STANDARD_ACCOUNTS):
        return
    for standard in STANDARD_ACCOUNTS:
        account_model.objects.update_or_create(
            client=None,
            code=standard.code,
            defaults={
                "name_zh": standard.name_zh,
                "name_en": standard.name_en,
                "category": standard.category,
                "normal_side": standard.normal_side,
            },
        )
