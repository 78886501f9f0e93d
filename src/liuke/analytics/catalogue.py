"""The metric catalogue: every service metric defined once, over the conversation facts.

A metric is the parts it aggregates (Ibis expressions over :func:`conversation_facts`) plus how
those parts make its value. Keeping the parts, not just the value, is what lets period-over-period
changes be tested for significance and lets any breakdown re-aggregate correctly (a rate of a
group is the ratio of its sums, never the mean of its members' rates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import ibis
from ibis import Table

from liuke.analytics.facts import DONE, Targets

Kind = Literal["count", "proportion", "ratio", "mean", "quantile", "sum"]
Unit = Literal["conversations", "orders", "share", "seconds", "per_conversation", "yuan"]
Parts = Callable[[Table, Targets], dict[str, ibis.Value]]


@dataclass(frozen=True)
class Metric:
    """One metric: labels and definition in both languages, unit, which direction is good."""

    name: str
    label_zh: str
    label_en: str
    definition_zh: str
    definition_en: str
    unit: Unit
    good: Literal["up", "down"]
    kind: Kind
    parts: Parts | None = None  # count/sum: {"n"}; proportion/ratio: {"num","den"}; mean: sums
    column: str | None = None  # quantile: the facts column whose values are ranked
    q: float = 0.5
    scale: float = 1.0  # value multiplier (cents -> yuan)

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en

    def definition(self, locale: str) -> str:
        return self.definition_zh if locale.startswith("zh") else self.definition_en


def _n(expr: Callable[[Table], ibis.Value]) -> Parts:
    return lambda f, _t: {"n": expr(f)}


def _frac(num: Callable[[Table, Targets], ibis.Value], den: Callable[[Table], ibis.Value]) -> Parts:
    return lambda f, t: {"num": num(f, t), "den": den(f)}


def _mean(col: Callable[[Table], ibis.Value]) -> Parts:
    def parts(f: Table, _t: Targets) -> dict[str, ibis.Value]:
        c = col(f)
        return {"sum": c.sum(), "sumsq": (c * c).sum(), "n": c.count()}

    return parts


def _contacts(f: Table) -> ibis.Value:
    return f.id.count()


def _received(f: Table) -> ibis.Value:
    return f.received.sum()


def _done(f: Table) -> ibis.Value:
    return f.status.isin(DONE).ifelse(1, 0)


def _timed_received(f: Table) -> ibis.Value:
    return f.frt.count()


def _has_timed_replies(f: Table) -> ibis.Value:
    return (f.timed_replies > 0).ifelse(1, 0)


METRICS: tuple[Metric, ...] = (
    Metric(
        "contacts",
        "咨询量",
        "Contacts",
        "期间内进线的会话数（所有渠道）。",
        "Conversations opened in the period, on every channel.",
        "conversations",
        "up",
        "count",
        _n(_contacts),
    ),
    Metric(
        "receptions",
        "接待量",
        "Receptions",
        "得到机器人或客服回复的会话数。",
        "Conversations answered by the bot or an agent.",
        "conversations",
        "up",
        "count",
        _n(_received),
    ),
    Metric(
        "missed_receptions",
        "未接待量",
        "Missed receptions",
        "结束时仍无人回复的会话（客户放弃、挂断）；仍在排队的不算。",
        "Conversations that ended with no reply at all (customer gave up or hung up); "
        "ones still waiting are not counted.",
        "conversations",
        "down",
        "count",
        _n(lambda f: f.missed.sum()),
    ),
    Metric(
        "missed_rate",
        "漏接率",
        "Missed rate",
        "未接待量 ÷ 咨询量。",
        "Missed receptions divided by contacts.",
        "share",
        "down",
        "proportion",
        _frac(lambda f, _t: f.missed.sum(), _contacts),
    ),
    Metric(
        "after_hours_contacts",
        "非工作时间咨询",
        "After-hours contacts",
        "在工作区营业时间之外进线的会话数（营业时间见工作区设置）。",
        "Conversations opened outside the workspace's business hours (workspace settings).",
        "conversations",
        "down",
        "count",
        _n(lambda f: f.after_hours.sum()),
    ),
    Metric(
        "reply_rate",
        "回复率",
        "Reply rate",
        "接待量 ÷ 咨询量：得到回复的会话占比。",
        "Receptions divided by contacts: the share of conversations that got a reply.",
        "share",
        "up",
        "proportion",
        _frac(lambda f, _t: _received(f), _contacts),
    ),
    Metric(
        "first_response_time",
        "首次响应时长（均值）",
        "First response time (mean)",
        "从进线到第一条机器人或客服回复的秒数；无真实时间的导入会话不计。",
        "Seconds from the conversation's start to the first bot or agent reply; imports "
        "without real times are left out.",
        "seconds",
        "down",
        "mean",
        _mean(lambda f: f.frt),
    ),
    Metric(
        "first_response_time_median",
        "首次响应时长（中位数）",
        "First response time (median)",
        "首次响应时长的中位数（最近秩法，各引擎结果一致）。",
        "Median first response time (nearest-rank, identical on every engine).",
        "seconds",
        "down",
        "quantile",
        column="frt",
        q=0.5,
    ),
    Metric(
        "first_response_time_p90",
        "首次响应时长（P90）",
        "First response time (p90)",
        "90% 的会话在此秒数内得到首次回复（最近秩法）。",
        "90% of conversations got their first reply within this many seconds (nearest-rank).",
        "seconds",
        "down",
        "quantile",
        column="frt",
        q=0.9,
    ),
    Metric(
        "agent_first_response_time",
        "人工首次响应时长",
        "Agent first response time",
        "从客户等待人工（客户消息或机器人转人工）到第一位客服回复的秒数均值。",
        "Mean seconds from the customer starting to wait for a human (their message or the "
        "bot's hand-off) to the first agent reply.",
        "seconds",
        "down",
        "mean",
        _mean(lambda f: f.agent_frt),
    ),
    Metric(
        "average_response_time",
        "平均响应时长",
        "Average response time",
        "每次回复的等待秒数均值：从客户一轮未回复消息的第一条到机器人或客服的回复。",
        "Mean wait per reply: from the first customer message of an unanswered run to the "
        "bot's or agent's reply.",
        "seconds",
        "down",
        "mean",
        lambda f, _t: {
            "sum": f.wait_sum.sum(),
            "sumsq": f.wait_sumsq.sum(),
            "n": f.timed_replies.sum(),
        },
    ),
    Metric(
        "resolutions",
        "解决量",
        "Resolutions",
        "期间内进线且已解决的会话数。",
        "Conversations opened in the period that were resolved.",
        "conversations",
        "up",
        "count",
        _n(lambda f: f.resolved.sum()),
    ),
    Metric(
        "resolution_time",
        "解决时长（均值）",
        "Resolution time (mean)",
        "从进线到标记解决的秒数均值。",
        "Mean seconds from the conversation's start to its resolution.",
        "seconds",
        "down",
        "mean",
        _mean(lambda f: f.resolution_s),
    ),
    Metric(
        "resolution_time_median",
        "解决时长（中位数）",
        "Resolution time (median)",
        "解决时长的中位数（最近秩法）。",
        "Median resolution time (nearest-rank).",
        "seconds",
        "down",
        "quantile",
        column="resolution_s",
        q=0.5,
    ),
    Metric(
        "transfers_per_conversation",
        "人均转接次数",
        "Transfers per conversation",
        "转接总次数 ÷ 接待量；越低越是一站式服务。",
        "Transfers divided by receptions; lower means one-stop service.",
        "per_conversation",
        "down",
        "ratio",
        _frac(lambda f, _t: f.transfer_count.sum(), _received),
    ),
    Metric(
        "one_touch_resolution_rate",
        "一次解决率",
        "One-touch resolution rate",
        "未经转接即解决的会话 ÷ 已解决会话。",
        "Resolved conversations that were never transferred, divided by resolved ones.",
        "share",
        "up",
        "proportion",
        _frac(
            lambda f, _t: ((f.resolved == 1) & (f.transfer_count == 0)).ifelse(1, 0).sum(),
            lambda f: f.resolved.sum(),
        ),
    ),
    Metric(
        "bot_answer_rate",
        "机器人解决率",
        "Bot answer rate",
        "机器人独立解决（无人工参与）的会话 ÷ 机器人接待的会话。",
        "Conversations the bot closed with no agent, divided by those the bot took.",
        "share",
        "up",
        "proportion",
        _frac(
            lambda f, _t: ((f.bot == 1) & (f.has_agent == 0) & (_done(f) == 1)).ifelse(1, 0).sum(),
            lambda f: f.bot.sum(),
        ),
    ),
    Metric(
        "bot_handoff_rate",
        "机器人转人工率",
        "Bot hand-off rate",
        "机器人接待后转给人工的会话 ÷ 机器人接待的会话。",
        "Conversations the bot handed to an agent, divided by those the bot took.",
        "share",
        "down",
        "proportion",
        _frac(
            lambda f, _t: ((f.bot == 1) & (f.has_agent == 1)).ifelse(1, 0).sum(),
            lambda f: f.bot.sum(),
        ),
    ),
    Metric(
        "conversion_rate",
        "询单转化率",
        "Inquiry-to-order conversion",
        "已知客户的售前询单（售前意图，或未识别意图）中，转化窗口内（默认 72 小时）带来已付订单"
        "的占比；每笔订单只归属给下单前最近的一次询单。",
        "Pre-sales inquiries (a pre-sales intent, or no intent recorded) by a known customer "
        "followed by a paid order within the conversion window (72 h by default); each order "
        "is credited once, to the latest inquiry before it.",
        "share",
        "up",
        "proportion",
        _frac(
            lambda f, _t: ((f.orders_n > 0) & (f.inquiry == 1)).ifelse(1, 0).sum(),
            lambda f: f.inquiry.sum(),
        ),
    ),
    Metric(
        "converted_orders",
        "转化订单数",
        "Converted orders",
        "归属给期间内询单的已付订单数。",
        "Paid orders credited to the period's pre-sales inquiries.",
        "orders",
        "up",
        "count",
        _n(lambda f: f.orders_n.sum()),
    ),
    Metric(
        "conversion_value",
        "转化金额",
        "Conversion value",
        "归属给期间内询单的已付订单金额（元）。",
        "Amount of the paid orders credited to the period's pre-sales inquiries (yuan).",
        "yuan",
        "up",
        "sum",
        _n(lambda f: f.value_cents.sum()),
        scale=0.01,
    ),
    Metric(
        "sla_first_response",
        "首响达标率",
        "First-response SLA compliance",
        "首次响应时长不超过目标（默认 5 秒）的会话 ÷ 有首次响应的会话。",
        "Conversations first answered within the target (5 s by default), divided by answered "
        "conversations with real times.",
        "share",
        "up",
        "proportion",
        _frac(
            lambda f, t: (f.frt <= t.first_response_s).ifelse(1, 0).sum(),
            _timed_received,
        ),
    ),
    Metric(
        "sla_average_response",
        "平响达标率",
        "Average-response SLA compliance",
        "会话平均响应时长不超过目标（默认 55 秒）的会话 ÷ 有回复的会话。",
        "Conversations whose own average response time is within the target (55 s by "
        "default), divided by conversations with replies.",
        "share",
        "up",
        "proportion",
        _frac(
            # integer arithmetic (no division) so every engine compares exactly alike
            lambda f, t: (
                ((f.timed_replies > 0) & (f.wait_sum <= f.timed_replies * t.average_response_s))
                .ifelse(1, 0)
                .sum()
            ),
            lambda f: _has_timed_replies(f).sum(),
        ),
    ),
)

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
OVERVIEW = (
    "contacts",
    "receptions",
    "missed_receptions",
    "reply_rate",
    "first_response_time",
    "average_response_time",
    "transfers_per_conversation",
    "one_touch_resolution_rate",
    "bot_answer_rate",
    "conversion_rate",
    "conversion_value",
    "sla_first_response",
)


@dataclass(frozen=True)
class Dimension:
    """A breakdown: the facts column grouped on, and the table its names come from."""

    name: str
    label_zh: str
    label_en: str
    column: str
    names: str | None = None  # "channels", "users", ... ; None: the key is its own label
    time: bool = False

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("day", "日", "Day", "day", time=True),
    Dimension("week", "周", "Week", "week", time=True),
    Dimension("month", "月", "Month", "month", time=True),
    Dimension("hour", "时段", "Hour of day", "hour"),
    Dimension("channel", "渠道", "Channel", "channel_id", "channels"),
    Dimension("channel_kind", "渠道类型", "Channel kind", "channel_kind"),
    Dimension("platform", "平台", "Platform", "platform"),
    Dimension("skill_group", "技能组", "Skill group", "skill_group_id", "skill_groups"),
    Dimension("agent", "客服", "Agent", "assignee_id", "users"),
    Dimension("product_line", "产品线", "Product line", "product_line_id", "product_lines"),
    Dimension("tier", "客户等级", "Customer tier", "tier"),
    Dimension("intent", "意图", "Intent", "intent_key"),
)
DIMENSION_BY_NAME: dict[str, Dimension] = {d.name: d for d in DIMENSIONS}
