"""The conversation engine: daily volumes, then every contact from first message to churn.

Contacts are simulated in time order so that a customer who churns after a bad contact is never
seen again. Each contact is decided end to end (bot or agent, wait, replies, transfer, outcome,
survey, churn, conversion) and handed to a sink as finished rows; nothing is kept per message,
so memory stays flat however long the window. Times are integer UTC epoch seconds throughout,
rows included (the writer encodes them for the database).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from liuke.simulate import catalog
from liuke.simulate.people import DAY, Customers
from liuke.simulate.rand import cumulative, draw, pick_index, poisson
from liuke.simulate.signals import BOT_RESOLVE, Observed, Planted, Targets
from liuke.simulate.text import (
    OLD_DEVICES,
    OLD_DEVICES_EN,
    TEXTS,
    IntentText,
    LangText,
    intent_text,
)

# Contacts per China hour: peaks 10-12 and 20-22, a quiet night.
HOUR_WEIGHTS = (1.0, 0.6, 0.35, 0.25, 0.2, 0.25, 0.5, 1.2, 2.6, 4.6, 6.6, 7.0,
                5.6, 4.9, 5.2, 5.5, 5.3, 5.0, 4.7, 5.3, 6.7, 7.2, 6.0, 3.4)  # fmt: skip
# Orders per China hour: lunch and late evening.
ORDER_HOUR_WEIGHTS = (2.0, 1.2, 0.6, 0.3, 0.2, 0.2, 0.4, 1.0, 2.0, 3.0, 3.6, 3.8,
                      3.5, 3.4, 3.5, 3.5, 3.3, 3.2, 3.4, 4.0, 5.0, 5.6, 5.2, 3.5)  # fmt: skip
WEEKDAY_FACTORS = (1.0, 0.97, 0.95, 0.98, 1.04, 1.16, 1.12)  # Monday .. Sunday
TREND = 0.12  # volume grows by this share from the first to the last day
ORDERS_PER_CONTACT = 0.8

# Intent mix of contacts that are not complaints (complaints follow orders, see plan_days).
INTENT_MIX: tuple[tuple[str, float], ...] = (
    ("pre_sales", 0.30),
    ("order_status", 0.25),
    ("return_refund", 0.14),
    ("product_problem", 0.11),
    ("account", 0.06),
    ("invoice", 0.05),
    ("trade_in", 0.045),
    ("suggestion", 0.045),
)
COMPLAINT_MIX: tuple[tuple[str, float], ...] = (
    ("product_quality", 0.45),
    ("logistics", 0.25),
    ("after_sales", 0.15),
    ("price", 0.10),
    ("service_attitude", 0.05),
)
INTENT_GROUP = {
    "pre_sales": "presales",
    "trade_in": "presales",
    "order_status": "logistics",
    "return_refund": "aftersales",
    "product_problem": "aftersales",
    "invoice": "aftersales",
    "account": "aftersales",
    "suggestion": "aftersales",
    "complaint": "complaints",
}
PRESALES_INTENTS = ("pre_sales", "trade_in")
RESPONDERS = ("bot", "agent")  # the senders that count as a response (as in conversations)
TRADE_IN_LINES = (("digital", 0.65), ("appliance", 0.35))

CSAT_RUDE = (45, 30, 15, 7, 3)
CSAT_LONG_WAIT = (10, 15, 30, 30, 15)
CSAT_BOT = (5, 7, 18, 35, 35)
CSAT_COMPLAINT = (10, 12, 28, 30, 20)
CSAT_NORMAL = (2, 4, 12, 34, 48)
SCORES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Agent:
    id: int
    index: int
    name: str
    nick: str
    groups: tuple[str, ...]
    shift: str
    frt_median: float
    reply_median: float
    rude: bool
    slow: bool


@dataclass(frozen=True)
class Group:
    key: str
    id: int
    name: str


@dataclass(frozen=True)
class Product:
    id: int
    line: int
    name: str
    name_en: str
    price_cents: int


@dataclass
class World:
    """Everything the engine needs to know about the rows that already exist."""

    workspace_id: int
    start: date
    days: int
    start_ts: int  # UTC epoch of local midnight starting the first day
    utc_offset_s: int  # the workspace time zone's offset (Asia/Shanghai has no DST)
    agents: list[Agent]
    groups: dict[str, Group]
    channel_ids: list[int]  # parallel to catalog.CHANNELS
    line_ids: list[int]  # parallel to catalog.PRODUCT_LINES
    products: list[list[Product]]  # per line
    product_cum: list[list[float]]  # per line, cumulative popularity
    customers: Customers

    @property
    def end_ts(self) -> int:
        return self.start_ts + self.days * DAY


@dataclass
class DayPlan:
    index: int
    day: date
    start_ts: int
    orders: list[int]  # planned orders per product line
    contacts: list[tuple[int, str, int | None, str | None]]  # (ts, intent, line, complaint type)


def plan_days(
    rng: random.Random,
    world: World,
    conversations: int,
    targets: Targets,
    planted: Planted,
) -> list[DayPlan]:
    """Daily orders per line and the day's contacts (intent, product line, time).

    Contacts and orders share the weekly pattern and trend, so a line's complaint rate per order
    is flat except in the planted spike week, where extra quality complaints are added on top.
    """
    n_days = world.days
    lines = catalog.PRODUCT_LINES

    def day_weights() -> list[float]:
        out = []
        for i in range(n_days):
            dow = (world.start + timedelta(days=i)).weekday()
            trend = 1.0 + TREND * (i / max(1, n_days - 1))
            out.append(WEEKDAY_FACTORS[dow] * trend * max(0.8, rng.gauss(1.0, 0.04)))
        return out

    cw = day_weights()
    ow = day_weights()
    total_orders = round(conversations * ORDERS_PER_CONTACT)
    hour_cum = cumulative(HOUR_WEIGHTS)
    intent_cum = cumulative([w for _, w in INTENT_MIX])
    complaint_cum = cumulative([w for _, w in COMPLAINT_MIX])
    trade_in_lines = [
        next(i for i, pl in enumerate(lines) if pl.code == c) for c, _ in TRADE_IN_LINES
    ]
    trade_in_cum = cumulative([w for _, w in TRADE_IN_LINES])
    spike_from = (targets.spike_week_start - world.start).days
    plans = []
    for i in range(n_days):
        n_contacts = round(conversations * cw[i] / sum(cw))
        n_orders = total_orders * ow[i] / sum(ow)
        orders = [max(0, round(n_orders * pl.order_share * rng.gauss(1.0, 0.05))) for pl in lines]
        line_cum = cumulative([max(o, 1) for o in orders])
        start_ts = world.start_ts + i * DAY
        items: list[tuple[str, int | None, str | None]] = []
        for li, pl in enumerate(lines):
            for _ in range(poisson(rng, orders[li] * pl.complaint_rate)):
                items.append(("complaint", li, COMPLAINT_MIX[pick_index(rng, complaint_cum)][0]))
        n_regular = max(0, n_contacts - len(items))
        if spike_from <= i < spike_from + 7:  # the planted spike: extra quality complaints
            sl = targets.spike_line
            extra = orders[sl] * lines[sl].complaint_rate * (planted.spike_multiplier - 1)
            for _ in range(poisson(rng, extra)):
                items.append(("complaint", sl, planted.spike_subtype))
        for _ in range(n_regular):
            intent = INTENT_MIX[pick_index(rng, intent_cum)][0]
            line: int | None
            if intent == "trade_in":
                line = trade_in_lines[pick_index(rng, trade_in_cum)]
            elif intent == "account" or (intent == "suggestion" and rng.random() < 0.6):
                line = None
            else:
                line = pick_index(rng, line_cum)
            items.append((intent, line, None))
        contacts = []
        for intent, line, sub in items:
            ts = start_ts + pick_index(rng, hour_cum) * 3600 + rng.randrange(3600)
            contacts.append((ts, intent, line, sub))
        contacts.sort(key=lambda c: c[0])
        plans.append(DayPlan(i, world.start + timedelta(days=i), start_ts, orders, contacts))
    return plans


class Sink(Protocol):
    def conversation(self, row: dict[str, Any]) -> None: ...
    def message(self, row: dict[str, Any]) -> None: ...
    def label(self, row: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Conversion:
    """An order that a pre-sales conversation led to (written later with the other orders)."""

    conversation_id: int
    customer: int  # customer index
    product: Product
    ts: int
    channel: int


Msg = tuple[int, str, int | None, str, dict[str, Any]]  # (ts, sender type, user id, body, meta)


@dataclass
class Contact:
    """One contact while it is being simulated: its text, its messages and what happened."""

    conv_id: int
    day_index: int
    ts: int
    intent: str
    line: int | None
    channel: int
    customer: int | None
    product: Product
    lang: str
    lt: LangText
    it: IntentText
    slots: dict[str, str]
    subject: str = ""
    msgs: list[Msg] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)  # templates already used (no repeats)
    status: str = "resolved"
    agent: Agent | None = None
    group: Group | None = None
    transfers: int = 0
    bot_outcome: str | None = None  # "resolved" | "handoff" | None (no bot)
    queued_at: int | None = None  # when it started waiting for a human (created, or hand-off)
    rude_reply: bool = False

    @property
    def email(self) -> bool:
        return catalog.CHANNELS[self.channel].kind == "email"

    @property
    def phone(self) -> bool:
        return catalog.CHANNELS[self.channel].kind == "phone"

    @property
    def last(self) -> int:
        return self.msgs[-1][0]

    def fmt(self, template: str) -> str:
        return template.format_map(self.slots)

    def say(
        self, at: int, sender: str, uid: int | None, body: str, meta: dict[str, Any] | None = None
    ) -> None:
        """Append a message; times strictly increase within a conversation."""
        if self.msgs and at <= self.msgs[-1][0]:
            at = self.msgs[-1][0] + 1
        self.msgs.append((at, sender, uid, body, meta or {}))

    def add_label(self, label: str) -> None:
        if label not in self.labels:
            self.labels.append(label)


class ConversationEngine:
    """Turns day plans into conversations, messages and labels, and records churn/conversions."""

    def __init__(
        self,
        rng: random.Random,
        world: World,
        targets: Targets,
        planted: Planted,
        sink: Sink,
        obs: Observed,
    ) -> None:
        self.rng = rng
        self.world = world
        self.targets = targets
        self.p = planted
        self.sink = sink
        self.obs = obs
        self.conversions: list[Conversion] = []
        self.channel_cum = cumulative([c.share for c in catalog.CHANNELS])
        self.customer_cum = cumulative(world.customers.contact_weight)
        self.rude_id = world.agents[targets.rude_agent].id
        # agents on shift per group and China hour, and anyone on shift per hour (the fallback)
        self.on_shift: dict[str, list[list[Agent]]] = {
            g: [[] for _ in range(24)] for g in world.groups
        }
        self.any_shift: list[list[Agent]] = [[] for _ in range(24)]
        shifts = {s.key: s for s in catalog.SHIFTS}
        for a in world.agents:
            spec = shifts[a.shift]
            for h in range(spec.start_hour, spec.end_hour):
                self.any_shift[h].append(a)
                for g in a.groups:
                    self.on_shift[g][h].append(a)
        self.written = 0

    def run(
        self,
        plans: list[DayPlan],
        conversation_ids: list[int],
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Simulate every planned contact; returns how many conversations were written."""
        for plan in plans:
            for ts, intent, line, sub in plan.contacts:
                c = self._start(conversation_ids[self.written], plan.index, ts, intent, line, sub)
                self._bot(c)
                if c.bot_outcome != "resolved":
                    self._human(c)
                self._finish(c)
                self.written += 1
            if progress is not None:
                progress(plan.index + 1, len(plans))
        # a customer who churned later buys nothing after that
        churned = self.world.customers.churned_ts
        self.conversions = [
            cv for cv in self.conversions if (gone := churned[cv.customer]) is None or cv.ts < gone
        ]
        for cv in self.conversions:
            self.obs.converted[cv.channel] += 1
        return self.written

    # --- choices ---------------------------------------------------------------------------

    def _hour(self, ts: int) -> int:
        return ((ts + self.world.utc_offset_s) // 3600) % 24

    def _pick_customer(self, ts: int) -> int | None:
        """A registered, not-churned customer, the active ones more often (weighted draw, then
        rejection of the churned and the not yet registered)."""
        c = self.world.customers
        cum, random_ = self.customer_cum, self.rng.random
        churned, registered = c.churned_ts, c.registered_ts
        for _ in range(5000):
            i = draw(cum, random_())
            if churned[i] is None and registered[i] <= ts:
                return i
        return None  # (nearly) everybody churned: an anonymous visitor

    def _pick_agent(self, group: str, ts: int) -> Agent:
        hour = self._hour(ts)
        cands = self.on_shift[group][hour] or self.any_shift[hour]
        if not cands:  # nobody on shift at all (tiny worlds): any member, else anyone
            cands = [a for a in self.world.agents if group in a.groups] or self.world.agents
        return cands[self.rng.randrange(len(cands))]

    def _product(self, line: int) -> Product:
        w = self.world
        return w.products[line][pick_index(self.rng, w.product_cum[line])]

    def _slots(
        self, lang: str, product: Product, line: int | None, cust: int | None
    ) -> dict[str, str]:
        rng = self.rng
        en = lang == "en"
        code = catalog.PRODUCT_LINES[line].code if line is not None else ""
        olds = (OLD_DEVICES_EN if en else OLD_DEVICES).get(code) or (
            ("phone",) if en else ("手机",)
        )
        price = product.price_cents // 100
        customers = self.world.customers
        return {
            "product": product.name_en if en else product.name,
            "old": rng.choice(olds),
            "order": str(rng.randrange(10**15, 10**16)),
            "tracking": rng.choice(("SF", "JD", "YT", "ZT", "YD"))
            + str(rng.randrange(10**11, 10**12)),
            "courier": rng.choice(catalog.COURIERS_EN if en else catalog.COURIERS),
            "days": str(rng.randint(1, 4)),
            "amount": str(max(5, round(price * rng.choice((1.0, 1.0, 0.3, 0.1))))),
            "price": str(round(price * rng.choice((0.85, 0.9, 0.95)))),
            "comp": rng.choice(("20", "30", "50", "100")),
            "agent": "",
            "group": "",
            "city": "your city" if en else (customers.city[cust] if cust is not None else "上海"),
            "name": customers.names[cust] if cust is not None else "",
        }

    def _fresh(self, c: Contact, options: tuple[str, ...]) -> str:
        """A template this conversation has not used yet (while there are any)."""
        pool = [o for o in options if o not in c.used] or options
        pick = self.rng.choice(pool)
        c.used.append(pick)
        return pick

    def _latency(self, c: Contact, agent: Agent, first: bool) -> int:
        """Seconds an agent takes to reply; the planted slow agent takes ``slow_multiplier`` x."""
        rng = self.rng
        speed = self.p.slow_multiplier if agent.slow else 1.0
        if c.email:
            median = (3 * 3600 if first else 2 * 3600) * speed
            return max(60, int(rng.lognormvariate(math.log(median), 0.6)))
        if c.phone:
            median = (25 if first else 8) * speed
            return max(2, int(rng.lognormvariate(math.log(median), 0.5)))
        median = (agent.frt_median if first else agent.reply_median) * speed
        return max(3, int(rng.lognormvariate(math.log(median), 0.6)))

    def _customer_gap(self, c: Contact) -> int:
        rng = self.rng
        if c.email:
            return rng.randint(3600, 20 * 3600)
        if c.phone:
            return rng.randint(4, 20)
        return min(300, max(5, int(rng.lognormvariate(math.log(30), 0.6))))

    # --- one contact -----------------------------------------------------------------------

    def _start(
        self, conv_id: int, day_index: int, ts: int, intent: str, line: int | None, sub: str | None
    ) -> Contact:
        """Who writes, on which channel, in which language, and the opening message."""
        rng, world = self.rng, self.world
        customers = world.customers
        cust = self._pick_customer(ts)
        if cust is not None and rng.random() < 0.65:
            ch = customers.preferred_channel[cust]
        else:
            ch = pick_index(rng, self.channel_cum)
        lang = customers.lang[cust] if cust is not None else "zh"
        lt = TEXTS[lang]
        product = self._product(line if line is not None else rng.randrange(len(world.products)))
        c = Contact(
            conv_id=conv_id,
            day_index=day_index,
            ts=ts,
            intent=intent,
            line=line,
            channel=ch,
            customer=cust,
            product=product,
            lang=lang,
            lt=lt,
            it=intent_text(
                lang,
                intent if sub is None else f"complaint:{sub}",
                catalog.PRODUCT_LINES[line].code if line is not None else None,
            ),
            slots=self._slots(lang, product, line, cust),
        )
        opening = c.fmt(rng.choice(c.it.opening))
        c.subject = opening[:60]
        body = lt.email_customer.format(body=opening, name=c.slots["name"]) if c.email else opening
        c.say(ts, "customer", None, body)
        if intent == "complaint":
            c.labels = ["complaint", f"complaint:{sub}"]
        else:
            c.labels = ["suggestion" if intent == "suggestion" else "inquiry"]
        return c

    def _bot(self, c: Contact) -> None:
        """On chat channels the bot answers the intents it knows; a miss hands off to a human."""
        rng, p, obs = self.rng, self.p, self.obs
        known = c.intent in BOT_RESOLVE or c.intent == p.gap_intent
        if not (catalog.CHANNELS[c.channel].bot and known):
            return
        obs.bot_attempts[c.intent] = obs.bot_attempts.get(c.intent, 0) + 1
        resolve_p = p.gap_bot_resolve if c.intent == p.gap_intent else BOT_RESOLVE[c.intent]
        lt = c.lt
        if rng.random() < resolve_p:
            confidence = round(rng.uniform(0.72, 0.98), 2)
            answer = c.fmt(rng.choice(c.it.bot_answer))
            c.say(c.last + rng.randint(1, 3), "bot", None, answer, {"confidence": confidence})
            if rng.random() < 0.55:
                c.say(c.last + rng.randint(8, 60), "customer", None, rng.choice(lt.customer_thanks))
                c.say(c.last + rng.randint(1, 2), "bot", None, rng.choice(lt.bot_bye))
            c.bot_outcome = "resolved"
            return
        miss = c.fmt(rng.choice(c.it.bot_miss or lt.bot_miss))
        confidence = round(rng.uniform(0.12, 0.45), 2)
        c.say(c.last + rng.randint(1, 3), "bot", None, miss, {"confidence": confidence})
        c.say(c.last + rng.randint(6, 40), "customer", None, rng.choice(lt.customer_ask_human))
        c.say(
            c.last + rng.randint(1, 2), "bot", None, rng.choice(lt.bot_handoff), {"handoff": True}
        )
        c.bot_outcome = "handoff"
        c.queued_at = c.last
        obs.bot_handoffs[c.intent] = obs.bot_handoffs.get(c.intent, 0) + 1

    def _human(self, c: Contact) -> None:
        """Queue, maybe abandonment (the planted evening misses), else an agent handles it."""
        rng, p, obs, world = self.rng, self.p, self.obs, self.world
        cust = c.customer
        vip = cust is not None and world.customers.key_account[cust] and rng.random() < 0.8
        key = "vip" if vip else INTENT_GROUP[c.intent]
        c.group = world.groups[key]
        hour = self._hour(c.ts)
        if c.queued_at is None:
            c.queued_at = c.ts
        if c.bot_outcome is None and not c.email:
            obs.hour_direct[hour] += 1
            abandon_p = p.missed_abandon if hour in p.missed_hours else p.base_abandon
            if rng.random() < abandon_p:
                if c.phone:
                    c.say(c.last + rng.randint(20, 90), "system", None, c.lt.system_hangup)
                else:
                    if rng.random() < 0.5:
                        nudge = rng.choice(c.lt.customer_nudge)
                        c.say(c.last + rng.randint(30, 150), "customer", None, nudge)
                    c.say(c.last + rng.randint(60, 420), "system", None, c.lt.system_left)
                c.status = "abandoned"
                return
        self._agent_dialogue(c, self._pick_agent(key, c.last))

    def _reply(self, c: Contact, agent: Agent, template: str, at: int, prefix: str = "") -> None:
        """An agent message; the rude agent (and, rarely, anyone) answers rudely instead."""
        rng, p, obs = self.rng, self.p, self.obs
        obs.agent_replies[agent.id] = obs.agent_replies.get(agent.id, 0) + 1
        c.slots["agent"] = agent.nick
        rude_p = p.rude_reply_share if agent.rude else p.baseline_rude_reply_share
        if rng.random() < rude_p:
            body = c.fmt(rng.choice(c.lt.rude_replies))
            c.rude_reply = True
            obs.agent_rude_replies[agent.id] = obs.agent_rude_replies.get(agent.id, 0) + 1
        else:
            body = c.fmt(prefix) + c.fmt(template)
        if c.email:
            body = c.lt.email_agent.format(body=body, agent=agent.nick)
        c.say(at, "agent", agent.id, body)
        c.agent = agent

    def _agent_dialogue(self, c: Contact, agent: Agent) -> None:
        rng, p, lt, it = self.rng, self.p, c.lt, c.it
        wait = rng.randint(2, 8)
        if not c.email and rng.random() < 0.015:  # a backlog: everybody busy for a while
            wait += rng.randint(300, 720)
        first_at = c.last + wait + self._latency(c, agent, True)
        greeting = "" if c.email else rng.choice(lt.greeting)  # a letter has its own greeting
        self._reply(c, agent, rng.choice(it.agent_first), first_at, greeting)
        if c.email:
            rounds = rng.choices((0, 1), weights=(0.5, 0.5))[0]
        else:
            rounds = rng.choices((1, 2, 3), weights=(0.35, 0.4, 0.25))[0]
        for r in range(rounds):
            followup = c.fmt(self._fresh(c, it.followup))
            c.say(c.last + self._customer_gap(c), "customer", None, followup)
            if r == 0 and not c.email and rng.random() < 0.06:
                assert c.group is not None
                agent = self._transfer(c, agent, c.group)
                continue
            self._reply(
                c, agent, self._fresh(c, it.agent_more), c.last + self._latency(c, agent, False)
            )
        if c.rude_reply and rng.random() < p.rude_complaint_share:
            c.say(c.last + self._customer_gap(c), "customer", None, rng.choice(lt.angry_customer))
            self._reply(c, agent, rng.choice(lt.apology), c.last + self._latency(c, agent, False))
            c.add_label("complaint")
            c.add_label("complaint:service_attitude")
        if c.intent == "complaint" and rng.random() < 0.18:  # left unresolved
            at = c.last + self._latency(c, agent, False)
            self._reply(c, agent, rng.choice(lt.pending_final), at)
            c.status = "pending"
        elif c.email:
            if rng.random() < 0.4:
                thanks = rng.choice(lt.customer_thanks)
                c.say(c.last + self._customer_gap(c), "customer", None, thanks)
        elif rng.random() < 0.7:
            at = c.last + self._latency(c, agent, False)
            self._reply(c, agent, rng.choice(lt.agent_closing), at)
            if rng.random() < 0.65:
                thanks = rng.choice(lt.customer_thanks)
                c.say(c.last + self._customer_gap(c), "customer", None, thanks)

    def _transfer(self, c: Contact, agent: Agent, group: Group) -> Agent:
        """Hand the conversation to another group; the new agent takes over."""
        rng, world = self.rng, self.world
        options = [g for g in world.groups if g not in (group.key, "vip")]
        new_group = world.groups[rng.choice(options)]
        c.slots["group"] = new_group.name
        self._reply(
            c, agent, rng.choice(c.lt.transfer_agent), c.last + self._latency(c, agent, False)
        )
        note = c.lt.transfer_system.format(group=new_group.name)
        c.say(c.last + rng.randint(1, 3), "system", None, note)
        new_agent = self._pick_agent(new_group.key, c.last)
        at = c.last + rng.randint(2, 8) + self._latency(c, new_agent, True)
        self._reply(c, new_agent, self._fresh(c, c.it.agent_more), at, rng.choice(c.lt.takeover))
        c.group = new_group
        c.transfers += 1
        return new_agent

    def _finish(self, c: Contact) -> None:
        """Cut at the window's end, derive the conversation's fields, survey, churn, conversion."""
        rng, p, obs, world = self.rng, self.p, self.obs, self.world
        end_ts = world.end_ts
        msgs = c.msgs
        status = c.status
        last_ts = msgs[-1][0]
        resolved_ts: int | None = None
        closed_ts: int | None = None
        if status == "resolved":
            resolved_ts = last_ts + (rng.randint(60, 3600) if c.email else rng.randint(5, 90))
        elif status == "abandoned":
            closed_ts = last_ts
        if last_ts > end_ts or (resolved_ts is not None and resolved_ts > end_ts):
            msgs = [m for m in msgs if m[0] <= end_ts]  # the rest has not happened yet
            status, resolved_ts, closed_ts = "open", None, None
            last_ts = msgs[-1][0]
        if resolved_ts is not None and resolved_ts + DAY <= end_ts:
            status, closed_ts = "closed", resolved_ts + DAY  # auto-closed a day after resolution
        first_response: int | None = None
        first_agent: Msg | None = None
        rude_agent_seen = False
        for m in msgs:
            if m[1] == "agent":
                if first_agent is None:
                    first_agent = m
                rude_agent_seen = rude_agent_seen or m[2] == self.rude_id
            if first_response is None and m[1] in RESPONDERS:
                first_response = m[0]
        threshold = p.long_wait_email_s if c.email else p.long_wait_s
        long_wait = first_agent is not None and first_agent[0] - c.ts > threshold
        if first_agent is not None and not c.email and c.queued_at is not None:
            uid = first_agent[2]
            assert uid is not None
            obs.first_response.setdefault(uid, []).append(first_agent[0] - c.queued_at)
        obs.hour_contacts[self._hour(c.ts)] += 1
        if status == "abandoned":
            obs.hour_abandoned[self._hour(c.ts)] += 1
        if "complaint" in c.labels and c.line is not None:
            key = (c.line, c.day_index)
            obs.complaints[key] = obs.complaints.get(key, 0) + 1
            if "complaint:service_attitude" not in c.labels:
                obs.product_complaints[key] = obs.product_complaints.get(key, 0) + 1

        meta: dict[str, Any] = {"intent": c.intent}
        if c.bot_outcome is not None:
            meta["bot"] = c.bot_outcome
        if c.lang != "zh":
            meta["lang"] = c.lang
        rude_seen = c.rude_reply and first_agent is not None
        assignee = c.agent if first_agent is not None else None
        surveyed = status in ("resolved", "closed")
        if surveyed and rng.random() < (0.5 if rude_seen or long_wait else 0.3):
            if rude_seen:
                weights = CSAT_RUDE
            elif long_wait:
                weights = CSAT_LONG_WAIT
            elif c.bot_outcome == "resolved":
                weights = CSAT_BOT
            elif c.intent == "complaint":
                weights = CSAT_COMPLAINT
            else:
                weights = CSAT_NORMAL
            score = rng.choices(SCORES, weights=weights)[0]
            meta["csat"] = score
            if assignee is not None:
                obs.csat.setdefault(assignee.id, []).append(score)
        self._write(
            c, msgs, status, assignee, first_response, last_ts, resolved_ts, closed_ts, meta
        )

        if c.intent in PRESALES_INTENTS:
            obs.presales[c.channel] += 1
        cust = c.customer
        if cust is None:
            return
        customers = world.customers
        customers.last_activity_ts[cust] = max(customers.last_activity_ts[cust], last_ts)
        unresolved_complaint = "complaint" in c.labels and resolved_ts is None
        bad = rude_agent_seen or status == "abandoned" or long_wait or unresolved_complaint
        if bad:
            obs.bad_contacts += 1
        else:
            obs.good_contacts += 1
        if rng.random() < (p.churn_bad if bad else p.churn_base):
            # this contact is their last; an older one still running may end later
            customers.churned_ts[cust] = customers.last_activity_ts[cust]
            if bad:
                obs.bad_churned += 1
            else:
                obs.good_churned += 1
            return
        if c.intent in PRESALES_INTENTS:
            if status == "abandoned":
                conv_p = p.abandoned_conversion
            elif rude_seen:
                conv_p = p.rude_conversion
            else:
                conv_p = p.base_conversion
            if c.channel == self.targets.low_channel:
                conv_p *= p.low_conversion_multiplier
            if rng.random() < conv_p:
                lag = rng.randint(120, 7200) if rng.random() < 0.55 else rng.randint(7200, 3 * DAY)
                if last_ts + lag <= end_ts:
                    cv = Conversion(c.conv_id, cust, c.product, last_ts + lag, c.channel)
                    self.conversions.append(cv)

    def _write(
        self,
        c: Contact,
        msgs: list[Msg],
        status: str,
        assignee: Agent | None,
        first_response: int | None,
        last_ts: int,
        resolved_ts: int | None,
        closed_ts: int | None,
        meta: dict[str, Any],
    ) -> None:
        world = self.world
        ws = world.workspace_id
        self.sink.conversation(
            {
                "id": c.conv_id,
                "workspace_id": ws,
                "channel_id": world.channel_ids[c.channel],
                "customer_id": world.customers.ids[c.customer] if c.customer is not None else None,
                "external_id": f"S{self.written + 1:07d}",
                "subject": c.subject,
                "status": status,
                "assignee_id": assignee.id if assignee is not None else None,
                "skill_group_id": c.group.id if c.group is not None else None,
                "product_line_id": world.line_ids[c.line] if c.line is not None else None,
                "created_at": c.ts,
                "first_response_at": first_response,
                "last_message_at": last_ts,
                "resolved_at": resolved_ts,
                "closed_at": closed_ts,
                "transfer_count": c.transfers,
                "message_count": len(msgs),
                "handled_by_bot": c.bot_outcome is not None,
                "intent": c.intent,
                "timing_known": True,
                "meta": meta,
            }
        )
        conv_id = c.conv_id
        message = self.sink.message
        for seq, (at, sender, uid, body, mmeta) in enumerate(msgs, start=1):
            message(
                {
                    "workspace_id": ws,
                    "conversation_id": conv_id,
                    "seq": seq,
                    "sender_type": sender,
                    "sender_user_id": uid,
                    "body": body,
                    "created_at": at,
                    "meta": mmeta,
                }
            )
        for label in c.labels:
            self.sink.label({"workspace_id": ws, "conversation_id": conv_id, "label": label})
