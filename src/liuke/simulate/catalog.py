"""Static facts of the demo shop: people's names, cities, product lines, skill groups, channels.

Kept apart from the simulation so the world's vocabulary can be read (and extended) at a glance.
Every table is a tuple, never a set, so iteration order and therefore the output never depend on
hash seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

WORKSPACE_NAME = "演示商城 Demo Shop"
TIMEZONE = "Asia/Shanghai"
DEMO_PASSWORD = "liuke-demo-2026"  # every demo login (admin, manager, agents) uses it
EMAIL_DOMAIN = "demo.liuke"

# (surname, weight): the common surnames, weighted roughly by how common they are.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.8), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2),
    ("赵", 2.0), ("吴", 1.9), ("周", 1.9), ("徐", 1.5), ("孙", 1.4), ("马", 1.3), ("朱", 1.2),
    ("胡", 1.1), ("郭", 1.1), ("何", 1.0), ("林", 1.0), ("罗", 0.9), ("高", 0.9), ("郑", 0.8),
    ("梁", 0.8), ("谢", 0.7), ("宋", 0.7), ("唐", 0.7), ("许", 0.6), ("韩", 0.6), ("冯", 0.6),
    ("邓", 0.6), ("曹", 0.5), ("彭", 0.5), ("曾", 0.5), ("肖", 0.5), ("田", 0.5), ("董", 0.5),
    ("潘", 0.4), ("袁", 0.4), ("蔡", 0.4), ("蒋", 0.4), ("余", 0.4), ("于", 0.4), ("杜", 0.4),
    ("叶", 0.4), ("程", 0.4), ("魏", 0.3), ("苏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3),
    ("卢", 0.3), ("姚", 0.3), ("沈", 0.3), ("钟", 0.3), ("姜", 0.3), ("崔", 0.3), ("谭", 0.3),
    ("陆", 0.3), ("范", 0.2), ("汪", 0.2), ("廖", 0.2), ("石", 0.2), ("金", 0.2), ("贾", 0.2),
    ("夏", 0.2), ("方", 0.2), ("邹", 0.2), ("熊", 0.2), ("白", 0.2), ("孟", 0.2), ("秦", 0.2),
    ("欧阳", 0.1), ("司马", 0.05), ("上官", 0.05),
)  # fmt: skip

GIVEN_MALE = (
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华",
    "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙", "林",
    "子轩", "浩然", "宇航", "博文", "志强", "建国", "俊杰", "文博", "天佑", "一鸣", "嘉豪",
    "晨阳", "思远", "明哲", "梓睿", "家乐", "国栋", "立新", "振华", "永刚",
)  # fmt: skip
GIVEN_FEMALE = (
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "琳", "颖", "倩",
    "洁", "慧", "悦", "欣", "瑶", "佳", "晶", "蕾", "薇", "萍", "红", "梅", "莉", "璐", "琪",
    "子涵", "欣怡", "诗涵", "梓萱", "雨桐", "可馨", "思琪", "佳怡", "晓燕", "丽娟", "雅婷",
    "梦瑶", "嘉欣", "一诺", "语嫣", "春梅", "秀英", "海燕", "静怡", "若曦",
)  # fmt: skip
EN_FIRST = (
    "Emily", "David", "Sarah", "Michael", "Anna", "James", "Laura", "Daniel", "Sophie",
    "Thomas", "Olivia", "Lucas", "Grace", "Ryan", "Chloe", "Kevin", "Hannah", "Mark",
)  # fmt: skip
EN_LAST = (
    "Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Martin", "Lee", "Chen",
    "Wong", "Clark", "Walker", "Young", "King", "Wright", "Lopez", "Hill", "Green",
)  # fmt: skip

# (city, weight)
CITIES: tuple[tuple[str, float], ...] = (
    ("上海", 9), ("北京", 9), ("广州", 7), ("深圳", 7), ("杭州", 6), ("成都", 6), ("武汉", 5),
    ("南京", 5), ("重庆", 5), ("西安", 4), ("苏州", 4), ("天津", 4), ("长沙", 4), ("郑州", 4),
    ("东莞", 3), ("青岛", 3), ("沈阳", 3), ("宁波", 3), ("昆明", 3), ("合肥", 3), ("佛山", 3),
    ("厦门", 2), ("福州", 2), ("济南", 2), ("大连", 2), ("哈尔滨", 2), ("南宁", 2),
    ("石家庄", 2), ("贵阳", 2), ("南昌", 2), ("兰州", 1), ("太原", 1), ("乌鲁木齐", 1),
)  # fmt: skip

EMAIL_DOMAINS = (
    "qq.com",
    "163.com",
    "126.com",
    "foxmail.com",
    "sina.com",
    "gmail.com",
    "outlook.com",
)
COURIERS = ("顺丰速运", "京东物流", "中通快递", "圆通速递", "韵达快递", "申通快递", "EMS")
COURIERS_EN = ("SF Express", "JD Logistics", "ZTO Express", "YTO Express", "EMS")


@dataclass(frozen=True)
class ProductLineSpec:
    """A product line: its share of orders and its (flat) base complaint rate per order."""

    code: str
    sku_prefix: str
    name: str
    name_en: str
    department: str
    order_share: float
    complaint_rate: float
    products: tuple[tuple[str, str, int], ...]  # (name, English name, price in yuan)


PRODUCT_LINES: tuple[ProductLineSpec, ...] = (
    ProductLineSpec(
        "digital", "DG", "手机数码", "Phones & digital", "数码事业部", 0.22, 0.060,
        (
            ("旗舰手机 X20 Pro", "X20 Pro phone", 5999), ("青春版手机 Y9", "Y9 phone", 1699),
            ("无线降噪耳机 Buds 3", "Buds 3 earphones", 899), ("智能手表 GT5", "GT5 smartwatch", 1299),
            ("平板电脑 Pad 11", "Pad 11 tablet", 2499), ("20000mAh 充电宝", "20000mAh power bank", 149),
            ("蓝牙音箱 Mini", "Mini Bluetooth speaker", 299), ("65W 快充充电器", "65W charger", 129),
            ("轻薄笔记本 Air 14", "Air 14 laptop", 5499), ("运动手环 6", "Band 6", 249),
        ),
    ),
    ProductLineSpec(
        "appliance", "HA", "家用电器", "Home appliances", "家电事业部", 0.12, 0.070,
        (
            ("变频空调 1.5匹", "1.5HP inverter air conditioner", 3299),
            ("滚筒洗衣机 10kg", "10kg washing machine", 2799), ("双门冰箱 320L", "320L fridge", 2399),
            ("扫地机器人 S8", "S8 robot vacuum", 1999), ("空气净化器 P5", "P5 air purifier", 1299),
            ("IH 电饭煲 4L", "4L rice cooker", 399), ("无线吸尘器 V10", "V10 vacuum cleaner", 899),
            ("微波炉 20L", "20L microwave", 599), ("电热水器 60L", "60L water heater", 1499),
            ("破壁料理机", "high-speed blender", 699),
        ),
    ),
    ProductLineSpec(
        "apparel", "AP", "服装鞋包", "Clothing, shoes & bags", "服饰事业部", 0.24, 0.050,
        (
            ("轻薄羽绒服", "light down jacket", 899), ("缓震跑步鞋", "running shoes", 599),
            ("直筒牛仔裤", "straight jeans", 259), ("真丝衬衫", "silk shirt", 459),
            ("通勤双肩包", "commuter backpack", 329), ("三合一冲锋衣", "3-in-1 outdoor jacket", 699),
            ("双面羊毛大衣", "wool coat", 1299), ("经典帆布鞋", "canvas shoes", 199),
            ("真皮手提包", "leather handbag", 1599), ("保暖内衣套装", "thermal underwear set", 159),
        ),
    ),
    ProductLineSpec(
        "beauty", "BT", "美妆个护", "Beauty & personal care", "美妆事业部", 0.18, 0.045,
        (
            ("修护精华液 50ml", "repair serum 50ml", 680), ("保湿面霜", "moisturising cream", 520),
            ("清爽防晒霜 SPF50", "SPF50 sunscreen", 189), ("丝绒口红", "velvet lipstick", 320),
            ("氨基酸洗面奶", "amino acid cleanser", 99), ("声波电动牙刷", "sonic toothbrush", 399),
            ("负离子吹风机", "ionic hair dryer", 599), ("补水面膜 10片", "hydrating masks x10", 129),
            ("淡香水 50ml", "eau de toilette 50ml", 890), ("控油洗发水", "oil-control shampoo", 89),
        ),
    ),
    ProductLineSpec(
        "food", "FD", "食品生鲜", "Food & fresh", "生鲜事业部", 0.16, 0.080,
        (
            ("智利车厘子 2斤", "Chilean cherries 1kg", 168), ("阳澄湖大闸蟹礼盒", "hairy crab gift box", 398),
            ("五常有机大米 10kg", "organic rice 10kg", 129), ("每日坚果礼盒", "daily nuts gift box", 159),
            ("原切牛排套餐", "steak set", 299), ("意式咖啡豆 1kg", "espresso beans 1kg", 168),
            ("进口纯牛奶 12盒", "imported milk x12", 89), ("明前龙井礼盒", "Longjing tea gift box", 468),
            ("特级初榨橄榄油 1L", "extra virgin olive oil 1L", 119), ("零食大礼包", "snack gift pack", 69),
        ),
    ),
    ProductLineSpec(
        "books", "BK", "图书文具", "Books & stationery", "图书事业部", 0.08, 0.025,
        (
            ("年度畅销小说", "best-selling novel", 49), ("儿童绘本套装", "picture book set", 168),
            ("考研英语真题", "postgraduate English exam papers", 59), ("钢笔礼盒", "fountain pen gift box", 239),
            ("手账笔记本套装", "journal notebook set", 39), ("Python 编程入门", "Python for beginners", 89),
            ("中国历史丛书（全10册）", "Chinese history set (10 vols)", 399),
            ("水彩颜料套装", "watercolour set", 129), ("电子词典", "electronic dictionary", 699),
            ("护眼台灯", "eye-care desk lamp", 199),
        ),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class GroupSpec:
    key: str
    name: str
    description: str
    share: float  # share of agents whose primary group this is


SKILL_GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("presales", "售前咨询", "商品咨询、选购建议、活动与价格 (pre-sales)", 0.28),
    GroupSpec("aftersales", "售后服务", "退换货、退款、商品问题、发票、账户 (after-sales)", 0.28),
    GroupSpec("logistics", "物流查询", "订单状态、发货与配送 (logistics)", 0.18),
    GroupSpec("complaints", "投诉处理", "投诉受理与回访 (complaints)", 0.14),
    GroupSpec("vip", "VIP 专席", "大客户专属服务 (key accounts)", 0.12),
)


@dataclass(frozen=True)
class ShiftSpec:
    key: str
    name: str
    start_hour: int  # China time, inclusive
    end_hour: int  # China time, exclusive
    share: float


SHIFTS: tuple[ShiftSpec, ...] = (
    ShiftSpec("morning", "早班 08:00-16:00", 8, 16, 0.32),
    ShiftSpec("day", "中班 10:00-18:00", 10, 18, 0.26),
    ShiftSpec("evening", "晚班 16:00-24:00", 16, 24, 0.30),
    ShiftSpec("night", "夜班 00:00-08:00", 0, 8, 0.12),
)


@dataclass(frozen=True)
class ChannelSpec:
    """A contact channel; ``name`` may be one of the workspace's default channels (then reused)."""

    key: str
    kind: str
    name: str
    platform: str
    share: float  # share of conversations
    bot: bool  # the bot answers first on this channel


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("web", "web", "网页咨询", "官网", 0.30, True),
    ChannelSpec("miniapp", "web", "微信小程序", "小程序", 0.12, True),
    ChannelSpec("tmall", "api", "天猫旗舰店", "天猫", 0.17, True),
    ChannelSpec("jd", "api", "京东旗舰店", "京东", 0.13, True),
    ChannelSpec("app", "api", "官方 APP", "APP", 0.11, True),
    ChannelSpec("phone", "phone", "电话", "热线", 0.12, False),
    ChannelSpec("email", "email", "邮件", "邮件", 0.05, False),
)

CUSTOMER_TAGS = ("新客", "老客", "会员", "学生", "企业客户", "价格敏感", "高价值")
