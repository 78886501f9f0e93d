"""The people of the demo world: agents (with groups and shifts) and customers (with tiers).

Pure data, no database: the world module turns these into rows. Customers are held as parallel
lists rather than objects because the engine samples them hundreds of thousands of times.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime

from liuke.simulate import catalog

DAY = 86_400


def allocate(n: int, shares: tuple[float, ...], at_least_one: bool = True) -> list[int]:
    """Split ``n`` into integer counts by ``shares`` (largest remainder; ties by position)."""
    total = sum(shares)
    raw = [n * s / total for s in shares]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    if at_least_one and n >= len(shares):
        for i in range(len(counts)):
            if counts[i] == 0:
                j = max(range(len(counts)), key=lambda k: (counts[k], -k))
                counts[j] -= 1
                counts[i] = 1
    return counts


def weighted_choice(rng: random.Random, items: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def chinese_name(rng: random.Random, female: bool) -> str:
    surname = weighted_choice(rng, catalog.SURNAMES)
    return surname + rng.choice(catalog.GIVEN_FEMALE if female else catalog.GIVEN_MALE)


@dataclass(frozen=True)
class AgentPlan:
    """An agent before it is a user row: who, which groups (primary first), which shift, how fast."""

    number: int
    name: str
    nick: str
    email: str
    groups: tuple[str, ...]
    shift: str
    frt_median: float  # seconds to a first reply, before channel scaling
    reply_median: float  # seconds to each later reply


def plan_agents(rng: random.Random, n: int) -> list[AgentPlan]:
    """Agents spread over every group and shift, so each group is staffed around the clock."""
    group_counts = allocate(n, tuple(g.share for g in catalog.SKILL_GROUPS))
    shift_counts = allocate(n, tuple(s.share for s in catalog.SHIFTS))
    primaries = [
        g.key for g, c in zip(catalog.SKILL_GROUPS, group_counts, strict=True) for _ in range(c)
    ]
    pools = [[s.key] * c for s, c in zip(catalog.SHIFTS, shift_counts, strict=True)]
    shifts: list[str] = []
    while len(shifts) < n:  # deal shifts round-robin so every group gets a mix of shifts
        for pool in pools:
            if pool:
                shifts.append(pool.pop())
    secondary_keys = ("presales", "aftersales", "logistics", "complaints")
    used: set[str] = set()
    agents: list[AgentPlan] = []
    for i, (primary, shift) in enumerate(zip(primaries, shifts, strict=True)):
        female = rng.random() < 0.62
        name = chinese_name(rng, female)
        while name in used:
            name = chinese_name(rng, female)
        used.add(name)
        groups: tuple[str, ...] = (primary,)
        if rng.random() < 0.4:
            other = rng.choice([k for k in secondary_keys if k != primary])
            groups = (primary, other)
        agents.append(
            AgentPlan(
                number=i + 1,
                name=name,
                nick="小" + name[-1],
                email=f"agent{i + 1:02d}@{catalog.EMAIL_DOMAIN}",
                groups=groups,
                shift=shift,
                frt_median=rng.uniform(32.0, 48.0),
                reply_median=rng.uniform(22.0, 38.0),
            )
        )
    return agents


_PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
)  # fmt: skip
_HANDLE_PARTS = (
    "xiao", "ming", "li", "wang", "zhang", "chen", "yu", "hai", "tian", "jing", "lin", "feng",
    "yun", "xin", "hao", "mei", "lei", "bo", "ning", "qing", "sun", "jia", "hua", "long",
)  # fmt: skip
_OPENID_ALPHABET = string.ascii_letters + string.digits + "-_"


@dataclass
class Customers:
    """Parallel lists, one entry per customer (index = position, id = ``ids[index]``)."""

    ids: list[int]
    names: list[str]
    key_account: list[bool]
    lang: list[str]
    city: list[str]
    registered_ts: list[int]
    contact_weight: list[float]
    order_weight: list[float]
    preferred_channel: list[int]  # index into catalog.CHANNELS
    churned_ts: list[int | None] = field(default_factory=list)
    last_activity_ts: list[int] = field(default_factory=list)
    attributes: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class CustomerRows:
    customers: list[dict[str, object]]
    external_ids: list[dict[str, object]]
    tags: list[dict[str, object]]


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def make_customers(
    rng: random.Random,
    ids: list[int],
    workspace_id: int,
    start_ts: int,
    end_ts: int,
    key_account_share: float = 0.04,
    english_share: float = 0.05,
    new_share: float = 0.15,
) -> tuple[Customers, CustomerRows]:
    """Customers with unique phones, some emails, tiers, tags and a shop account each.

    ``new_share`` of them register inside the window (they cannot contact the shop before);
    the rest registered up to three years earlier.
    """
    n = len(ids)
    channel_weights = [c.share for c in catalog.CHANNELS]
    city_names = [c for c, _ in catalog.CITIES]
    city_weights = [w for _, w in catalog.CITIES]
    phones: set[str] = set()
    emails: set[str] = set()
    shop_ids = rng.sample(range(10_000_000, 100_000_000), n)
    cust = Customers(
        ids=ids,
        names=[],
        key_account=[],
        lang=[],
        city=[],
        registered_ts=[],
        contact_weight=[],
        order_weight=[],
        preferred_channel=[],
    )
    rows = CustomerRows(customers=[], external_ids=[], tags=[])
    for i, cid in enumerate(ids):
        key_account = rng.random() < key_account_share
        english = rng.random() < english_share
        female = rng.random() < 0.52
        if english:
            name = f"{rng.choice(catalog.EN_FIRST)} {rng.choice(catalog.EN_LAST)}"
        else:
            name = chinese_name(rng, female)
        phone = rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        while phone in phones:
            phone = rng.choice(_PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        phones.add(phone)
        email: str | None = None
        if rng.random() < (0.8 if english else 0.35):
            while email is None or email in emails:
                if not english and rng.random() < 0.45:
                    email = f"{rng.randrange(10_000_000, 3_000_000_000)}@qq.com"
                else:
                    domains = catalog.EMAIL_DOMAINS[-2:] if english else catalog.EMAIL_DOMAINS[1:]
                    handle = rng.choice(_HANDLE_PARTS) + rng.choice(_HANDLE_PARTS)
                    email = f"{handle}{rng.randrange(1, 10_000)}@{rng.choice(domains)}"
            emails.add(email)
        if rng.random() < new_share:
            reg = rng.randrange(start_ts, end_ts - DAY)
        else:
            reg = start_ts - rng.randrange(20 * DAY, 1100 * DAY)
        base = rng.choices((0.4, 1.0, 2.0, 4.0), weights=(0.35, 0.35, 0.22, 0.08))[0]
        city = rng.choices(city_names, weights=city_weights)[0]
        gender = "female" if female else "male"
        cust.names.append(name)
        cust.key_account.append(key_account)
        cust.lang.append("en" if english else "zh")
        cust.city.append(city)
        cust.registered_ts.append(reg)
        cust.contact_weight.append(base * (2.5 if key_account else 1.0))
        cust.order_weight.append(base * (6.0 if key_account else 1.0))
        cust.preferred_channel.append(
            rng.choices(range(len(catalog.CHANNELS)), weights=channel_weights)[0]
        )
        attrs = {
            "city": city,
            "gender": gender,
            "registered_at": _iso(reg)[:10],
            "language": "en" if english else "zh",
        }
        cust.attributes.append(attrs)
        rows.customers.append(
            {
                "id": cid,
                "workspace_id": workspace_id,
                "name": name,
                "phone": phone,
                "email": email,
                "tier": "key_account" if key_account else "ordinary",
                "attributes": dict(attrs),
                "created_at": reg,
                "updated_at": reg,
            }
        )
        rows.external_ids.append(
            {
                "workspace_id": workspace_id,
                "customer_id": cid,
                "system": "shop",
                "external_id": f"U{shop_ids[i]}",
            }
        )
        if rng.random() < 0.25:
            openid = "o" + "".join(rng.choices(_OPENID_ALPHABET, k=27))
            rows.external_ids.append(
                {
                    "workspace_id": workspace_id,
                    "customer_id": cid,
                    "system": "wechat",
                    "external_id": openid,
                }
            )
        tags: list[str] = []
        if reg > end_ts - 60 * DAY:
            tags.append("新客")
        elif reg < end_ts - 365 * DAY:
            tags.append("老客")
        if rng.random() < (0.8 if key_account else 0.3):
            tags.append("会员")
        if key_account:
            tags.append("高价值")
            if rng.random() < 0.6:
                tags.append("企业客户")
        else:
            if rng.random() < 0.07:
                tags.append("学生")
            if rng.random() < 0.12:
                tags.append("价格敏感")
        for tag in tags:
            rows.tags.append({"workspace_id": workspace_id, "customer_id": cid, "tag": tag})
    cust.churned_ts = [None] * n
    cust.last_activity_ts = list(cust.registered_ts)
    return cust, rows
