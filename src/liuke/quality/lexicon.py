"""Service-language phrase lists (Chinese and English) that the default rules start from.

They are the starting point of each workspace's editable rules, not fixed code: an admin edits
them in the rule editor, and reviewed hits measure each phrase's precision. The lists follow
common customer-service inspection standards (服务规范用语 / 服务禁语) rather than any one data set.
"""

from __future__ import annotations

GREETINGS = (
    "您好",
    "你好",
    "欢迎",
    "很高兴为您服务",
    "在的",
    "在呢",
    "亲",
    "有什么问题",
    "有什么可以",
    "有什么需要",
    "请问有什么",
    "早上好",
    "上午好",
    "下午好",
    "晚上好",
    "hello",
    "hi",
    "hey",
    "good morning",
    "good afternoon",
    "thanks for reaching out",
    "thank you for contacting",
)

CLOSINGS = (
    "还有什么",
    "还有其他",
    "还有没有",
    "还有可以",
    "其他问题",
    "随时提问",
    "随时",
    "祝您",
    "祝福",
    "不客气",
    "别客气",
    "感谢您",
    "谢谢您",
    "再见",
    "随时联系",
    "满意",
    "anything else",
    "have a great",
    "have a nice",
    "thank you",
    "thanks for",
    "glad to help",
)

APOLOGIES = (
    "抱歉",
    "对不起",
    "不好意思",
    "致歉",
    "给您带来",
    "sorry",
    "apolog",
    "regret",
)

# What a customer says when something went wrong: an apology is owed in the next reply.
FAILURE_TRIGGERS = (
    "坏了",
    "破损",
    "质量问题",
    "没收到",
    "还没到",
    "少发",
    "发错",
    "投诉",
    "差评",
    "太慢",
    "不能用",
    "不好用",
    "假货",
    "broken",
    "damaged",
    "never arrived",
    "not arrived",
    "missing",
    "wrong item",
    "complain",
    "doesn't work",
    "not working",
)

# 服务禁语: phrases no agent should send.
FORBIDDEN = (
    "爱买不买",
    "有完没完",
    "你烦不烦",
    "神经病",
    "脑子有病",
    "你是不是傻",
    "傻逼",
    "idiot",
    "stupid",
    "shut up",
    "take it or leave it",
)

# The attitude model's cue lists, one per category it reports.
RUDE = (
    "你自己看",
    "自己去查",
    "别问我",
    "不归我管",
    "不关我的事",
    "听不懂吗",
    "随便你",
    "read the manual yourself",
    "not my problem",
    "whatever",
    "figure it out yourself",
)
IMPATIENT = (
    "说了多少遍",
    "我都说了",
    "已经说过了",
    "说过了",
    "到底要",
    "快点",
    "能不能看清楚",
    "i already told you",
    "as i said",
    "like i said",
    "how many times",
)
PERFUNCTORY = (
    "不知道",
    "没办法",
    "不清楚",
    "不行",
    "没有办法",
    "规定就是这样",
    "就这样",
    "i don't know",
    "nothing i can do",
    "no idea",
    "those are the rules",
    "can't help",
)

# Bare acknowledgements: as the whole answer to a customer's question they answer nothing.
# (Short answers such as "是的" / "yes" do answer a yes-no question, so they are not listed.)
ONE_WORD_REPLIES = (
    "嗯",
    "嗯嗯",
    "恩",
    "哦",
    "噢",
    "嗯呐",
    "好",
    "好的",
    "收到",
    "ok",
    "okay",
    "k",
    "fine",
)

PROMISES = (
    "稍后回复",
    "稍后给您",
    "稍后联系",
    "马上给您",
    "回电",
    "核实后",
    "有结果后",
    "第一时间联系",
    "给您回复",
    "跟进",
    "i'll get back to you",
    "get back to you",
    "call you back",
    "follow up",
    "will update you",
)

DEFLECTIONS = ("不归我管", "你找别人", "不是我们部门", "not my department", "ask someone else")

# Holding messages ("please wait, checking"): sent again and again by design.
HOLDING = ("稍等", "请您耐心等待", "正在为您查询", "马上为您查询", "one moment", "bear with me")

# 'Are you there?': a customer left waiting.
PINGS = (
    "在吗",
    "有人吗",
    "还在吗",
    "人呢",
    "怎么不说话",
    "anyone there",
    "are you there",
    "hello?",
)

ANGER = (
    "投诉",
    "差评",
    "太过分",
    "什么态度",
    "态度太差",
    "垃圾",
    "骗子",
    "气死",
    "12315",
    "举报",
    "曝光",
    "必须给我",
    "说法",
    "受够了",
    "ridiculous",
    "unacceptable",
    "worst",
    "terrible",
    "complaint",
    "scam",
    "furious",
    "rude",
    "disgusting",
)
