"""Every string the complaint pages show, in Simplified Chinese and English side by side."""

from __future__ import annotations

from liuke.core.i18n import register_messages

# value labels: ``complaints.<group>.<value>``, one table per vocabulary of the domain
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {
        "inquiry": ("咨询", "Inquiry"),
        "complaint": ("投诉", "Complaint"),
        "suggestion": ("建议", "Suggestion"),
    },
    "status": {
        "new": ("新建", "New"),
        "acknowledged": ("已受理", "Acknowledged"),
        "in_progress": ("处理中", "In progress"),
        "resolved": ("已解决", "Resolved"),
        "closed": ("已关闭", "Closed"),
        "reopened": ("重新打开", "Reopened"),
    },
    "category": {
        "product_quality": ("产品质量", "Product quality"),
        "service_policy": ("服务政策", "Service policy"),
        "work_quality": ("工作质量", "Work quality"),
        "other": ("其他", "Other"),
        "unknown": ("未分类", "Unclassified"),
    },
    "severity": {
        "low": ("低", "Low"),
        "normal": ("一般", "Normal"),
        "high": ("高", "High"),
        "critical": ("紧急", "Critical"),
    },
    "source": {
        "conversation": ("会话", "Conversation"),
        "email": ("邮件", "E-mail"),
        "api": ("接口", "API"),
        "agent": ("坐席录入", "Entered by an agent"),
        "import": ("导入", "Import"),
    },
    "tier": {
        "key_account": ("重点客户", "Key account"),
        "ordinary": ("普通客户", "Ordinary"),
        "unknown": ("未知", "Unknown"),
    },
    "channel": {
        "web": ("网页", "Web"),
        "email": ("邮件", "E-mail"),
        "api": ("接口", "API"),
        "phone": ("电话", "Phone"),
        "unknown": ("未知", "Unknown"),
    },
    "review": {
        "none": ("无需复核", "Not sampled"),
        "queued": ("待复核", "Queued"),
        "reviewed": ("已复核", "Reviewed"),
    },
    "alert_status": {
        "active": ("进行中", "Active"),
        "open": ("新预警", "Open"),
        "escalated": ("已升级", "Escalated"),
        "acknowledged": ("已确认", "Acknowledged"),
        "closed": ("已关闭", "Closed"),
        "all": ("全部", "All"),
    },
    "root_cause": {
        "person": ("人员", "Person"),
        "product": ("产品", "Product"),
        "process": ("流程", "Process"),
        "policy": ("政策", "Policy"),
    },
    "action": {
        "apology": ("道歉", "Apology"),
        "refund": ("退款", "Refund"),
        "replacement": ("换货", "Replacement"),
        "compensation": ("补偿", "Compensation"),
        "follow_up_call": ("回访电话", "Follow-up call"),
    },
    "outcome": {
        "pending": ("待定", "Pending"),
        "recovered": ("已挽回", "Recovered"),
        "not_recovered": ("未挽回", "Not recovered"),
    },
    "source_kind": {
        "case": ("投诉工单", "Complaint case"),
        "inspection": ("质检发现", "Inspection finding"),
        "sla": ("服务超时", "SLA breach"),
    },
    "dimension": {
        "product_line": ("产品线", "Product line"),
        "category": ("投诉类别", "Category"),
        "customer_tier": ("客户等级", "Customer tier"),
        "channel_kind": ("渠道", "Channel"),
        "cell": ("类别 × 产品线", "Category × product line"),
    },
    "by": {
        "category": ("投诉类别", "Category"),
        "subcategory": ("子类别", "Subcategory"),
        "product_line": ("产品线", "Product line"),
        "channel": ("渠道", "Channel"),
        "tier": ("客户等级", "Customer tier"),
        "cell": ("类别 × 产品线", "Category × product line"),
    },
    "value_tier": {
        "top20": ("前 20% 客户", "Top 20% of customers"),
        "next30": ("其后 30% 客户", "Next 30%"),
        "rest50": ("其余 50% 客户", "Remaining 50%"),
        "no_orders": ("无付款订单", "No paid orders"),
    },
    "rule": {
        "rule1": ("规则1（超出 3σ）", "Rule 1 (beyond 3σ)"),
        "rule2": ("规则2（3 点中 2 点超出 2σ）", "Rule 2 (2 of 3 beyond 2σ)"),
        "rule3": ("规则3（5 点中 4 点超出 1σ）", "Rule 3 (4 of 5 beyond 1σ)"),
        "rule4": ("规则4（连续 8 点在中心线上方）", "Rule 4 (8 in a row above the centre)"),
        "ewma": ("EWMA", "EWMA"),
        "cusum": ("CUSUM", "CUSUM"),
    },
    "rule_text": {
        "rule1": (
            "单点超出 3σ 控制上限（UCL）：这一天的投诉率在平常几乎不可能出现",
            "One point beyond 3σ (the UCL): a day's rate that almost never happens by chance",
        ),
        "rule2": (
            "连续 3 点中有 2 点超出 2σ：短期内明显偏高",
            "2 of 3 points in a row beyond 2σ: clearly high for a few days",
        ),
        "rule3": (
            "连续 5 点中有 4 点超出 1σ：小幅但持续偏高",
            "4 of 5 points in a row beyond 1σ: a small but steady rise",
        ),
        "rule4": (
            "连续 8 点在中心线同一侧（上方）：水平已整体上移",
            "8 points in a row on one side of (above) the centre line: the level has shifted",
        ),
        "ewma": (
            "EWMA（指数加权移动平均）超出控制限：持续的小幅上升",
            "EWMA (exponentially weighted moving average) beyond its limit: a sustained small rise",
        ),
        "cusum": (
            "CUSUM（累积和）超出决策限：投诉率持续偏离基线",
            "CUSUM (cumulative sum) beyond its decision limit: a sustained shift from the baseline",
        ),
    },
    "missing": {
        "no_sales_volume": ("当天没有销量数据", "No sales volume recorded that day"),
        "missing_count": ("缺少当天的投诉数", "No complaint count for the day"),
        "insufficient_baseline": (
            "历史数据不足，尚无控制限",
            "Not enough history yet for control limits",
        ),
    },
    "event": {
        "created": ("创建工单", "Case created"),
        "assigned": ("分派", "Assigned"),
        "reassigned": ("转派", "Reassigned"),
        "status": ("状态变更", "Status changed"),
        "note": ("内部备注", "Note"),
        "message": ("客户沟通", "Message"),
        "classified": ("确认分类", "Classified"),
        "merged": ("合并重复工单", "Merged"),
        "linked": ("关联工单", "Linked"),
        "unlinked": ("取消关联", "Unlinked"),
        "reviewed": ("复核分类", "Second review"),
        "acknowledged": ("已受理并告知客户", "Acknowledged to the customer"),
        "customer_notified": ("已通知客户", "Customer notified"),
        "notify_failed": ("通知客户失败", "Notifying the customer failed"),
    },
    "tab": {
        "overview": ("概览", "Overview"),
        "cases": ("工单", "Cases"),
        "charts": ("控制图", "Control charts"),
        "alerts": ("预警", "Alerts"),
        "pareto": ("帕累托分析", "Pareto"),
        "recovery": ("服务补救", "Recovery"),
        "requests": ("需求建议", "Feature requests"),
        "review": ("分类复核", "QA review"),
        "warning": ("预警日报", "Daily warning"),
    },
}

MESSAGES: dict[str, dict[str, str]] = {
    "complaints.title": {"zh_CN": "投诉管理", "en": "Complaints"},
    "complaints.subtitle": {
        "zh_CN": "投诉分布、控制图预警、工单处理与服务补救",
        "en": "Where complaints land, control-chart alerts, case handling and service recovery",
    },
    "complaints.window": {
        "zh_CN": "{start} 至 {end}（{days} 天）",
        "en": "{start} to {end} ({days} days)",
    },
    "complaints.filter.start": {"zh_CN": "开始日期", "en": "From"},
    "complaints.filter.end": {"zh_CN": "结束日期", "en": "To"},
    "complaints.filter.day": {"zh_CN": "日期", "en": "Day"},
    "complaints.filter.any": {"zh_CN": "全部", "en": "Any"},
    "complaints.filter.apply": {"zh_CN": "筛选", "en": "Apply"},
    "complaints.filter.reset": {"zh_CN": "重置", "en": "Reset"},
    "complaints.filter.q": {"zh_CN": "关键词", "en": "Text"},
    "complaints.filter.overdue": {"zh_CN": "仅看超期", "en": "Overdue only"},
    "complaints.filter.cell": {"zh_CN": "单元", "en": "Cell"},
    "complaints.filter.all_cells": {"zh_CN": "全部单元", "en": "All cells"},
    "complaints.unknown_line": {"zh_CN": "未知产品线", "en": "Unknown line"},
    "complaints.none": {"zh_CN": "无", "en": "None"},
    "complaints.saved": {"zh_CN": "已保存", "en": "Saved"},
    "complaints.prev": {"zh_CN": "上一页", "en": "Previous"},
    "complaints.next": {"zh_CN": "下一页", "en": "Next"},
    "complaints.page": {
        "zh_CN": "第 {page} 页，共 {total} 条",
        "en": "Page {page}, {total} in all",
    },
    # columns
    "complaints.col.number": {"zh_CN": "编号", "en": "Number"},
    "complaints.col.kind": {"zh_CN": "类型", "en": "Kind"},
    "complaints.col.title": {"zh_CN": "标题", "en": "Title"},
    "complaints.col.description": {"zh_CN": "描述", "en": "Description"},
    "complaints.col.status": {"zh_CN": "状态", "en": "Status"},
    "complaints.col.severity": {"zh_CN": "严重度", "en": "Severity"},
    "complaints.col.category": {"zh_CN": "类别", "en": "Category"},
    "complaints.col.subcategory": {"zh_CN": "子类别", "en": "Subcategory"},
    "complaints.col.product_line": {"zh_CN": "产品线", "en": "Product line"},
    "complaints.col.tier": {"zh_CN": "客户等级", "en": "Customer tier"},
    "complaints.col.channel": {"zh_CN": "渠道", "en": "Channel"},
    "complaints.col.owner": {"zh_CN": "负责人", "en": "Owner"},
    "complaints.col.first_owner": {"zh_CN": "首个负责人", "en": "First owner"},
    "complaints.col.due": {"zh_CN": "处理期限", "en": "Due"},
    "complaints.col.received": {"zh_CN": "受理时间", "en": "Received"},
    "complaints.col.source": {"zh_CN": "来源", "en": "Source"},
    "complaints.col.customer": {"zh_CN": "客户", "en": "Customer"},
    "complaints.col.customer_id": {"zh_CN": "客户编号（可选）", "en": "Customer id (optional)"},
    "complaints.col.conversation": {"zh_CN": "会话", "en": "Conversation"},
    "complaints.col.reassigns": {"zh_CN": "转派次数", "en": "Reassignments"},
    "complaints.col.reopens": {"zh_CN": "重开次数", "en": "Reopened"},
    "complaints.col.resolution": {"zh_CN": "解决方案", "en": "Resolution"},
    "complaints.col.review": {"zh_CN": "复核", "en": "Review"},
    "complaints.col.count": {"zh_CN": "件数", "en": "Complaints"},
    "complaints.col.share": {"zh_CN": "占比", "en": "Share"},
    "complaints.col.cumulative": {"zh_CN": "累计占比", "en": "Cumulative share"},
    "complaints.col.item": {"zh_CN": "项目", "en": "Item"},
    "complaints.col.cell": {"zh_CN": "单元", "en": "Cell"},
    "complaints.col.dimension": {"zh_CN": "维度", "en": "Dimension"},
    "complaints.col.period": {"zh_CN": "起止日期", "en": "Days"},
    "complaints.col.peak": {"zh_CN": "峰值", "en": "Peak"},
    "complaints.col.rules": {"zh_CN": "判异规则", "en": "Rules fired"},
    "complaints.col.department": {"zh_CN": "升级部门", "en": "Department"},
    "complaints.col.root_cause": {"zh_CN": "根因", "en": "Root cause"},
    "complaints.col.cause_detail": {"zh_CN": "根因说明", "en": "Cause detail"},
    "complaints.col.action": {"zh_CN": "补救措施", "en": "Action"},
    "complaints.col.cost": {"zh_CN": "成本（元）", "en": "Cost (¥)"},
    "complaints.col.outcome": {"zh_CN": "结果", "en": "Outcome"},
    "complaints.col.note": {"zh_CN": "备注", "en": "Note"},
    "complaints.col.created": {"zh_CN": "记录时间", "en": "Recorded"},
    "complaints.col.source_kind": {"zh_CN": "来源", "en": "Source"},
    "complaints.col.customers": {"zh_CN": "客户数", "en": "Customers"},
    "complaints.col.revenue": {"zh_CN": "营收", "en": "Revenue"},
    "complaints.col.revenue_share": {"zh_CN": "营收占比", "en": "Share of revenue"},
    "complaints.col.complaints_share": {"zh_CN": "投诉占比", "en": "Share of complaints"},
    "complaints.col.complaining": {"zh_CN": "投诉客户", "en": "Complaining customers"},
    "complaints.col.per_1000": {"zh_CN": "每千客户投诉", "en": "Per 1,000 customers"},
    "complaints.col.issue": {"zh_CN": "问题", "en": "Issue"},
    "complaints.col.cost_total": {"zh_CN": "补救成本", "en": "Recovery cost"},
    "complaints.col.cost_per_case": {"zh_CN": "每件成本", "en": "Cost per case"},
    "complaints.col.csat": {"zh_CN": "满意度（该问题 / 其他）", "en": "CSAT (issue / others)"},
    "complaints.col.gain": {"zh_CN": "预计满意度提升", "en": "Estimated gain"},
    "complaints.col.gain_per_cost": {"zh_CN": "每元提升", "en": "Gain per ¥"},
    "complaints.col.recovered": {"zh_CN": "已挽回", "en": "Recovered"},
    "complaints.col.not_recovered": {"zh_CN": "未挽回", "en": "Not recovered"},
    "complaints.col.pending": {"zh_CN": "待定", "en": "Pending"},
    "complaints.col.recovered_share": {"zh_CN": "挽回率", "en": "Recovered share"},
    "complaints.col.process_change": {"zh_CN": "需改流程", "en": "Process change"},
    "complaints.col.label": {"zh_CN": "需求", "en": "Request"},
    "complaints.col.examples": {"zh_CN": "示例", "en": "Examples"},
    "complaints.col.cases": {"zh_CN": "工单", "en": "Cases"},
    "complaints.col.today": {"zh_CN": "当日", "en": "On the day"},
    "complaints.col.daily_mean": {"zh_CN": "近 28 日日均", "en": "28-day daily mean"},
    "complaints.col.excess": {"zh_CN": "超出", "en": "Excess"},
    "complaints.col.day": {"zh_CN": "日期", "en": "Day"},
    "complaints.col.orders": {"zh_CN": "订单数", "en": "Orders"},
    "complaints.col.rate": {"zh_CN": "每万单投诉", "en": "Per 10,000 orders"},
    # overview
    "complaints.kpi.complaints": {"zh_CN": "投诉件数", "en": "Complaints"},
    "complaints.kpi.vs_previous": {
        "zh_CN": "较上一周期（{start} 至 {end}，{count} 件）{change}",
        "en": "vs the previous period ({start} to {end}, {count}): {change}",
    },
    "complaints.kpi.no_previous": {
        "zh_CN": "上一周期（{start} 至 {end}）没有投诉，无法比较",
        "en": "No complaints in the previous period ({start} to {end}) to compare with",
    },
    "complaints.kpi.alerts": {"zh_CN": "进行中的预警", "en": "Active alerts"},
    "complaints.kpi.overdue": {"zh_CN": "超期工单", "en": "Overdue cases"},
    "complaints.kpi.overdue_hint": {
        "zh_CN": "未解决且已过处理期限",
        "en": "Open and past their due time",
    },
    "complaints.kpi.silent": {"zh_CN": "沉默不满客户（估计）", "en": "Silent unhappy (estimate)"},
    "complaints.kpi.silent_per": {
        "zh_CN": "每 1 件投诉背后约 {n} 位不满却未投诉的客户；已观察到 {observed} 位",
        "en": "About {n} silent unhappy customers per complaint; {observed} observed",
    },
    "complaints.kpi.silent_observed": {
        "zh_CN": "已观察到 {observed} 位有负面信号但未投诉的客户（下限）",
        "en": "{observed} customers with a negative signal and no complaint (a lower bound)",
    },
    "complaints.silent.no_detractors": {
        "zh_CN": "窗口内没有低满意度评分，无法估计不满客户的投诉率",
        "en": "No detractor CSAT in the window: the complaint rate of unhappy customers is unknown",
    },
    "complaints.silent.zero_rate": {
        "zh_CN": "低满意度客户中没有人投诉（r = 0），比率估计无上限",
        "en": "No detractor filed a complaint (r = 0): the ratio estimate is unbounded",
    },
    "complaints.silent.method_title": {"zh_CN": "估计方法", "en": "Method"},
    "complaints.silent.method": {
        "zh_CN": "比率估计：投诉客户 = 窗口内有投诉工单的不同客户；低分客户 = 窗口内满意度评分 ≤ "
        "{csat} 的客户；r = 低分客户中同时投诉的比例。假设低分客户与全部不满客户的投诉率相同，"
        "估计不满客户 = 投诉客户 ÷ r，估计沉默客户 = 估计不满客户 − 投诉客户。已观察到的沉默客户"
        "是有负面信号（低分评价，或质检愤怒度 ≥ {anger} 或升级）却没有投诉的客户，只是下限。",
        "en": "Ratio estimate. Complainants are the distinct customers with a complaint case in "
        "the window; detractors are the customers who gave a CSAT of {csat} or less; r is the "
        "share of detractors who also complained. Assuming detractors complain at the same rate "
        "as all unhappy customers, estimated unhappy = complainants / r and estimated silent = "
        "estimated unhappy − complainants. Observed silent customers have a negative signal (a "
        "detractor CSAT, or an inspected conversation with anger ≥ {anger} or an escalation) "
        "and no complaint: a lower bound.",
    },
    "complaints.grid.title": {
        "zh_CN": "投诉分类矩阵（产品线 × 类别）",
        "en": "Classification grid (product line × category)",
    },
    "complaints.grid.hint": {
        "zh_CN": "格子里是件数；悬停查看每万单投诉率",
        "en": "Each cell shows the count; hover for the rate per 10,000 orders",
    },
    "complaints.grid.tip": {
        "zh_CN": "{line} · {category}：{count} 件 · 每万单 {rate}",
        "en": "{line} · {category}: {count} · {rate} per 10,000 orders",
    },
    "complaints.pareto.small": {
        "zh_CN": "帕累托（类别 × 产品线）",
        "en": "Pareto (category × product line)",
    },
    "complaints.alerts.active": {"zh_CN": "进行中的预警", "en": "Active alerts"},
    "complaints.alerts.none": {"zh_CN": "没有预警", "en": "No alerts"},
    "complaints.alerts.more": {"zh_CN": "查看全部预警", "en": "All alerts"},
    "complaints.empty": {"zh_CN": "这段时间没有投诉", "en": "No complaints in this period"},
    # cases
    "complaints.cases.title": {"zh_CN": "投诉工单", "en": "Cases"},
    "complaints.cases.none": {"zh_CN": "没有符合条件的工单", "en": "No cases match"},
    "complaints.new.title": {"zh_CN": "新建工单", "en": "New case"},
    "complaints.new.category_hint": {
        "zh_CN": "留空则由分类模型给出建议",
        "en": "Leave empty to let the classifier suggest",
    },
    "complaints.new.line_hint": {"zh_CN": "不确定可留空", "en": "Leave empty if unsure"},
    "complaints.new.submit": {"zh_CN": "创建工单", "en": "Create case"},
    "complaints.overdue": {"zh_CN": "已超期", "en": "Overdue"},
    "complaints.confirmed": {"zh_CN": "已确认", "en": "confirmed"},
    "complaints.suggested": {
        "zh_CN": "模型建议（置信度 {confidence}）",
        "en": "suggested by the classifier ({confidence} confidence)",
    },
    "complaints.suggested_line": {
        "zh_CN": "模型建议产品线：{line}（置信度 {confidence}）",
        "en": "Suggested product line: {line} ({confidence} confidence)",
    },
    "complaints.unconfirmed": {"zh_CN": "待确认", "en": "unconfirmed"},
    # case detail
    "complaints.case.title": {"zh_CN": "工单 {number}", "en": "Case {number}"},
    "complaints.case.fields": {"zh_CN": "工单信息", "en": "Details"},
    "complaints.case.timeline": {"zh_CN": "处理记录", "en": "Timeline"},
    "complaints.case.on_duplicate": {
        "zh_CN": "来自重复工单 {number}",
        "en": "on duplicate {number}",
    },
    "complaints.case.merged_into": {
        "zh_CN": "此工单已合并到 {number}，请在该工单处理",
        "en": "This case was merged into {number}; work there",
    },
    "complaints.case.parent": {"zh_CN": "上级工单", "en": "Parent case"},
    "complaints.case.children": {"zh_CN": "关联的子工单", "en": "Linked children"},
    "complaints.case.duplicates": {"zh_CN": "已合并的重复工单", "en": "Merged duplicates"},
    "complaints.case.open_conversation": {
        "zh_CN": "查看会话 #{id}",
        "en": "Open conversation #{id}",
    },
    "complaints.case.no_events": {"zh_CN": "还没有记录", "en": "Nothing yet"},
    "complaints.case.by": {"zh_CN": "由 {name}", "en": "by {name}"},
    "complaints.case.system": {"zh_CN": "系统", "en": "system"},
    "complaints.case.corrected": {
        "zh_CN": "（纠正了模型建议）",
        "en": " (corrected the suggestion)",
    },
    "complaints.case.agrees": {"zh_CN": "与首次分类一致", "en": "agrees with the first"},
    "complaints.case.disagrees": {"zh_CN": "与首次分类不一致", "en": "disagrees with the first"},
    "complaints.form.status": {"zh_CN": "变更状态", "en": "Change status"},
    "complaints.form.next_status": {"zh_CN": "新状态", "en": "New status"},
    "complaints.form.no_next": {"zh_CN": "当前状态不能再变更", "en": "No further status"},
    "complaints.form.resolution_hint": {
        "zh_CN": "解决投诉时必须说明如何解决的",
        "en": "Resolving a complaint needs a resolution",
    },
    "complaints.form.assign": {"zh_CN": "分派 / 转派", "en": "Assign / reassign"},
    "complaints.form.reason": {"zh_CN": "转派原因", "en": "Reason for the change"},
    "complaints.form.reason_hint": {
        "zh_CN": "一站式负责：已有负责人时必须说明原因",
        "en": "One-stop ownership: a case with an owner needs a reason to move",
    },
    "complaints.form.note": {"zh_CN": "添加备注", "en": "Add a note"},
    "complaints.form.classify": {"zh_CN": "确认 / 纠正分类", "en": "Confirm or correct the class"},
    "complaints.form.merge": {"zh_CN": "合并重复工单", "en": "Merge duplicates"},
    "complaints.form.merge_hint": {
        "zh_CN": "同一客户同一问题的其他工单编号，逗号分隔（如 C000012, 15）",
        "en": "Other cases of the same customer and issue, comma separated (e.g. C000012, 15)",
    },
    "complaints.form.link": {"zh_CN": "关联子工单", "en": "Link children"},
    "complaints.form.link_hint": {
        "zh_CN": "同一原因的其他客户工单编号，逗号分隔",
        "en": "Other customers' cases with the same cause, comma separated",
    },
    "complaints.form.unlink": {"zh_CN": "取消与上级工单的关联", "en": "Unlink from the parent"},
    "complaints.form.ids": {"zh_CN": "工单编号", "en": "Case numbers"},
    "complaints.form.submit": {"zh_CN": "提交", "en": "Submit"},
    "complaints.form.save": {"zh_CN": "保存", "en": "Save"},
    "complaints.form.none": {"zh_CN": "（无）", "en": "(none)"},
    "complaints.recovery.case_title": {"zh_CN": "服务补救记录", "en": "Recovery records"},
    "complaints.recovery.add": {"zh_CN": "添加补救记录", "en": "Add a recovery record"},
    "complaints.recovery.none": {"zh_CN": "还没有补救记录", "en": "No recovery records yet"},
    "complaints.recovery.no_action": {"zh_CN": "（尚未决定）", "en": "(not decided)"},
    # charts
    "complaints.charts.title": {"zh_CN": "投诉控制图", "en": "Complaint control charts"},
    "complaints.charts.hint": {
        "zh_CN": "每万单投诉率与中心线、控制上限（UCL）和下限（LCL）；红色标记为预警点，空缺为缺失数据",
        "en": "Rate per 10,000 orders with the centre line, UCL and LCL; red pins are alerts, gaps "
        "are missing data",
    },
    "complaints.charts.c_note": {
        "zh_CN": "没有销量数据：按每日投诉件数绘制（c 控制图）",
        "en": "No sales volume recorded: plain daily counts (c chart)",
    },
    "complaints.charts.none": {"zh_CN": "这个维度还没有数据", "en": "No data for this dimension"},
    "complaints.charts.alerts": {"zh_CN": "{n} 个预警点", "en": "{n} alert points"},
    "complaints.chart.rate": {"zh_CN": "每万单投诉", "en": "Per 10,000 orders"},
    "complaints.chart.count": {"zh_CN": "投诉件数", "en": "Complaints"},
    "complaints.chart.center": {"zh_CN": "中心线", "en": "Centre"},
    "complaints.chart.ucl": {"zh_CN": "控制上限 UCL", "en": "UCL"},
    "complaints.chart.lcl": {"zh_CN": "控制下限 LCL", "en": "LCL"},
    "complaints.chart.missing": {"zh_CN": "缺失", "en": "Missing"},
    "complaints.chart.alert": {"zh_CN": "预警", "en": "Alert"},
    "complaints.chart.tip_count": {"zh_CN": "{count} 件", "en": "{count} complaints"},
    "complaints.chart.tip_orders": {"zh_CN": "{orders} 单", "en": "{orders} orders"},
    "complaints.chart.tip_rate": {"zh_CN": "每万单 {rate}", "en": "{rate} per 10k"},
    "complaints.chart.tip_limits": {
        "zh_CN": "中心 {center} · UCL {ucl}",
        "en": "centre {center} · UCL {ucl}",
    },
    "complaints.chart.cumulative": {"zh_CN": "累计占比", "en": "Cumulative share"},
    # alerts
    "complaints.alerts.title": {"zh_CN": "投诉预警", "en": "Complaint alerts"},
    "complaints.alerts.detect": {"zh_CN": "立即运行检测", "en": "Run detection now"},
    "complaints.alerts.detect_hint": {
        "zh_CN": "按截至昨天（{day}）的数据重新计算所有控制图",
        "en": "Recompute every control chart up to yesterday ({day})",
    },
    "complaints.alerts.detected": {
        "zh_CN": "检测完成：计算了 {charts} 张控制图，新增 {raised} 个预警，更新 {updated} 个",
        "en": "Detection done: {charts} charts, {raised} new alerts, {updated} updated",
    },
    "complaints.alert.title": {"zh_CN": "预警 #{id}", "en": "Alert #{id}"},
    "complaints.alert.days": {
        "zh_CN": "{first} 至 {last}，峰值 {peak}（{count} 件，每万单 {rate}）",
        "en": "{first} to {last}, peak on {peak} ({count}, {rate} per 10k)",
    },
    "complaints.alert.evidence": {"zh_CN": "证据", "en": "Evidence"},
    "complaints.alert.observed": {
        "zh_CN": "实际 {observed} 件，预期 {expected} 件，倍数 {ratio}",
        "en": "Observed {observed}, expected {expected}, ratio {ratio}",
    },
    "complaints.alert.top_subcategories": {"zh_CN": "主要子类别", "en": "Top subcategories"},
    "complaints.alert.samples": {"zh_CN": "样例工单", "en": "Sample cases"},
    "complaints.alert.rules": {"zh_CN": "触发的判异规则", "en": "Rules fired"},
    "complaints.alert.actions": {"zh_CN": "处理", "en": "Actions"},
    "complaints.alert.acknowledge": {"zh_CN": "确认收到", "en": "Acknowledge"},
    "complaints.alert.close": {"zh_CN": "关闭预警", "en": "Close"},
    "complaints.alert.reopen": {"zh_CN": "重新打开", "en": "Reopen"},
    "complaints.alert.resolution_hint": {
        "zh_CN": "关闭时必须说明对原因做了什么",
        "en": "Closing needs what was done about the cause",
    },
    "complaints.alert.department_hint": {
        "zh_CN": "改成其他部门时填写，随确认或关闭一起保存",
        "en": "A different department is saved with the acknowledgement or closing",
    },
    "complaints.alert.resolution": {"zh_CN": "处理结果：{text}", "en": "Resolution: {text}"},
    "complaints.alert.no_actions": {"zh_CN": "没有可执行的操作", "en": "Nothing to do"},
    # pareto
    "complaints.pareto.title": {"zh_CN": "帕累托分析", "en": "Pareto analysis"},
    "complaints.pareto.by": {"zh_CN": "按", "en": "By"},
    "complaints.pareto.vital": {"zh_CN": "关键少数", "en": "Vital few"},
    "complaints.pareto.vital_hint": {
        "zh_CN": "关键少数：合计占投诉 80% 的前几项",
        "en": "Vital few: the first items that together make 80% of complaints",
    },
    "complaints.value.title": {
        "zh_CN": "客户价值分层：投诉占比与营收占比",
        "en": "Customer value tiers: share of complaints vs share of revenue",
    },
    "complaints.fix.title": {"zh_CN": "优先修复排序", "en": "What to fix first"},
    "complaints.fix.hint": {
        "zh_CN": "预计满意度提升 = 件数 ×（其他客户平均满意度 − 该问题平均满意度），再除以补救成本",
        "en": "Estimated gain = count × (others' mean CSAT − the issue's mean CSAT), divided by "
        "the recovery cost",
    },
    "complaints.causes.title": {"zh_CN": "根因分析", "en": "Root causes"},
    "complaints.causes.hint": {
        "zh_CN": "同一根因出现 {n} 次及以上：应改流程，而不只是逐件处理",
        "en": "A cause seen {n} times or more: change the process, not only the cases",
    },
    "complaints.causes.flag": {"zh_CN": "需改流程", "en": "Change the process"},
    # recovery
    "complaints.recovery.title": {"zh_CN": "服务补救记录", "en": "Service recovery log"},
    "complaints.recovery.totals": {
        "zh_CN": "共 {count} 条，成本合计 {cost}，挽回率 {share}",
        "en": "{count} records, {cost} in all, {share} recovered",
    },
    "complaints.recovery.missing": {
        "zh_CN": "已解决但没有补救记录的投诉",
        "en": "Resolved complaints without a recovery record",
    },
    "complaints.recovery.missing_none": {
        "zh_CN": "每件已解决的投诉都有补救记录",
        "en": "Every resolved complaint has a recovery record",
    },
    "complaints.recovery.source": {"zh_CN": "来源", "en": "Source"},
    # requests
    "complaints.requests.title": {"zh_CN": "客户需求与建议", "en": "Feature requests"},
    "complaints.requests.summary": {
        "zh_CN": "共 {total} 条需求，{groups} 组；{ungrouped} 条未成组",
        "en": "{total} requests in {groups} groups; {ungrouped} not grouped",
    },
    "complaints.requests.none": {
        "zh_CN": "这段时间没有成组的需求",
        "en": "No grouped requests in this period",
    },
    # review
    "complaints.review.title": {"zh_CN": "分类质量复核", "en": "Classification QA review"},
    "complaints.review.hint": {
        "zh_CN": "盲审：不显示首次分类，请独立判断类别和产品线；复核人不能是首次分类人",
        "en": "Blind review: the first classification is hidden; choose the category and "
        "product line yourself (not the person who classified it)",
    },
    "complaints.review.rate": {"zh_CN": "一致率", "en": "Agreement"},
    "complaints.review.kappa": {"zh_CN": "Kappa 系数", "en": "Cohen's kappa"},
    "complaints.review.reviewed": {"zh_CN": "已复核", "en": "Reviewed"},
    "complaints.review.queued": {"zh_CN": "待复核", "en": "Queued"},
    "complaints.review.none": {"zh_CN": "复核队列是空的", "en": "The review queue is empty"},
    "complaints.review.submit": {"zh_CN": "提交复核", "en": "Submit review"},
    # warning
    "complaints.warning.title": {"zh_CN": "投诉预警日报", "en": "Daily complaint warning"},
    "complaints.warning.summary": {"zh_CN": "概要", "en": "Summary"},
    "complaints.warning.complaints": {"zh_CN": "当日投诉", "en": "Complaints on the day"},
    "complaints.warning.mean": {"zh_CN": "近 28 日日均", "en": "28-day daily mean"},
    "complaints.warning.change": {"zh_CN": "较日均", "en": "vs the mean"},
    "complaints.warning.key_accounts": {"zh_CN": "重点客户投诉", "en": "Key-account complaints"},
    "complaints.warning.active": {"zh_CN": "进行中的预警", "en": "Active alerts"},
    "complaints.warning.on_day": {"zh_CN": "当日预警", "en": "Alerts on the day"},
    "complaints.warning.hot_spots": {"zh_CN": "热点", "en": "Hot spots"},
    "complaints.warning.overdue": {"zh_CN": "超期工单", "en": "Overdue cases"},
    "complaints.warning.overdue_more": {
        "zh_CN": "共 {total} 件，列出前 {shown} 件",
        "en": "{total} in all, the first {shown} listed",
    },
    "complaints.warning.download": {"zh_CN": "下载 Excel", "en": "Download XLSX"},
    "complaints.warning.send": {"zh_CN": "邮件发送", "en": "Send by e-mail"},
    "complaints.warning.recipients": {"zh_CN": "收件人", "en": "Recipients"},
    "complaints.warning.recipients_hint": {
        "zh_CN": "逗号分隔；留空则发给工作区设置的收件人（{configured}）",
        "en": "Comma separated; empty: the workspace's recipients ({configured})",
    },
    "complaints.warning.no_configured": {"zh_CN": "尚未设置", "en": "none set"},
    "complaints.warning.sent": {"zh_CN": "已发送给：{to}", "en": "Sent to: {to}"},
    "complaints.warning.refused": {"zh_CN": "被拒收：{refused}", "en": "Refused: {refused}"},
    "complaints.warning.failed": {"zh_CN": "发送失败：{reason}", "en": "Sending failed: {reason}"},
    "complaints.warning.none": {"zh_CN": "无", "en": "None"},
    # errors
    "complaints.error.title": {"zh_CN": "无法完成请求", "en": "Could not do that"},
    "complaints.error.back": {"zh_CN": "返回", "en": "Back"},
    "complaints.error.date": {
        "zh_CN": "{field}不是有效日期：{value}（应为 YYYY-MM-DD）",
        "en": "{field} is not a valid date: {value} (use YYYY-MM-DD)",
    },
    "complaints.error.range": {
        "zh_CN": "结束日期 {end} 早于开始日期 {start}",
        "en": "The end {end} is before the start {start}",
    },
    "complaints.error.too_long": {
        "zh_CN": "时间范围最长 {days} 天",
        "en": "The period is at most {days} days",
    },
    "complaints.error.choice": {
        "zh_CN": "{field}的取值无效：{value}（可选：{choices}）",
        "en": "{field}: {value} is not one of {choices}",
    },
    "complaints.error.id": {
        "zh_CN": "{field}应为编号：{value}",
        "en": "{field} must be an id: {value}",
    },
    "complaints.error.ids": {
        "zh_CN": "请填写工单编号（如 C000012 或 12），逗号分隔：{value}",
        "en": "Give case numbers (e.g. C000012 or 12), comma separated: {value}",
    },
    "complaints.error.cell": {
        "zh_CN": "这个维度没有该单元：{value}",
        "en": "This dimension has no cell {value}",
    },
    "entity.case": {"zh_CN": "工单", "en": "Case"},
    "entity.complaint_alert": {"zh_CN": "投诉预警", "en": "Complaint alert"},
    "entity.recovery": {"zh_CN": "补救记录", "en": "Recovery record"},
}

for _group, _values in LABELS.items():
    for _value, (_zh, _en) in _values.items():
        MESSAGES[f"complaints.{_group}.{_value}"] = {"zh_CN": _zh, "en": _en}

register_messages(MESSAGES)
