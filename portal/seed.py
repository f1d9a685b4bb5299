"""The first version of the firm's commitment to its clients (保密承诺 and privacy notice), written once.

Used by the data migration `portal/0002` and by tests whose database was flushed (as the standard
chart is restored by `clients.chart.ensure_standard_chart`). Later versions are drafted and
published by the compliance desk at /staff/compliance/commitment/.
"""

# ruff: noqa: E501 - the notice is prose: one paragraph per line, as clients read it.

from __future__ import annotations

from typing import Any

from django.utils import timezone

TITLE_ZH = "保密承诺与隐私声明"
TITLE_EN = "Our confidentiality commitment and privacy notice"

BODY_ZH = """本所作为贵公司的代理记账机构，依照《代理记账管理办法》对贵公司的商业秘密负有保密义务，并依照《中华人民共和国个人信息保护法》处理贵公司员工、股东等相关人员的个人信息。我们承诺：

一、加密保存。贵公司的账簿、凭证、原始单据、报表及往来信息在写入系统前即被加密，每家客户使用独立的密钥；传输全程使用加密连接。备份同样加密，并异地保存、定期演练恢复。

二、最小权限。只有被指派为贵公司服务的员工，在指派期间、签署保密协议并完成保密培训后，才能查看贵公司的资料；查看敏感信息须说明目的。员工离职时，其全部访问权限立即收回。

三、访问记录对您公开。本所员工每一次查看、下载或修改贵公司资料，系统都记录时间、人员、内容和目的，记录防篡改。您可以在门户的“谁查看了我的数据”页面随时查阅。

四、依法保管与销毁。会计档案按《会计档案管理办法》（财政部 国家档案局令第79号）规定的期限保管，期限自会计年度终了后的第一天起算；到期后经鉴定、审批和监销方可销毁，销毁记录永久保存，并延及全部备份。法定保管期限内，除存储和必要的安全保护外，我们不会以其他方式处理这些资料。

五、您的权利。您可以授权他人在限定期限和范围内查看资料，可以申请查阅、复制、更正、删除（受法定保管期限限制）以及撤回同意，我们将在规定期限内答复，拒绝时说明理由。

六、安全事件通知。如发生或可能发生信息泄露、篡改、丢失，我们将立即采取补救措施，并依照《个人信息保护法》第五十七条通知有关主管部门和贵公司，告知涉及的信息种类、原因、可能造成的危害、已采取的补救措施、您可以采取的措施以及我们的联系方式。

如对本承诺有任何疑问或投诉，请通过门户联系本所合规部门。"""

BODY_EN = """As your bookkeeping agency, we keep your company's commercial secrets confidential as the Measures for the Administration of Bookkeeping Agencies require, and we process the personal information of your staff, shareholders and other people concerned under the Personal Information Protection Law (PIPL). We commit to the following.

1. Encryption. Your books, vouchers, source documents, reports and messages are encrypted before they are stored, under keys of your company's own; every connection is encrypted. Backups are encrypted too, kept in a second place, and restored in regular drills.

2. Least privilege. Only staff assigned to your company may see its data, only while the assignment lasts, and only after signing our confidentiality agreement and passing confidentiality training; opening sensitive details requires a stated purpose. When someone leaves the firm, all their access ends at once.

3. An access log you can see. Every time someone at the firm views, downloads or changes your data, the system records when, who, what and why, in a tamper-evident log. You can read it at any time on the portal page "Who accessed my data".

4. Retention and destruction by law. Accounting archives are kept for the periods set by the Measures for the Administration of Accounting Archives (MOF and National Archives Administration Order No. 79), counted from the first day after the end of the fiscal year. After that they are destroyed only after appraisal, sign-off and supervised destruction, which is recorded permanently and reaches every backup. While a legal retention period runs, we do nothing with those records except store and protect them.

5. Your rights. You may authorise others to see your data for a limited time and scope, and you may ask to access, copy, correct or delete data (within the legal retention periods) and withdraw consent. We answer within the required time, and give reasons when we refuse.

6. Breach notice. If data is leaked, altered or lost, or may have been, we act at once to contain it and, as PIPL Article 57 requires, notify the authority and you: the kinds of data concerned, the cause, the possible harm, what we have done, what you can do, and how to reach us.

If you have a question or a complaint about this commitment, please contact our compliance desk through the portal."""


def ensure_first_commitment(model: Any = None) -> None:
    """Publish version 1 when there is no version at all (the model may be the migration's historical one)."""
    if model is None:
        from portal.models import CommitmentNotice

        model = CommitmentNotice
    if model.objects.exists():
        return
    model.objects.create(
        version=1,
        title_zh=TITLE_ZH,
        title_en=TITLE_EN,
        body_zh=BODY_ZH,
        body_en=BODY_EN,
        published_at=timezone.now(),
    )
