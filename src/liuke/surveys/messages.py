"""Every string surveys shows (pages, errors, invitations), in Simplified Chinese and English."""

from __future__ import annotations

from liuke.core.i18n import has_message, register_messages
from liuke.crm.ipa import QUADRANTS

_PAIRS: dict[str, tuple[str, str]] = {
    # errors
    "error.expired": ("该评价链接已过期", "This survey link has expired"),
    "error.answered": (
        "该问卷已经回答过，首次回答已保留",
        "This survey was already answered; the first answer is kept",
    ),
    "error.no_questionnaire": ("没有启用的 {kind} 问卷", "No active {kind} questionnaire"),
    "error.answers_object": (
        "回答必须是“问题: 答案”的对象",
        "Answers must map questions to answers",
    ),
    "error.unknown_question": (
        "问卷中没有这些问题：{question}",
        "Not questions of this survey: {question}",
    ),
    "error.required": ("问题“{question}”必须回答", "Question “{question}” must be answered"),
    "error.not_integer": (
        "问题“{question}”需要 {lo} 到 {hi} 之间的整数",
        "Question “{question}” needs a whole number from {lo} to {hi}",
    ),
    "error.out_of_range": (
        "问题“{question}”的评分 {value} 超出范围（{lo}–{hi}）",
        "Question “{question}”: {value} is out of range ({lo}-{hi})",
    ),
    "error.choice": ("问题“{question}”的选项无效", "Question “{question}”: not one of the choices"),
    "error.not_text": ("问题“{question}”需要文字回答", "Question “{question}” needs text"),
    "error.too_long": (
        "问题“{question}”的回答超过 {limit} 字",
        "Question “{question}”: the answer is longer than {limit} characters",
    ),
    "error.date": ("日期应为 YYYY-MM-DD：{value}", "A date is YYYY-MM-DD: {value}"),
    "error.json": (
        "问题列表不是有效的 JSON：{detail}",
        "The questions are not valid JSON: {detail}",
    ),
    "error.title": ("无法完成", "Could not do that"),
    "error.back": ("返回", "Back"),
    # invitations
    "invite.csat": (
        "本次服务已结束，请花 30 秒为我们的服务评分：{url}",
        "Your conversation has ended. Please rate our service (30 seconds): {url}",
    ),
    "invite.nps": (
        "您有多大可能向朋友或同事推荐我们？点此打分：{url}",
        "How likely are you to recommend us to a friend? Tell us here: {url}",
    ),
    "invite.ces": (
        "这次解决问题是否省心？点此告诉我们：{url}",
        "Was it easy to get your issue handled? Tell us here: {url}",
    ),
    "invite.custom": ("请填写我们的问卷：{url}", "Please answer our short survey: {url}"),
    "invite.subject.csat": ("请为本次服务评分", "How did we do?"),
    "invite.subject.nps": ("您会推荐我们吗？", "Would you recommend us?"),
    "invite.subject.ces": ("这次解决问题省心吗？", "Was it easy?"),
    "invite.subject.custom": ("邀请您填写问卷", "A short survey"),
    # the section
    "title": ("满意度", "Satisfaction"),
    "subtitle": ("CSAT、NPS、CES 与重要性-绩效分析", "CSAT, NPS, CES and importance-performance"),
    "window": ("{start} 至 {end}，共 {days} 天", "{start} to {end}, {days} days"),
    "tab.overview": ("概览", "Overview"),
    "tab.responses": ("答卷", "Responses"),
    "tab.questionnaires": ("问卷", "Questionnaires"),
    "filter.start": ("开始日期", "From"),
    "filter.end": ("结束日期", "To"),
    "filter.kind": ("类型", "Kind"),
    "filter.agent": ("坐席", "Agent"),
    "filter.any": ("全部", "All"),
    "filter.apply": ("查看", "Show"),
    "tile.csat": ("CSAT 满意率", "CSAT satisfied"),
    "tile.csat_mean": ("CSAT 均分（1–5）", "CSAT mean (1-5)"),
    "tile.nps": ("NPS 净推荐值", "NPS"),
    "tile.ces": ("CES 均分（1–7，越高越省心）", "CES mean (1-7, higher is easier)"),
    "tile.rate": ("回复率", "Response rate"),
    "tile.n": ("{n} 份答卷", "{n} responses"),
    "tile.rate_n": ("已发送 {sent}，已回答 {answered}", "{answered} answered of {sent} sent"),
    "nps.split": (
        "推荐者 {p} · 中立者 {m} · 贬损者 {d}",
        "promoters {p} · passives {m} · detractors {d}",
    ),
    "definitions": (
        "CSAT 满意率 = 4–5 分的占比；NPS = 推荐者（9–10）占比 − 贬损者（0–6）占比；"
        "CES 为 1–7 分均值；回复率 = 已回答 ÷ 已送达（发送失败不计）。",
        "CSAT satisfied = share scoring 4-5; NPS = % promoters (9-10) - % detractors (0-6); "
        "CES = mean of 1-7; response rate = answered / delivered (failed sends excluded).",
    ),
    "trend.title": ("每周趋势", "Week by week"),
    "chart.csat": ("CSAT 满意率 %", "CSAT satisfied %"),
    "chart.nps": ("NPS", "NPS"),
    "chart.week": ("周", "Week"),
    "agents.title": ("按坐席", "By agent"),
    "channels.title": ("按渠道", "By channel"),
    "rates.title": ("回复率", "Response rates"),
    "col.agent": ("坐席", "Agent"),
    "col.channel": ("渠道", "Channel"),
    "col.kind": ("类型", "Kind"),
    "col.responses": ("答卷", "Responses"),
    "col.mean": ("均分", "Mean"),
    "col.satisfied": ("满意率", "Satisfied"),
    "col.nps": ("NPS", "NPS"),
    "col.sent": ("已送达", "Delivered"),
    "col.answered": ("已回答", "Answered"),
    "col.failed": ("发送失败", "Failed"),
    "col.rate": ("回复率", "Rate"),
    "col.submitted": ("提交时间", "Submitted"),
    "col.score": ("得分", "Score"),
    "col.conversation": ("会话", "Conversation"),
    "col.customer": ("客户", "Customer"),
    "col.comment": ("留言", "Comment"),
    "col.answers": ("各项评分", "Answers"),
    "col.code": ("代码", "Code"),
    "col.name": ("名称", "Name"),
    "col.segment": ("适用客群", "Segment"),
    "col.weight": ("轮换权重", "Rotation weight"),
    "col.active": ("启用", "Active"),
    "col.version": ("版本", "Version"),
    "col.interval": ("间隔（天）", "Interval (days)"),
    "col.created": ("创建时间", "Created"),
    "col.questions": ("问题", "Questions"),
    "no_agent": ("无坐席（机器人或未分配）", "No agent (bot or unassigned)"),
    "none": ("该时间段没有答卷", "No responses in this period"),
    "everyone": ("所有客户", "Everyone"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "channel.widget": ("聊天窗口", "Chat widget"),
    "channel.email": ("邮件", "E-mail"),
    "channel.link": ("链接", "Link"),
    "kind.csat": ("CSAT 满意度", "CSAT"),
    "kind.nps": ("NPS 推荐度", "NPS"),
    "kind.ces": ("CES 费力度", "CES"),
    "kind.custom": ("自定义", "Custom"),
    "attr.speed": ("响应速度", "Speed"),
    "attr.attitude": ("服务态度", "Attitude"),
    "attr.expertise": ("专业程度", "Expertise"),
    "attr.resolution": ("问题解决", "Resolution"),
    # IPA
    "ipa.title": ("重要性-绩效分析（IPA）", "Importance-performance analysis (IPA)"),
    "ipa.hint": (
        "横轴为各服务属性的绩效（均分），纵轴为重要性（对总体满意度回归得到的标准化系数）。"
        "重要且满意率不高于 {target} 的属性是需要改进的缺口。",
        "Across: each service attribute's performance (mean score); up: its importance "
        "(standardised coefficient regressing overall satisfaction on the attributes). An "
        "important attribute satisfied at {target} or less is a gap to work on.",
    ),
    "ipa.stated_title": ("按客户自述的重要性", "By the importance customers stated"),
    "ipa.x": ("绩效（均分）", "Performance (mean)"),
    "ipa.y": ("重要性", "Importance"),
    "ipa.col.attribute": ("属性", "Attribute"),
    "ipa.col.importance": ("重要性", "Importance"),
    "ipa.col.quadrant": ("象限", "Quadrant"),
    "ipa.col.gap": ("缺口", "Gap"),
    "ipa.gap": ("需改进", "Gap"),
    "ipa.method": (
        "方法：{method}；完整答卷 {complete} / {responses}；R² {r2}",
        "Method: {method}; complete responses {complete} of {responses}; R² {r2}",
    ),
    "ipa.method.regression": ("最小二乘回归", "least-squares regression"),
    "ipa.method.ridge": ("岭回归（属性高度相关）", "ridge regression (collinear attributes)"),
    "ipa.method.correlation": ("相关系数（答卷太少）", "correlation (too few responses)"),
    "ipa.method.stated": ("客户自述", "stated by customers"),
    "ipa.none": ("无法分析：{reason}", "Cannot analyse: {reason}"),
    "ipa.excluded": ("未纳入：{attribute}（{reason}）", "Left out: {attribute} ({reason})"),
    # questionnaires
    "q.new": ("新建问卷", "New questionnaire"),
    "q.edit": ("编辑问卷", "Edit questionnaire"),
    "q.save": ("保存", "Save"),
    "q.create": ("创建", "Create"),
    "q.versions": ("历史版本", "Versions"),
    "q.questions_hint": (
        "问题为 JSON 列表：key、kind（csat5/nps10/ces7/scale5/choice/text）、text（zh_CN 与 en）、"
        "attribute（评价的服务属性）、importance_of（询问某属性的重要性）、required、choices。"
        "修改问题会生成新版本，已回收的答卷保留原版本。",
        "Questions are a JSON list: key, kind (csat5/nps10/ces7/scale5/choice/text), text "
        "(zh_CN and en), attribute (the service attribute rated), importance_of (asks how "
        "important an attribute is), required, choices. Changed questions make a new version; "
        "answers keep the version they answered.",
    ),
    "q.rotation_hint": (
        "同类问卷按轮换权重轮流发放；指定客群的问卷只发给当前属于该客群的客户，并优先于通用问卷。",
        "Questionnaires of a kind take turns by rotation weight; one for a segment goes only to "
        "its current members, ahead of the general ones.",
    ),
    "q.saved": ("已保存，当前版本 {version}", "Saved; current version {version}"),
    # the public answer form
    "public.title": ("服务评价", "Tell us how we did"),
    "public.intro": ("感谢您抽出时间，只需一分钟。", "Thank you for your time: it takes a minute."),
    "public.submit": ("提交评价", "Send"),
    "public.thanks": ("感谢您的评价！", "Thank you for your answer!"),
    "public.answered": ("您已评价过，感谢！首次的回答已保存。", "You already answered. Thank you!"),
    "public.expired": ("该评价链接已过期。", "This survey link has expired."),
    "public.not_found": ("评价链接无效。", "This survey link is not valid."),
    "public.optional": ("（选填）", "(optional)"),
    "public.low.csat5": ("非常不满意", "Very dissatisfied"),
    "public.high.csat5": ("非常满意", "Very satisfied"),
    "public.low.scale5": ("很低", "Very low"),
    "public.high.scale5": ("很高", "Very high"),
    "public.low.nps10": ("完全不可能", "Not at all likely"),
    "public.high.nps10": ("非常可能", "Extremely likely"),
    "public.low.ces7": ("非常不同意", "Strongly disagree"),
    "public.high.ces7": ("非常同意", "Strongly agree"),
}

_ENTITIES = {
    "questionnaire": ("问卷", "Questionnaire"),
    "survey_invitation": ("问卷邀请", "Survey invitation"),
    "survey_response": ("答卷", "Survey response"),
    "segment": ("客户分群", "Segment"),
}

register_messages({f"surveys.{k}": {"zh_CN": zh, "en": en} for k, (zh, en) in _PAIRS.items()})
register_messages(
    {f"surveys.quadrant.{k}": {"zh_CN": zh, "en": en} for k, (zh, en) in QUADRANTS.items()}
)
register_messages(
    {
        f"entity.{k}": {"zh_CN": zh, "en": en}
        for k, (zh, en) in _ENTITIES.items()
        if not has_message(f"entity.{k}")  # crm may name segments first
    }
)
