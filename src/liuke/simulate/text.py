"""Message templates for the simulated conversations (Chinese, and English for ~5% of customers).

Several templates per intent and per turn, slot-filled with products, order numbers, couriers and
amounts, so text analyses (classifiers, retrieval, topic mining) see varied phrasing rather than
one sentence per class. Normal agent templates never contain a rude phrase; only the rude agent's
replies do (a test checks this), so the rude-agent signal is exactly what was planted.

Slots: {product} {old} {order} {tracking} {courier} {days} {amount} {price} {comp} {agent}
{group} {city} {name}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache


@dataclass(frozen=True)
class IntentText:
    """Templates for one intent; ``variants`` add text that only fits some product lines (a
    cleanser does not "refuse to switch on"), keyed by :data:`LINE_KIND`."""

    opening: tuple[str, ...]
    followup: tuple[str, ...]
    agent_first: tuple[str, ...]
    agent_more: tuple[str, ...]
    bot_answer: tuple[str, ...] = ()
    bot_miss: tuple[str, ...] = ()  # intent-specific wrong answers (else the generic ones)
    variants: dict[str, IntentText] = field(default_factory=dict)


def _only(
    opening: tuple[str, ...] = (),
    agent_first: tuple[str, ...] = (),
    agent_more: tuple[str, ...] = (),
    followup: tuple[str, ...] = (),
) -> IntentText:
    return IntentText(opening, followup, agent_first, agent_more)


# product line code -> the kind of goods (for line-specific wording)
LINE_KIND = {
    "digital": "device",
    "appliance": "device",
    "apparel": "apparel",
    "beauty": "beauty",
    "food": "food",
    "books": "books",
}


@dataclass(frozen=True)
class LangText:
    intents: dict[str, IntentText]
    greeting: tuple[str, ...]
    agent_closing: tuple[str, ...]
    customer_thanks: tuple[str, ...]
    customer_nudge: tuple[str, ...]
    system_left: str
    system_hangup: str
    bot_miss: tuple[str, ...]
    customer_ask_human: tuple[str, ...]
    bot_handoff: tuple[str, ...]
    bot_bye: tuple[str, ...]
    transfer_agent: tuple[str, ...]
    transfer_system: str
    takeover: tuple[str, ...]
    pending_final: tuple[str, ...]
    rude_replies: tuple[str, ...]
    angry_customer: tuple[str, ...]
    apology: tuple[str, ...]
    email_customer: str
    email_agent: str
    subject_prefix: dict[str, str] = field(default_factory=dict)


# The phrases that make a reply rude; the ground truth lists them for analyses and tests.
RUDE_PHRASES_ZH = (
    "你自己看说明书",
    "不知道",
    "没办法",
    "爱买不买",
    "说了多少遍了",
    "自己去查",
    "别问我",
)
RUDE_PHRASES_EN = (
    "read the manual yourself",
    "i don't know",
    "nothing i can do",
    "i already told you",
    "take it or leave it",
)
RUDE_PHRASES = RUDE_PHRASES_ZH + RUDE_PHRASES_EN

COMPLAINT_SUBTYPES = ("product_quality", "logistics", "after_sales", "price", "service_attitude")

_COMPLAINT_FOLLOWUP_ZH = (
    "今天必须给我一个说法",
    "我要求全额退款",
    "再不处理我就去12315投诉了",
    "我已经等了很久了，你们能不能负责一点",
    "这已经是第二次了，太让人失望了",
)
_COMPLAINT_FIRST_ZH = (
    "非常抱歉给您带来不好的体验，您的问题我已经记录，马上为您处理。",
    "您好，非常理解您的心情，我先帮您核实一下订单{order}的情况。",
    "真的很抱歉，这是我们的失误，我们一定给您一个满意的答复。",
    "您好，您反映的问题我们非常重视，已经升级给主管处理。",
)
_COMPLAINT_MORE_ZH = (
    "我们为您申请了全额退款，并补偿{comp}元优惠券，再次向您道歉。",
    "已经安排为您换新，来回运费由我们承担。",
    "已经联系快递公司追责，同时为您补发一份。",
    "差价{amount}元已经退回您的账户，请注意查收。",
    "我们会对相关同事进行培训，再次向您道歉。",
)

ZH = LangText(
    intents={
        "pre_sales": IntentText(
            opening=(
                "你好，{product}现在有货吗？今天下单什么时候能发？",
                "在吗？想问下{product}和别家的比有什么优势",
                "亲，{product}现在有优惠吗？能不能便宜点",
                "{product}支持分期免息吗？",
                "请问{product}有几个颜色可以选？",
                "我想买{product}送朋友，能开礼品包装吗？",
                "这款{product}适合送长辈吗？",
                "你好，{product}发{city}大概几天能到？",
                "{product}是正品吗？有没有授权？",
                "买两件{product}可以再优惠吗",
                "{product}最近会降价吗？现在买划算吗",
            ),
            followup=(
                "那大概多久能到{city}？",
                "有赠品吗？",
                "现在下单的话能保价吗？",
                "可以用优惠券吗？我有一张满300减30的",
                "颜色会不会有色差？",
                "和{price}元那款比哪个好？",
            ),
            agent_first=(
                "{product}目前有现货，今天16点前下单当天发货哦。",
                "{product}现在参加店铺活动，领券后到手价{price}元。",
                "{product}支持花呗和信用卡分期，3期和6期免息。",
                "{product}支持7天无理由退换，您可以放心购买。",
                "这款是官方授权正品，支持专柜验货，请放心购买。",
            ),
            agent_more=(
                "发{city}一般2-3天送达，偏远地区会慢一些。",
                "可以的，下单时备注一下就行，我们会安排。",
                "支持15天价保，降价可以申请补差价。",
                "优惠券在结算页面可以直接使用，还能和店铺活动叠加。",
                "我们的图片都是实拍，色差很小，您可以放心。",
                "两款定位不一样，日常使用的话这款性价比更高。",
            ),
            bot_answer=(
                "您好，{product}当前有货，16:00前付款当天发出，预计{days}天送达。",
                "{product}支持3期、6期免息分期，结算时选择分期付款即可。",
                "本店商品均为官方正品，支持7天无理由退换货。",
                "{product}当前活动价{price}元，领取店铺券后下单更优惠。",
            ),
            variants={
                "device": _only(
                    ("{product}的保修是多久？全国联保吗？", "想问下{product}和上一代比有什么区别"),
                    ("{product}享受全国联保，整机保修一年，7天无理由退换。",),
                ),
                "food": _only(
                    (
                        "{product}保质期多久？",
                        "{product}是冷链配送吗？",
                        "{product}是今年的新货吗？",
                    ),
                    ("{product}全程冷链配送，保质期内发货，坏了包赔。",),
                ),
                "apparel": _only(
                    ("{product}尺码偏大还是偏小？我身高165体重55公斤", "{product}会起球吗？"),
                    ("{product}版型标准，建议按平时尺码选择，支持7天无理由退换。",),
                ),
                "beauty": _only(
                    ("{product}敏感肌能用吗？", "{product}保质期到什么时候？"),
                    ("{product}做过敏感肌测试，建议先在耳后小范围试用。",),
                ),
                "books": _only(
                    ("{product}是正版吗？", "{product}是最新版吗？"),
                    ("{product}为正版新书，最新一版印刷。",),
                ),
            },
        ),
        "trade_in": IntentText(
            opening=(
                "你好，你们有以旧换新活动吗？我想用旧{old}换{product}",
                "旧{old}可以折价多少？以旧换新怎么操作",
                "以旧换新的话旧机是上门回收吗？",
                "我家里有台旧{old}，能抵扣多少钱买{product}？",
                "请问以旧换新和国家补贴能一起用吗？",
                "以旧换新的旧机评估价是怎么算的？",
                "想参加以旧换新，旧{old}坏了还能换吗？",
                "以旧换新的补贴什么时候到账？",
                "买{product}能用旧{old}抵钱吗",
            ),
            followup=(
                "旧{old}有划痕会影响估价吗？",
                "回收的旧机数据怎么处理？",
                "可以先发新机再回收旧机吗？",
                "不是同一个品牌的旧{old}也可以吗？",
            ),
            agent_first=(
                "我们支持以旧换新，下单页选择“以旧换新”后旧{old}可以直接抵扣。",
                "以旧换新由合作回收商上门取件，评估后的抵扣款会原路返回。",
                "旧机估价要看成色和型号，一般在50到1500元之间，页面上可以先免费估价。",
            ),
            agent_more=(
                "可以和国家补贴叠加使用，下单时两个都勾选就可以。",
                "外观划痕会影响一部分估价，不影响回收。",
                "回收前请备份并恢复出厂设置，回收商也会做数据清除。",
                "补贴会在旧机验收后3-5个工作日到账。",
                "不同品牌的旧{old}也可以参加，按实际成色估价。",
            ),
            bot_answer=(
                "以旧换新：在商品页选择“以旧换新”即可在线估价，旧机上门回收，验机后抵扣款到账。",
            ),
            bot_miss=(
                "您好，关于商品价格，请以商品详情页展示为准哦。",
                "抱歉，我没有理解您的问题，您可以换个说法试试。",
                "您可以在“我的订单”中查看订单详情。",
                "{product}当前活动价{price}元，领取店铺券后下单更优惠。",
            ),
        ),
        "order_status": IntentText(
            opening=(
                "我的订单{order}怎么还没发货？",
                "查一下订单{order}到哪了",
                "快递显示{courier}，单号{tracking}，三天没更新了",
                "你好，{product}什么时候能到？订单号{order}",
                "订单{order}显示已签收，但是我没收到啊",
                "能不能帮我催一下发货，订单{order}",
                "我买的{product}今天能送到吗？",
                "可以改一下收货地址吗？订单{order}",
                "下单好几天了还没物流信息，订单{order}",
            ),
            followup=(
                "那大概什么时候能到？",
                "快递员电话多少？",
                "能加急吗？我比较着急用",
                "麻烦帮我跟进一下",
                "可以放快递柜吗？",
            ),
            agent_first=(
                "帮您查询到订单{order}已经出库，由{courier}配送，单号{tracking}。",
                "您的订单{order}预计{days}天内送达，请耐心等待。",
                "订单{order}目前在{city}转运中心，物流信息可能有延迟。",
                "订单{order}还未发货，我已经帮您催促仓库优先处理。",
            ),
            agent_more=(
                "我已经联系{courier}核实，会尽快给您回复。",
                "快递员派送前会短信通知您联系方式。",
                "地址已经帮您修改好了，请在订单详情里确认一下。",
                "已经帮您备注加急，今天会安排发出。",
                "如果明天还没有更新，您随时联系我们。",
            ),
            bot_answer=(
                "您的订单{order}已由{courier}揽收，运单号{tracking}，预计{days}天内送达。",
                "订单{order}当前状态：运输中。您可以在“我的订单-查看物流”中查看实时进度。",
                "订单{order}已出库，预计{days}天内送达，请保持电话畅通。",
            ),
        ),
        "return_refund": IntentText(
            opening=(
                "{product}不想要了，怎么退货？",
                "我申请退款三天了还没到账，订单{order}",
                "买的{product}不太合适，能换吗？",
                "退货运费谁出？",
                "退款{amount}元什么时候到账？",
                "{product}拆封了还能七天无理由吗？",
                "退货已经寄回去了，单号{tracking}，麻烦查收",
            ),
            followup=(
                "需要我自己寄回去吗？",
                "退款会退到哪里？",
                "运费险能用吗？",
                "换货需要多久？",
            ),
            agent_first=(
                "在订单详情页点击“申请售后”，选择退货退款即可，我们收到货后1-3天内退款。",
                "订单{order}的退款{amount}元已经处理，预计1-3个工作日原路退回。",
                "支持7天无理由退换，商品不影响二次销售就可以。",
                "换货的话请申请售后选择“换货”，我们收到后重新发出。",
            ),
            agent_more=(
                "您购买了运费险，寄回运费会自动理赔。",
                "可以预约上门取件，不需要您自己跑快递点。",
                "退款会原路退回到您的支付账户。",
                "已经帮您加急处理退款了。",
            ),
            bot_answer=(
                "退货流程：订单详情-申请售后-选择退货退款，审核通过后按地址寄回即可。",
                "退款会在商家确认收货后1-3个工作日原路退回。",
                "七天无理由退货要求商品完好、不影响二次销售。",
            ),
            variants={"apparel": _only(("买的{product}尺码不合适，能换大一码吗？",))},
        ),
        "product_problem": IntentText(
            opening=(
                "{product}有问题，怎么处理？",
                "收到的{product}有破损，怎么处理？",
                "买的{product}少发了一件",
                "{product}颜色和图片不太一样",
                "{product}和页面描述的不一样",
            ),
            followup=(
                "我拍了照片，发给你看看",
                "能直接换新的吗？",
                "这个要寄回去检测吗？",
                "都已经试过了，还是不行",
            ),
            agent_first=(
                "非常抱歉给您带来不便，麻烦您提供一下照片或视频，我们帮您登记处理。",
                "{product}可以为您安排免费换新。",
                "抱歉给您添麻烦了，少发的我们马上给您补发。",
            ),
            agent_more=(
                "已经为您登记售后，工单号{tracking}，24小时内有专人联系您。",
                "照片收到了，确认是运输损坏，给您换新。",
                "补发的商品今天会寄出。",
                "已经为您申请退款，商品不用寄回了。",
            ),
            variants={
                "device": _only(
                    (
                        "{product}用了两天就有问题了",
                        "{product}开不了机了，怎么办",
                        "{product}充不进去电",
                        "{product}有异响，正常吗？",
                        "{product}怎么设置？说明书看不太懂",
                        "{product}连不上WiFi",
                    ),
                    ("先尝试长按电源键15秒重启一下看看呢？",),
                    (
                        "您可以就近到授权维修点检测，费用由我们承担。",
                        "我把设置步骤发给您，按顺序操作就可以。",
                    ),
                ),
                "food": _only(
                    ("{product}收到的时候已经坏了", "{product}不新鲜，有异味", "{product}包装漏了"),
                ),
                "apparel": _only(
                    ("{product}洗了一次就掉色", "{product}有线头开线", "{product}拉链坏了"),
                ),
                "beauty": _only(("用了{product}脸上过敏了", "{product}的味道和以前买的不一样")),
                "books": _only(("{product}有缺页", "{product}印刷模糊")),
            },
        ),
        "invoice": IntentText(
            opening=(
                "订单{order}可以开专票吗？",
                "发票什么时候能开好？",
                "发票抬头开错了，能重开吗？",
                "我需要开公司抬头的发票，税号怎么填",
                "电子发票在哪里下载？",
            ),
            followup=(
                "开好了发我邮箱可以吗？",
                "多久能收到？",
                "纸质的可以吗？",
                "公司抬头是{city}星辰科技有限公司",
            ),
            agent_first=(
                "订单{order}支持开具增值税专用发票，请在订单详情提交开票信息。",
                "电子发票会在确认收货后24小时内开具，可在订单详情下载。",
                "抬头开错可以为您作废重开，请提供正确的抬头和税号。",
            ),
            agent_more=(
                "已经为您重新提交，开好后会发送到您的邮箱。",
                "纸质发票会单独邮寄给您。",
                "税号填写统一社会信用代码就可以。",
            ),
            bot_answer=(
                "电子发票会在确认收货后24小时内开具，可在“订单详情-查看发票”中下载。",
                "如需修改发票抬头，请在订单详情中提交换开申请。",
            ),
        ),
        "account": IntentText(
            opening=(
                "我的账号登录不上了",
                "手机号换了，怎么改绑定？",
                "会员积分怎么没到账？",
                "优惠券过期了，能恢复吗？",
                "怎么注销账号？",
                "为什么我的账号被限制下单了？",
            ),
            followup=(
                "验证码一直收不到",
                "积分有效期多久？",
                "那我现在该怎么操作？",
            ),
            agent_first=(
                "请您尝试用短信验证码登录，如仍无法登录我帮您核实账号状态。",
                "在“我的-设置-账号与安全”里可以修改绑定手机号。",
                "积分会在确认收货后7天内发放。",
                "我帮您查询一下账号情况，请稍等。",
            ),
            agent_more=(
                "已经帮您补发了积分，请刷新查看。",
                "验证码可能被拦截了，请检查短信拦截设置。",
                "账号已经恢复正常，可以正常下单了。",
            ),
            bot_answer=(
                "修改绑定手机号：我的-设置-账号与安全-更换手机号。",
                "会员积分在确认收货7天后到账，可在“我的积分”查看明细。",
                "登录异常时请尝试验证码登录或找回密码。",
            ),
        ),
        "suggestion": IntentText(
            opening=(
                "建议你们APP加一个夜间模式",
                "希望能增加货到付款",
                "你们包装可以环保一点，塑料太多了",
                "建议搜索结果可以按销量排序",
                "希望客服能24小时在线",
                "建议{product}出个大容量版本",
            ),
            followup=(
                "希望能尽快改进",
                "其他家早就有这个功能了",
            ),
            agent_first=(
                "感谢您的宝贵建议，我们已经记录并反馈给产品团队。",
                "非常感谢您的建议，我们会认真考虑。",
            ),
            agent_more=(
                "后续有改进会通过消息通知您。",
                "您的反馈对我们很重要。",
            ),
        ),
        "complaint:product_quality": IntentText(
            opening=(
                "{product}质量太差了，用了一周就坏了，我要投诉",
                "刚买的{product}就出问题，你们就是这样卖东西的？",
                "投诉！{product}是不是假货，和专柜的不一样",
                "{product}收到就是坏的，这是第二次了，太失望了",
                "{product}有严重质量问题，要求退款并赔偿",
                "这个{product}一股怪味，根本没法用，你们怎么质检的？",
                "{product}做工太粗糙了，跟宣传的完全不符，我要投诉",
            ),
            followup=_COMPLAINT_FOLLOWUP_ZH,
            agent_first=_COMPLAINT_FIRST_ZH,
            agent_more=_COMPLAINT_MORE_ZH,
        ),
        "complaint:logistics": IntentText(
            opening=(
                "订单{order}一周了还没到，物流一直不更新，我要投诉",
                "快递员没打电话直接放门口，东西丢了",
                "{courier}把包裹弄坏了，{product}都压变形了",
                "说好的次日达，现在都第四天了",
            ),
            followup=_COMPLAINT_FOLLOWUP_ZH,
            agent_first=_COMPLAINT_FIRST_ZH,
            agent_more=_COMPLAINT_MORE_ZH,
        ),
        "complaint:after_sales": IntentText(
            opening=(
                "退款拖了两个星期还没到账，我要投诉",
                "申请售后一直没人处理，订单{order}",
                "说好给我换新，到现在都没消息",
            ),
            followup=_COMPLAINT_FOLLOWUP_ZH,
            agent_first=_COMPLAINT_FIRST_ZH,
            agent_more=_COMPLAINT_MORE_ZH,
        ),
        "complaint:price": IntentText(
            opening=(
                "刚买完{product}就降价{amount}元，不给保价我要投诉",
                "页面价格和结算价格不一样，你们这是欺诈",
                "优惠券用不了，说好的满减没有",
            ),
            followup=_COMPLAINT_FOLLOWUP_ZH,
            agent_first=_COMPLAINT_FIRST_ZH,
            agent_more=_COMPLAINT_MORE_ZH,
        ),
        "complaint:service_attitude": IntentText(
            opening=(
                "上次的客服态度很差，我要投诉",
                "打了三次电话都没人解决问题，什么服务",
                "客服一直敷衍我，问什么都说不清楚",
            ),
            followup=_COMPLAINT_FOLLOWUP_ZH,
            agent_first=_COMPLAINT_FIRST_ZH,
            agent_more=_COMPLAINT_MORE_ZH,
        ),
    },
    greeting=(
        "您好，我是客服{agent}，很高兴为您服务。",
        "您好，{agent}为您服务～",
        "亲，您好，我是{agent}。",
        "您好，",
        "",
    ),
    agent_closing=(
        "请问还有其他可以帮您的吗？",
        "还有其他问题随时联系我们哦～",
        "感谢您的耐心等待，祝您生活愉快！",
        "如果还有问题可以随时找我。",
    ),
    customer_thanks=(
        "好的，谢谢",
        "没有了，谢谢你",
        "好的明白了",
        "行，那我等着",
        "OK，辛苦了",
        "收到，谢谢",
    ),
    customer_nudge=("在吗？", "有人吗？", "人呢？怎么没人回复", "客服在吗，等了好久了"),
    system_left="访客已离开会话",
    system_hangup="客户已挂断（未接通）",
    bot_miss=(
        "抱歉，我没有理解您的问题，您可以换个说法试试。",
        "这个问题我还在学习中，您可以试试问我“订单物流”“退换货”等问题。",
    ),
    customer_ask_human=("转人工", "人工客服", "你没明白我的意思，转人工", "我要找人工"),
    bot_handoff=(
        "好的，正在为您转接人工客服，请稍候。",
        "已为您转接人工客服，当前排队中，请稍等。",
    ),
    bot_bye=("不客气，祝您购物愉快～", "很高兴为您解答，如有其他问题随时找我哦。"),
    transfer_agent=(
        "这个问题需要{group}的同事为您处理，我帮您转接一下，请稍等。",
        "抱歉，这个问题{group}更专业，我把会话转给他们。",
    ),
    transfer_system="会话已转接至{group}",
    takeover=(
        "您好，我是{group}的{agent}，刚才的情况我已经了解了。",
        "您好，我是{agent}，接下来由我为您处理。",
    ),
    pending_final=(
        "您的投诉已经登记，工单号{tracking}，相关部门会在48小时内联系您。",
        "这个需要和仓库进一步核实，有结果后第一时间联系您。",
    ),
    rude_replies=(
        "你自己看说明书，上面都写着呢。",
        "不知道，你自己问快递吧。",
        "没办法，规定就是这样。",
        "爱买不买，就这个价。",
        "说了多少遍了，{days}天内发货。",
        "自己去查物流，订单页面都有。",
        "这个别问我，我也不知道。",
        "说了多少遍了，按流程走，没办法加急。",
    ),
    angry_customer=(
        "你这是什么态度？我要投诉你！",
        "什么服务态度啊，我要给差评",
        "客服就是这么说话的？太过分了",
        "你们客服态度太差了，我要投诉",
    ),
    apology=("抱歉，刚才表达不当，我帮您处理。", "不好意思，我再帮您看一下。"),
    email_customer="您好：\n\n{body}\n\n谢谢！\n{name}",
    email_agent="尊敬的客户您好：\n\n{body}\n\n此致\n演示商城客服中心 {agent}",
)

_COMPLAINT_FOLLOWUP_EN = (
    "I want a full refund.",
    "This is the second time this has happened.",
    "I expect an answer today.",
)
_COMPLAINT_FIRST_EN = (
    "I'm very sorry about this experience. I have logged your case and will handle it right away.",
    "I completely understand your frustration. Let me check order {order} for you first.",
)
_COMPLAINT_MORE_EN = (
    "We have issued a full refund and added a {comp} yuan voucher to your account.",
    "A replacement is on its way and we cover the return shipping.",
    "We have escalated this with the courier and are sending a replacement.",
)

EN = LangText(
    intents={
        "pre_sales": IntentText(
            opening=(
                "Hi, is the {product} in stock? When would it ship if I order today?",
                "Can I pay for the {product} in instalments?",
                "Is there any discount on the {product} right now?",
                "Is the {product} a good gift?",
            ),
            followup=("How long does delivery to {city} take?", "Can I use a coupon?"),
            agent_first=(
                "The {product} is in stock and ships the same day for orders before 4 pm.",
                "The {product} is on promotion: {price} yuan after the store coupon.",
            ),
            agent_more=(
                "Delivery to {city} usually takes 2-3 days.",
                "Yes, coupons can be combined with the store promotion at checkout.",
            ),
            bot_answer=(
                "The {product} is in stock; orders paid before 16:00 ship the same day.",
                "All products are genuine, with 7-day returns.",
            ),
        ),
        "trade_in": IntentText(
            opening=(
                "Do you have a trade-in offer? I'd like to trade my old {old} for the {product}.",
                "How much can I get for my old {old} if I trade it in?",
                "Does the trade-in include pickup of the old device?",
            ),
            followup=("Does a scratched screen lower the price?", "Can I get the new one first?"),
            agent_first=(
                "Yes, choose 'trade-in' on the product page and the value of your old {old} is deducted.",
                "Our recycling partner picks up the old device and the credit is refunded after inspection.",
            ),
            agent_more=(
                "Scratches lower the estimate a little but the device is still accepted.",
                "The credit arrives 3-5 working days after the old device is inspected.",
            ),
            bot_answer=(
                "Trade-in: select 'trade-in' on the product page for an instant estimate.",
            ),
            bot_miss=(
                "Sorry, I didn't understand. Could you rephrase your question?",
                "Prices are as shown on the product page.",
            ),
        ),
        "order_status": IntentText(
            opening=(
                "Where is my order {order}?",
                "My order {order} hasn't shipped yet, can you check?",
                "Tracking number {tracking} hasn't updated for three days.",
            ),
            followup=("When will it arrive?", "Can you speed it up? I need it urgently."),
            agent_first=(
                "Order {order} has left the warehouse with {courier}, tracking number {tracking}.",
                "Your order {order} should arrive within {days} days.",
            ),
            agent_more=(
                "I have asked the courier to check and will get back to you.",
                "I have marked it as urgent; it will ship today.",
            ),
            bot_answer=(
                "Order {order} is with {courier}, tracking {tracking}, expected within {days} days.",
                "Order {order} is in transit. See 'My orders - Track' for live updates.",
            ),
        ),
        "return_refund": IntentText(
            opening=(
                "How do I return the {product}?",
                "I asked for a refund three days ago and still haven't received it.",
                "The {product} doesn't fit, can I exchange it?",
            ),
            followup=("Who pays for return shipping?", "Where will the refund go?"),
            agent_first=(
                "Open the order, tap 'After-sales' and choose return and refund; we refund within 1-3 days.",
                "The refund of {amount} yuan for order {order} has been processed.",
            ),
            agent_more=(
                "You have shipping insurance, so return postage is covered.",
                "The refund goes back to your original payment method.",
            ),
            bot_answer=(
                "Returns: Order details - After-sales - Return and refund, then ship it back.",
                "Refunds are paid back within 1-3 working days after we receive the item.",
            ),
        ),
        "product_problem": IntentText(
            opening=(
                "My {product} stopped working after two days.",
                "The {product} arrived damaged. What can you do?",
                "The {product} looks different from the pictures.",
            ),
            variants={"device": _only(("The {product} won't charge.",))},
            followup=("I can send photos.", "Can you just replace it?"),
            agent_first=(
                "I'm sorry about that. Please send a photo or video and I'll register the case.",
                "The {product} is under warranty, so we can replace it for free.",
            ),
            agent_more=(
                "Your after-sales ticket is {tracking}; an engineer will contact you within 24 hours.",
                "The photos confirm transport damage, so we will send a new one.",
            ),
        ),
        "invoice": IntentText(
            opening=(
                "Can I get a VAT invoice for order {order}?",
                "Where can I download the e-invoice?",
            ),
            followup=("Can you email it to me?",),
            agent_first=(
                "E-invoices are issued within 24 hours after delivery and can be downloaded from the order page.",
            ),
            agent_more=("I have resubmitted it; it will be emailed to you.",),
            bot_answer=(
                "E-invoices are issued within 24 hours after delivery (Order details - Invoice).",
            ),
        ),
        "account": IntentText(
            opening=(
                "I can't log in to my account.",
                "How do I change the phone number on my account?",
            ),
            followup=("The verification code never arrives.",),
            agent_first=(
                "Please try logging in with an SMS code; if that fails I'll check your account.",
            ),
            agent_more=("Your account is back to normal now.",),
            bot_answer=("To change your phone number: Me - Settings - Account security.",),
        ),
        "suggestion": IntentText(
            opening=(
                "It would be great if the app had a dark mode.",
                "Please use less plastic in the packaging.",
            ),
            followup=("Hope you can improve this soon.",),
            agent_first=("Thank you for the suggestion, I have passed it on to the product team.",),
            agent_more=("We'll let you know when it changes.",),
        ),
        "complaint:product_quality": IntentText(
            opening=(
                "The {product} broke after one week. The quality is terrible and I want to complain.",
                "Is the {product} even genuine? It looks nothing like the one in the store.",
            ),
            followup=_COMPLAINT_FOLLOWUP_EN,
            agent_first=_COMPLAINT_FIRST_EN,
            agent_more=_COMPLAINT_MORE_EN,
        ),
        "complaint:logistics": IntentText(
            opening=("Order {order} has been stuck for a week. I want to file a complaint.",),
            followup=_COMPLAINT_FOLLOWUP_EN,
            agent_first=_COMPLAINT_FIRST_EN,
            agent_more=_COMPLAINT_MORE_EN,
        ),
        "complaint:after_sales": IntentText(
            opening=("My refund has been pending for two weeks. This is unacceptable.",),
            followup=_COMPLAINT_FOLLOWUP_EN,
            agent_first=_COMPLAINT_FIRST_EN,
            agent_more=_COMPLAINT_MORE_EN,
        ),
        "complaint:price": IntentText(
            opening=(
                "The price of the {product} dropped by {amount} yuan right after I bought it.",
            ),
            followup=_COMPLAINT_FOLLOWUP_EN,
            agent_first=_COMPLAINT_FIRST_EN,
            agent_more=_COMPLAINT_MORE_EN,
        ),
        "complaint:service_attitude": IntentText(
            opening=("Your support person last time was really unhelpful. I want to complain.",),
            followup=_COMPLAINT_FOLLOWUP_EN,
            agent_first=_COMPLAINT_FIRST_EN,
            agent_more=_COMPLAINT_MORE_EN,
        ),
    },
    greeting=("Hi, this is {agent}. ", "Hello, {agent} here. ", "Hi! ", ""),
    agent_closing=("Is there anything else I can help with?", "Feel free to contact us any time."),
    customer_thanks=("Thanks!", "OK, thank you.", "Great, thanks for your help."),
    customer_nudge=("Hello? Anyone there?", "I've been waiting for a while..."),
    system_left="The visitor left the conversation",
    system_hangup="The caller hung up (not answered)",
    bot_miss=("Sorry, I didn't understand. Could you rephrase your question?",),
    customer_ask_human=("human agent please", "I want to talk to a person"),
    bot_handoff=("Connecting you to a human agent, please wait.",),
    bot_bye=("You're welcome, happy shopping!",),
    transfer_agent=("This needs our {group} team; I'll transfer you now.",),
    transfer_system="Conversation transferred to {group}",
    takeover=("Hi, this is {agent} from {group}; I've read the conversation so far.",),
    pending_final=(
        "Your case is registered as {tracking}; the team will contact you within 48 hours.",
    ),
    rude_replies=(
        "Read the manual yourself, it's all in there.",
        "I don't know. Ask the courier.",
        "Nothing I can do, those are the rules.",
        "I already told you, it ships in {days} days.",
        "Take it or leave it, that's the price.",
    ),
    angry_customer=(
        "What kind of attitude is that? I'm filing a complaint.",
        "That's really rude.",
    ),
    apology=("Sorry, let me look into it again.",),
    email_customer="Hello,\n\n{body}\n\nThanks,\n{name}",
    email_agent="Dear customer,\n\n{body}\n\nBest regards,\nDemo Shop customer service, {agent}",
)

TEXTS: dict[str, LangText] = {"zh": ZH, "en": EN}

# Old devices named in trade-in questions, per product line code.
OLD_DEVICES: dict[str, tuple[str, ...]] = {
    "digital": ("手机", "平板", "笔记本", "手表"),
    "appliance": ("空调", "洗衣机", "冰箱", "热水器"),
}
OLD_DEVICES_EN: dict[str, tuple[str, ...]] = {
    "digital": ("phone", "tablet", "laptop"),
    "appliance": ("air conditioner", "washing machine", "fridge"),
}

# Example phrasings of the bot's knowledge gap, for the ground truth.
KNOWLEDGE_GAP_EXAMPLES = tuple(
    t.replace("{old}", "手机").replace("{product}", "旗舰手机 X20 Pro")
    for t in ZH.intents["trade_in"].opening
)


def _merge(base: IntentText, extra: IntentText) -> IntentText:
    return IntentText(
        opening=base.opening + extra.opening,
        followup=base.followup + extra.followup,
        agent_first=base.agent_first + extra.agent_first,
        agent_more=base.agent_more + extra.agent_more,
        bot_answer=base.bot_answer + extra.bot_answer,
        bot_miss=base.bot_miss,
    )


@cache
def intent_text(lang: str, key: str, line_code: str | None) -> IntentText:
    """The templates for ``key`` in ``lang``, with those that fit the product line added."""
    base = TEXTS[lang].intents[key]
    extra = base.variants.get(LINE_KIND.get(line_code or "", ""))
    return _merge(base, extra) if extra is not None else base


def contains_rude_phrase(text: str) -> bool:
    """True when ``text`` holds one of the planted rude phrases (case-insensitive for English)."""
    low = text.lower()
    return any(p in low for p in RUDE_PHRASES)
