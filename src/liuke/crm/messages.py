"""Every string the retention pages show, in Simplified Chinese and English side by side."""

from __future__ import annotations

import re

from liuke.core.i18n import register_messages

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "tier": {
        "key_account": ("大客户", "Key account"),
        "ordinary": ("普通客户", "Ordinary"),
    },
    "value_tier": {
        "top20": ("前 20% 高价值", "Top 20 %"),
        "next30": ("其后 30%", "Next 30 %"),
        "rest50": ("其余 50% 付费客户", "Other 50 % of payers"),
        "none": ("无付费", "No paid revenue"),
        "": ("—", "—"),
    },
    "reason": {
        "attitude": ("服务态度", "Attitude"),
        "product": ("产品问题", "Product"),
        "price": ("价格", "Price"),
        "competitor": ("转投竞品", "Competitor"),
        "other": ("其他", "Other"),
        "unknown": ("未知（待调研）", "Unknown (not researched)"),
    },
    "source": {
        "recorded": ("人工记录", "Recorded"),
        "detected": ("长期不活跃", "Inactive (detected)"),
        "imported": ("业务系统导入", "Imported"),
    },
    "fu_kind": {
        "complaint_resolved": ("投诉解决后回访", "After a resolved complaint"),
        "high_risk": ("高流失风险回访", "High churn risk"),
        "periodic": ("定期回访", "Periodic visit"),
        "winback": ("流失挽回", "Win-back"),
        "manual": ("手动创建", "Manual"),
    },
    "fu_status": {
        "open": ("待回访", "Open"),
        "done": ("已完成", "Done"),
        "cancelled": ("已取消", "Cancelled"),
    },
    "outcome": {
        "reached": ("已联系", "Reached"),
        "not_reached": ("未联系上", "Not reached"),
        "resolved_issue": ("问题已解决", "Issue resolved"),
        "retained": ("成功挽留", "Retained"),
        "churned": ("确认流失", "Churned"),
        "other": ("其他", "Other"),
    },
    "campaign": {
        "draft": ("草稿", "Draft"),
        "running": ("进行中", "Running"),
        "finished": ("已结束", "Finished"),
    },
}

MESSAGES: dict[str, dict[str, str]] = {
    "retention.title": {"zh_CN": "客户与留存", "en": "Customers & retention"},
    "retention.subtitle": {
        "zh_CN": "谁不满意、谁在流失、谁该被回访：流失风险、分群、等级、回访与挽回",
        "en": "Who is unhappy, who is drifting away, who needs a call: churn risk, segments, "
        "grades, follow-ups and win-back",
    },
    "retention.tab.risk": {"zh_CN": "流失风险", "en": "Churn risk"},
    "retention.tab.segments": {"zh_CN": "客户分群", "en": "Segments"},
    "retention.tab.followups": {"zh_CN": "回访任务", "en": "Follow-ups"},
    "retention.tab.winback": {"zh_CN": "流失挽回", "en": "Win-back"},
    "retention.tab.economics": {"zh_CN": "留存经济账", "en": "Retention economics"},
    "retention.any": {"zh_CN": "全部", "en": "Any"},
    "retention.apply": {"zh_CN": "筛选", "en": "Filter"},
    "retention.save": {"zh_CN": "保存", "en": "Save"},
    "retention.saved": {"zh_CN": "已保存", "en": "Saved"},
    "retention.none": {"zh_CN": "暂无数据", "en": "Nothing here yet"},
    "retention.not_scored": {
        "zh_CN": "尚未评分：运行 liuke retention daily 计算客户画像与流失风险",
        "en": "Not scored yet: run liuke retention daily to compute profiles and churn risk",
    },
    "retention.as_of": {
        "zh_CN": "数据截至 {day} · 模型 {model}",
        "en": "As of {day} · model {model}",
    },
    "retention.col.customer": {"zh_CN": "客户", "en": "Customer"},
    "retention.col.tier": {"zh_CN": "客户类型", "en": "Tier"},
    "retention.col.grade": {"zh_CN": "等级", "en": "Grade"},
    "retention.col.rfm": {"zh_CN": "RFM 分群", "en": "RFM segment"},
    "retention.col.value_tier": {"zh_CN": "价值层级", "en": "Value tier"},
    "retention.col.risk": {"zh_CN": "流失概率", "en": "Churn probability"},
    "retention.col.reasons": {"zh_CN": "主要原因", "en": "Top reasons"},
    "retention.col.recency": {"zh_CN": "距上次购买（天）", "en": "Days since last order"},
    "retention.col.frequency": {"zh_CN": "年购买次数", "en": "Orders in 365 days"},
    "retention.col.monetary": {"zh_CN": "年消费额", "en": "Revenue in 365 days"},
    "retention.col.followup": {"zh_CN": "回访", "en": "Follow-up"},
    "retention.col.kind": {"zh_CN": "类型", "en": "Kind"},
    "retention.col.status": {"zh_CN": "状态", "en": "Status"},
    "retention.col.due": {"zh_CN": "截止", "en": "Due"},
    "retention.col.assignee": {"zh_CN": "负责人", "en": "Assignee"},
    "retention.col.reason": {"zh_CN": "原因", "en": "Reason"},
    "retention.col.outcome": {"zh_CN": "结果", "en": "Outcome"},
    "retention.col.note": {"zh_CN": "备注", "en": "Note"},
    "retention.col.churned_at": {"zh_CN": "流失时间", "en": "Churned"},
    "retention.col.source": {"zh_CN": "来源", "en": "Source"},
    "retention.col.detail": {"zh_CN": "说明", "en": "Detail"},
    "retention.col.name": {"zh_CN": "名称", "en": "Name"},
    "retention.col.rule": {"zh_CN": "条件", "en": "Rule"},
    "retention.col.members": {"zh_CN": "成员数", "en": "Members"},
    "retention.col.refreshed": {"zh_CN": "更新于", "en": "Refreshed"},
    "retention.col.points": {"zh_CN": "分值", "en": "Points"},
    "retention.col.value": {"zh_CN": "取值", "en": "Value"},
    "retention.col.effect": {"zh_CN": "影响", "en": "Effect"},
    "retention.col.since": {"zh_CN": "加入", "en": "Since"},
    "retention.col.until": {"zh_CN": "离开", "en": "Until"},
    "retention.col.when": {"zh_CN": "时间", "en": "When"},
    "retention.col.score": {"zh_CN": "评分", "en": "Score"},
    "retention.col.channel": {"zh_CN": "渠道", "en": "Channel"},
    "retention.col.subject": {"zh_CN": "主题", "en": "Subject"},
    "retention.risk.high": {"zh_CN": "高风险客户", "en": "High-risk customers"},
    "retention.risk.scored": {"zh_CN": "已评分客户", "en": "Customers scored"},
    "retention.risk.at_risk_revenue": {"zh_CN": "风险收入（年）", "en": "Revenue at risk (year)"},
    "retention.risk.drivers": {"zh_CN": "流失的主要驱动因素", "en": "What drives churn"},
    "retention.risk.drivers_note": {
        "zh_CN": "各类原因在模型中的影响占比（平均绝对贡献）",
        "en": "Each kind of reason's share of the model's influence (mean absolute contribution)",
    },
    "retention.risk.min": {"zh_CN": "最低流失概率", "en": "Minimum probability"},
    "retention.risk.segment": {"zh_CN": "分群", "en": "Segment"},
    "retention.c360.title": {"zh_CN": "客户 360", "en": "Customer 360"},
    "retention.c360.profile": {"zh_CN": "客户资料", "en": "Profile"},
    "retention.c360.grade": {"zh_CN": "客户等级与理由", "en": "Account grade and why"},
    "retention.c360.risk": {"zh_CN": "流失风险与原因", "en": "Churn risk and why"},
    "retention.c360.segments": {"zh_CN": "所属分群", "en": "Segments"},
    "retention.c360.conversations": {"zh_CN": "最近会话", "en": "Recent conversations"},
    "retention.c360.cases": {"zh_CN": "投诉与建议", "en": "Complaints and suggestions"},
    "retention.c360.surveys": {"zh_CN": "问卷回答", "en": "Survey answers"},
    "retention.c360.followups": {"zh_CN": "回访", "en": "Follow-ups"},
    "retention.c360.churn": {"zh_CN": "流失记录", "en": "Churn record"},
    "retention.c360.new_followup": {"zh_CN": "新建回访", "en": "New follow-up"},
    "retention.c360.phone": {"zh_CN": "电话", "en": "Phone"},
    "retention.c360.email": {"zh_CN": "邮箱", "en": "E-mail"},
    "retention.c360.tags": {"zh_CN": "标签", "en": "Tags"},
    "retention.c360.created": {"zh_CN": "注册", "en": "Customer since"},
    "retention.c360.open_case": {"zh_CN": "未结", "en": "open"},
    "retention.c360.base": {"zh_CN": "基准（全体客户平均）", "en": "Baseline (average customer)"},
    "retention.c360.note_reasons": {
        "zh_CN": "原因按对流失对数几率的贡献排序；正值推高风险，负值降低风险",
        "en": "Reasons are ranked by their contribution to the churn log-odds; positive raises "
        "the risk, negative lowers it",
    },
    "retention.fu.mine": {"zh_CN": "我的", "en": "Mine"},
    "retention.fu.overdue": {"zh_CN": "已逾期", "en": "Overdue"},
    "retention.fu.complete": {"zh_CN": "完成回访", "en": "Complete"},
    "retention.fu.create": {"zh_CN": "创建", "en": "Create"},
    "retention.fu.due_days": {"zh_CN": "几天内完成", "en": "Due in days"},
    "retention.fu.open_count": {
        "zh_CN": "待回访 {n} · 逾期 {overdue}",
        "en": "{n} open · {overdue} overdue",
    },
    "retention.seg.new": {"zh_CN": "新建规则分群", "en": "New rule segment"},
    "retention.seg.code": {"zh_CN": "编码", "en": "Code"},
    "retention.seg.rule_json": {"zh_CN": "规则（JSON）", "en": "Rule (JSON)"},
    "retention.seg.rule_help": {
        "zh_CN": '例如 {"all": [{"field": "tier", "op": "==", "value": "key_account"}, '
        '{"field": "recency_days", "op": ">", "value": 60}]}',
        "en": 'e.g. {"all": [{"field": "tier", "op": "==", "value": "key_account"}, '
        '{"field": "recency_days", "op": ">", "value": 60}]}',
    },
    "retention.seg.rfm": {"zh_CN": "RFM 八类客户", "en": "RFM classes"},
    "retention.seg.lorenz": {
        "zh_CN": "收入集中度：前 20% 客户贡献 {share} 的收入（基尼系数 {gini}）",
        "en": "Revenue concentration: the top 20 % of customers bring {share} of revenue "
        "(Gini {gini})",
    },
    "retention.seg.history": {
        "zh_CN": "成员变化（每日加入/离开）",
        "en": "Membership over time (joins/leaves per day)",
    },
    "retention.seg.joined": {"zh_CN": "加入", "en": "Joined"},
    "retention.seg.left": {"zh_CN": "离开", "en": "Left"},
    "retention.seg.empty": {
        "zh_CN": "该分群目前没有成员",
        "en": "This segment has no members right now",
    },
    "retention.seg.refresh": {"zh_CN": "立即刷新成员", "en": "Refresh members now"},
    "retention.wb.reasons": {"zh_CN": "流失原因分布", "en": "Why customers left"},
    "retention.wb.churned": {"zh_CN": "已流失客户", "en": "Churned customers"},
    "retention.wb.researched": {
        "zh_CN": "已调研 {done} / {total}（{share}）",
        "en": "{done} of {total} researched ({share})",
    },
    "retention.wb.campaigns": {"zh_CN": "挽回活动", "en": "Campaigns"},
    "retention.wb.targets": {"zh_CN": "目标 / 对照", "en": "Targets / holdout"},
    "retention.wb.converted": {
        "zh_CN": "回购率（目标 vs 对照）",
        "en": "Bought again (targets vs holdout)",
    },
    "retention.wb.new": {"zh_CN": "新建挽回活动", "en": "New campaign"},
    "retention.wb.offer": {"zh_CN": "权益 / 话术", "en": "Offer"},
    "retention.wb.cost": {"zh_CN": "每人触达成本 (¥)", "en": "Cost per contact (¥)"},
    "retention.wb.holdout": {
        "zh_CN": "对照组比例（不触达，用于衡量效果）",
        "en": "Holdout share (not contacted, to measure the effect)",
    },
    "retention.wb.not_started": {
        "zh_CN": "草稿：开始后统计回购与提升",
        "en": "Draft: results are counted once it starts",
    },
    "retention.wb.start": {"zh_CN": "开始", "en": "Start"},
    "retention.wb.finish": {"zh_CN": "结束", "en": "Finish"},
    "retention.wb.lift": {"zh_CN": "提升", "en": "Lift"},
    "retention.wb.roi": {"zh_CN": "成本 / 增量收入", "en": "Cost / incremental revenue"},
    "retention.eco.panel": {
        "zh_CN": "本工作区的留存经济账",
        "en": "This workspace's retention economics",
    },
    "retention.eco.calculator": {"zh_CN": "留存计算器", "en": "Retention calculator"},
    "retention.eco.unset": {
        "zh_CN": "管理员尚未填写获客成本、留存成本和毛利率：下列涉及成本的数字暂不计算",
        "en": "An admin has not entered the acquisition cost, retention cost and margin yet: "
        "figures that need them are not computed",
    },
    "retention.eco.compute": {"zh_CN": "计算", "en": "Compute"},
    "retention.eco.customer_lifetime_value": {
        "zh_CN": "客户终身价值 (CLV)",
        "en": "Customer lifetime value",
    },
    "retention.eco.years": {"zh_CN": "年", "en": "years"},
    "retention.eco.customers_lost_per_year": {
        "zh_CN": "每年流失客户",
        "en": "Customers lost per year",
    },
    "retention.eco.revenue_lost_with_them_year": {
        "zh_CN": "流失带走的年收入",
        "en": "Revenue lost with them (year)",
    },
    "retention.eco.retention_5_points": {
        "zh_CN": "留存率提高 5 个百分点",
        "en": "Retention +5 points",
    },
    "retention.eco.customers_revenue_kept": {
        "zh_CN": "多留住的客户 / 收入",
        "en": "Customers / revenue kept",
    },
    "retention.eco.lifetime_value_after_the_lift": {
        "zh_CN": "提升后的客户终身价值",
        "en": "Lifetime value after the lift",
    },
    "retention.eco.customer_equity_gained": {
        "zh_CN": "客户资产增加",
        "en": "Customer equity gained",
    },
    "retention.eco.cost_of_replacing_lost_customers": {
        "zh_CN": "补回流失客户的获客成本",
        "en": "Cost of replacing lost customers",
    },
    "retention.eco.cost_of_keeping_them": {"zh_CN": "留住他们的成本", "en": "Cost of keeping them"},
    "retention.eco.acquire_to_retain_cost_ratio": {
        "zh_CN": "获客 / 留存成本比",
        "en": "Acquire-to-retain cost ratio",
    },
    "retention.eco.active_customers": {"zh_CN": "活跃客户", "en": "Active customers"},
    "retention.eco.revenue_365_days": {"zh_CN": "近 365 天收入", "en": "Revenue, 365 days"},
    "retention.eco.annual_retention_measured": {
        "zh_CN": "年留存率（实测）",
        "en": "Annual retention (measured)",
    },
    "retention.eco.customers": {"zh_CN": "客户数", "en": "Customers"},
    "retention.eco.revenue_per_customer_a_year": {
        "zh_CN": "每客户年收入 (¥)",
        "en": "Revenue per customer a year (¥)",
    },
    "retention.eco.annual_retention_0_1": {
        "zh_CN": "年留存率 (0-1)",
        "en": "Annual retention (0-1)",
    },
    "retention.eco.gross_margin_0_1": {"zh_CN": "毛利率 (0-1)", "en": "Gross margin (0-1)"},
    "retention.eco.acquisition_cost_a_customer": {
        "zh_CN": "获客成本 (¥/客户)",
        "en": "Acquisition cost (¥ a customer)",
    },
    "retention.eco.retention_cost_a_customer_a_year": {
        "zh_CN": "留存成本 (¥/客户/年)",
        "en": "Retention cost (¥ a customer a year)",
    },
}

# The services' notes are English sentences (the API returns them as they are); the pages show
# them in the reader's language through these patterns. A note without a pattern shows as is.
NOTES_ZH: tuple[tuple[str, str], ...] = (
    (r"annualised from (\d+) days of history", r"按 \1 天的历史年化"),
    (r"not set by an admin: (.+); figures that need them are left out",
     r"管理员尚未填写：\1；依赖它们的数字暂不计算"),
    (r"no churn risk scores yet: revenue at risk is not measured", "尚无流失风险评分：风险收入暂不计算"),
    (r"no paid orders in the last 365 days", "近 365 天没有付费订单"),
    (r"no lost customers in this window", "该时间段内没有流失客户"),
    (r"no reason recorded yet: every lost customer is 'unknown'", "尚未记录任何流失原因：全部为“未知”"),
    (r"(\d+) of (\d+) reasons are unknown: read the shares with care",
     r"\2 位流失客户中 \1 位原因未知：占比仅供参考"),
    (r"only (\d+) customers held out: the lift is a rough guide", r"对照组仅 \1 人：提升仅供粗略参考"),
    (r"no holdout: the lift and the incremental revenue cannot be measured",
     "没有对照组：无法衡量提升与增量收入"),
    (r"running: figures up to now", "进行中：数据截至目前"),
    (r"no profiles yet: refresh the profiles first", "尚无客户画像：请先刷新客户画像"),
    (r"no customer paid for an order in the 365 days: there is no revenue to split",
     "近 365 天没有客户付费：没有可分摊的收入"),
)  # fmt: skip


def note_text(note: str, locale: str) -> str:
    """A service note in the page's language (English notes pass through unchanged); a note
    made of several joined by "; " is translated part by part."""
    if not locale.startswith("zh"):
        return note

    def one(part: str) -> str | None:
        for pattern, zh in NOTES_ZH:
            if re.fullmatch(pattern, part):
                return re.sub(pattern, zh, part)
        return None

    whole = one(note)
    if whole is not None:
        return whole
    return "；".join(one(part) or part for part in note.split("; "))


register_messages(
    MESSAGES
    | {
        f"retention.{group}.{key}": {"zh_CN": zh, "en": en}
        for group, table in LABELS.items()
        for key, (zh, en) in table.items()
    }
)
