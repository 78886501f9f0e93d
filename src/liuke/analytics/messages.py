"""Every string the analytics pages show, in Simplified Chinese and English side by side.

Metric, dimension and funnel-step names are not here: the catalogue owns them (``label(locale)``)
so a page, an export and the API never name one figure two ways.
"""

from __future__ import annotations

from liuke.core.i18n import register_messages

MESSAGES: dict[str, dict[str, str]] = {
    "analytics.title": {"zh_CN": "数据分析", "en": "Analytics"},
    "analytics.subtitle": {
        "zh_CN": "服务在哪里流失客户：指标、漏斗、趋势、客服与 SLA",
        "en": "Where the service loses customers: metrics, funnel, trends, agents and SLA",
    },
    "analytics.tab.overview": {"zh_CN": "概览", "en": "Overview"},
    "analytics.tab.funnel": {"zh_CN": "漏斗", "en": "Funnel"},
    "analytics.tab.trends": {"zh_CN": "趋势", "en": "Trends"},
    "analytics.tab.agents": {"zh_CN": "客服", "en": "Agents"},
    "analytics.tab.sla": {"zh_CN": "SLA", "en": "SLA"},
    "analytics.range": {
        "zh_CN": "{start} 至 {end}（{days} 天）",
        "en": "{start} to {end} ({days} days)",
    },
    "analytics.range.compare": {
        "zh_CN": "环比对照 {prev_start} 至 {prev_end}，同比对照 {ly_start} 至 {ly_end}",
        "en": "Compared with {prev_start} to {prev_end} and {ly_start} to {ly_end}",
    },
    "analytics.empty": {"zh_CN": "暂无数据", "en": "No data yet"},
    "analytics.empty.hint": {
        "zh_CN": "所选时间和筛选条件下没有会话。",
        "en": "No conversations in the chosen range and filters.",
    },
    # filters
    "analytics.filter.start": {"zh_CN": "开始日期", "en": "From"},
    "analytics.filter.end": {"zh_CN": "结束日期", "en": "To"},
    "analytics.filter.channel_id": {"zh_CN": "渠道", "en": "Channel"},
    "analytics.filter.agent_id": {"zh_CN": "客服", "en": "Agent"},
    "analytics.filter.skill_group_id": {"zh_CN": "技能组", "en": "Skill group"},
    "analytics.filter.product_line_id": {"zh_CN": "产品线", "en": "Product line"},
    "analytics.filter.tier": {"zh_CN": "客户等级", "en": "Customer tier"},
    "analytics.filter.channel_kind": {"zh_CN": "渠道类型", "en": "Channel kind"},
    "analytics.filter.platform": {"zh_CN": "平台", "en": "Platform"},
    "analytics.filter.intent": {"zh_CN": "意图", "en": "Intent"},
    "analytics.filter.hour": {"zh_CN": "时段", "en": "Hour"},
    "analytics.filter.by": {"zh_CN": "分组", "en": "Break down by"},
    "analytics.filter.metrics": {"zh_CN": "指标", "en": "Metrics"},
    "analytics.filter.any": {"zh_CN": "全部", "en": "All"},
    "analytics.filter.apply": {"zh_CN": "查询", "en": "Apply"},
    "analytics.filter.reset": {"zh_CN": "重置", "en": "Reset"},
    "analytics.filter.more": {"zh_CN": "其他筛选", "en": "Other filters"},
    "analytics.filter.remove": {"zh_CN": "移除此筛选", "en": "Remove this filter"},
    "analytics.tier.key_account": {"zh_CN": "重点客户", "en": "Key account"},
    "analytics.tier.ordinary": {"zh_CN": "普通客户", "en": "Ordinary"},
    "analytics.export": {"zh_CN": "导出", "en": "Export"},
    "analytics.share_hint": {
        "zh_CN": "筛选条件都在网址中，复制网址即可分享此视图",
        "en": "The filters live in the URL: copy it to share this view",
    },
    # errors
    "analytics.error.title": {"zh_CN": "无法生成报表", "en": "Cannot build this view"},
    "analytics.error.date": {
        "zh_CN": "{field}「{value}」不是有效日期，请使用 YYYY-MM-DD 格式",
        "en": "{field} {value!r} is not a date; use YYYY-MM-DD",
    },
    "analytics.error.range": {
        "zh_CN": "结束日期 {end} 早于开始日期 {start}",
        "en": "The range ends ({end}) before it starts ({start})",
    },
    "analytics.error.too_long": {
        "zh_CN": "时间范围最多 {days} 天",
        "en": "The range may span at most {days} days",
    },
    "analytics.error.metric": {
        "zh_CN": "未知指标：{names}",
        "en": "Unknown metric: {names}",
    },
    "analytics.error.too_many": {
        "zh_CN": "一次最多选择 {n} 个指标",
        "en": "Pick at most {n} metrics at once",
    },
    "analytics.error.by": {
        "zh_CN": "不支持按「{value}」分组，可选：{choices}",
        "en": "Cannot break down by {value!r}; choose one of: {choices}",
    },
    "analytics.error.id": {
        "zh_CN": "{field}应为数字编号，而不是「{value}」",
        "en": "{field} takes numeric ids, not {value!r}",
    },
    "analytics.error.back": {"zh_CN": "返回概览", "en": "Back to the overview"},
    # overview
    "analytics.kpi.vs_previous": {"zh_CN": "环比", "en": "vs previous"},
    "analytics.kpi.vs_last_year": {"zh_CN": "同比", "en": "vs last year"},
    "analytics.change.flat": {"zh_CN": "无显著变化", "en": "no significant change"},
    "analytics.change.untested": {"zh_CN": "未做显著性检验", "en": "not tested"},
    "analytics.change.better": {"zh_CN": "显著改善", "en": "significantly better"},
    "analytics.change.worse": {"zh_CN": "显著变差", "en": "significantly worse"},
    "analytics.change.none": {"zh_CN": "无对照数据", "en": "nothing to compare with"},
    "analytics.trend.volume": {"zh_CN": "每日咨询与接待", "en": "Daily contacts and receptions"},
    "analytics.trend.speed": {"zh_CN": "每日响应时长", "en": "Daily response times"},
    "analytics.findings.title": {
        "zh_CN": "服务在哪里流失客户",
        "en": "Where the service loses customers",
    },
    "analytics.findings.hint": {
        "zh_CN": "与其余部分相比显著且明显更差的客服、时段、渠道、技能组、产品线与客户等级"
        "（错误发现率 1%，差异至少 25%）",
        "en": "Agents, hours, channels, skill groups, product lines and tiers significantly and "
        "materially worse than the rest (1% false-discovery rate, at least 25% apart)",
    },
    "analytics.findings.none": {
        "zh_CN": "没有发现显著更差的环节",
        "en": "Nothing stands out as significantly worse",
    },
    "analytics.findings.more": {"zh_CN": "其余 {n} 条发现", "en": "{n} more findings"},
    "analytics.findings.conversations": {"zh_CN": "查看会话", "en": "Conversations"},
    "analytics.findings.email": {"zh_CN": "邮件", "en": "Email"},
    "analytics.findings.phone": {"zh_CN": "电话", "en": "Phone"},
    "analytics.finding.line": {
        "zh_CN": "{subject} 的{metric} {value}，{rest_label} {rest}（{effect}）",
        "en": "{subject}: {metric} {value}, {rest_label} {rest} ({effect})",
    },
    "analytics.finding.agent": {"zh_CN": "客服 {label}", "en": "Agent {label}"},
    "analytics.finding.skill_group": {"zh_CN": "技能组 {label}", "en": "Skill group {label}"},
    "analytics.finding.channel": {"zh_CN": "渠道 {label}", "en": "Channel {label}"},
    "analytics.finding.product_line": {"zh_CN": "产品线 {label}", "en": "Product line {label}"},
    "analytics.finding.tier": {"zh_CN": "{label}", "en": "Tier {label}"},
    "analytics.finding.hour": {"zh_CN": "{label} 时段", "en": "Hours {label}"},
    "analytics.finding.rest": {"zh_CN": "其余", "en": "the rest"},
    "analytics.finding.rest.agent": {"zh_CN": "其余团队", "en": "rest of the team"},
    "analytics.finding.rest.skill_group": {"zh_CN": "其余技能组", "en": "other skill groups"},
    "analytics.finding.rest.channel": {"zh_CN": "其余渠道", "en": "other channels"},
    "analytics.finding.rest.product_line": {"zh_CN": "其余产品线", "en": "other product lines"},
    "analytics.finding.rest.tier": {"zh_CN": "其余客户", "en": "other customers"},
    "analytics.finding.rest.hour": {"zh_CN": "其余时段", "en": "other hours"},
    # funnel
    "analytics.funnel.title": {"zh_CN": "服务漏斗", "en": "Service funnel"},
    "analytics.funnel.overall": {"zh_CN": "整体漏斗", "en": "Overall funnel"},
    "analytics.funnel.by": {"zh_CN": "按{dimension}对比", "en": "By {dimension}"},
    "analytics.funnel.step": {"zh_CN": "环节", "en": "Step"},
    "analytics.funnel.count": {"zh_CN": "会话数", "en": "Conversations"},
    "analytics.funnel.share": {"zh_CN": "占进线", "en": "Of contacts"},
    "analytics.funnel.pass": {"zh_CN": "通过率", "en": "Pass rate"},
    "analytics.funnel.lost": {"zh_CN": "流失", "en": "Lost"},
    "analytics.funnel.weakest": {"zh_CN": "流失最多的环节", "en": "Weakest step"},
    "analytics.funnel.gap": {
        "zh_CN": "比整体低 {points} 个百分点",
        "en": "{points} points below overall",
    },
    "analytics.funnel.all": {"zh_CN": "全部", "en": "All"},
    "analytics.funnel.chart": {"zh_CN": "各环节占进线比例", "en": "Share of contacts at each step"},
    # trends
    "analytics.trends.title": {"zh_CN": "指标趋势", "en": "Metric trends"},
    "analytics.trends.bucket": {"zh_CN": "时间", "en": "Period"},
    "analytics.trends.total": {"zh_CN": "合计", "en": "Total"},
    # agents
    "analytics.agents.title": {"zh_CN": "客服绩效", "en": "Agent scorecards"},
    "analytics.agents.hint": {
        "zh_CN": "在线渠道（网页、API）的会话；每项指标与其余团队对比（计数为人均），"
        "绿色显著更好，红色显著更差（全表错误发现率 5%）；电话和邮件在诊断中单独评估",
        "en": "Chat conversations (web and API channels); each figure is tested against the rest "
        "of the team (counts per agent); green is significantly better, red significantly "
        "worse (5% false-discovery rate over the table); phone and email are judged apart in "
        "the diagnosis",
    },
    "analytics.agents.agent": {"zh_CN": "客服", "en": "Agent"},
    "analytics.agents.team": {"zh_CN": "团队 {value}", "en": "team {value}"},
    "analytics.agents.attention": {"zh_CN": "需关注", "en": "Needs attention"},
    "analytics.agents.attention_none": {
        "zh_CN": "没有客服在任何指标上显著落后于团队",
        "en": "No agent is significantly behind the team on any figure",
    },
    "analytics.agent.title": {"zh_CN": "客服 {name}", "en": "Agent {name}"},
    "analytics.agent.conversations": {"zh_CN": "接待的会话", "en": "Conversations handled"},
    "analytics.agent.scorecard": {"zh_CN": "绩效（与其余团队对比）", "en": "Scorecard vs the team"},
    "analytics.agent.back": {"zh_CN": "返回客服列表", "en": "Back to agents"},
    "analytics.col.conversation": {"zh_CN": "会话", "en": "Conversation"},
    "analytics.col.created": {"zh_CN": "进线时间", "en": "Opened"},
    "analytics.col.channel": {"zh_CN": "渠道", "en": "Channel"},
    "analytics.col.status": {"zh_CN": "状态", "en": "Status"},
    "analytics.col.subject": {"zh_CN": "主题", "en": "Subject"},
    "analytics.col.messages": {"zh_CN": "消息数", "en": "Messages"},
    "analytics.col.first_response": {"zh_CN": "首次响应", "en": "First response"},
    "analytics.col.transfers": {"zh_CN": "转接", "en": "Transfers"},
    "analytics.col.metric": {"zh_CN": "指标", "en": "Metric"},
    "analytics.col.value": {"zh_CN": "数值", "en": "Value"},
    "analytics.col.team": {"zh_CN": "其余团队", "en": "Rest of team"},
    "analytics.col.target": {"zh_CN": "目标", "en": "Target"},
    "analytics.page": {"zh_CN": "第 {page} 页，共 {total} 条", "en": "Page {page} of {total} rows"},
    "analytics.prev": {"zh_CN": "上一页", "en": "Previous"},
    "analytics.next": {"zh_CN": "下一页", "en": "Next"},
    # transcript
    "analytics.conversation.title": {"zh_CN": "会话 #{id}", "en": "Conversation #{id}"},
    "analytics.conversation.readonly": {
        "zh_CN": "只读记录，供主管复盘",
        "en": "Read-only transcript for review",
    },
    "analytics.conversation.none": {"zh_CN": "这个会话没有消息", "en": "No messages"},
    "analytics.conversation.wait": {"zh_CN": "间隔 {wait}", "en": "after {wait}"},
    "analytics.conversation.unassigned": {"zh_CN": "未分配", "en": "Unassigned"},
    "analytics.sender.customer": {"zh_CN": "客户", "en": "Customer"},
    "analytics.sender.agent": {"zh_CN": "客服", "en": "Agent"},
    "analytics.sender.bot": {"zh_CN": "机器人", "en": "Bot"},
    "analytics.sender.system": {"zh_CN": "系统", "en": "System"},
    # SLA
    "analytics.sla.title": {"zh_CN": "SLA 达标", "en": "SLA compliance"},
    "analytics.sla.targets": {
        "zh_CN": "工作区目标：首响 ≤ {first}，平响 ≤ {average}，回复率 ≥ {reply}",
        "en": "Workspace targets: first response ≤ {first}, average response ≤ {average}, "
        "reply rate ≥ {reply}",
    },
    "analytics.sla.by_channel": {"zh_CN": "按渠道", "en": "By channel"},
    "analytics.sla.met": {"zh_CN": "达标", "en": "Met"},
    "analytics.sla.missed": {"zh_CN": "未达标", "en": "Missed"},
    "analytics.sla.target_le": {"zh_CN": "≤ {value}", "en": "≤ {value}"},
    "analytics.sla.target_ge": {"zh_CN": "≥ {value}", "en": "≥ {value}"},
    "analytics.sla.within": {"zh_CN": "{value}内", "en": "within {value}"},
    "analytics.unassigned": {"zh_CN": "未分配", "en": "Unassigned"},
}

register_messages(MESSAGES)
