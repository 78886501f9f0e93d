"""Every string the web shell shows, in Simplified Chinese and English side by side."""

from __future__ import annotations

from liuke.core.i18n import register_messages

MESSAGES: dict[str, dict[str, str]] = {
    "web.product": {"zh_CN": "留客", "en": "liuke"},
    "web.tagline": {
        "zh_CN": "留住每一位客户的客服平台",
        "en": "Customer service that keeps customers",
    },
    "web.lang.zh_CN": {"zh_CN": "中文", "en": "中文"},
    "web.lang.en": {"zh_CN": "English", "en": "English"},
    "web.lang.switch": {"zh_CN": "切换语言", "en": "Switch language"},
    "web.nav.label": {"zh_CN": "功能导航", "en": "Navigation"},
    "web.nav.coming_soon": {"zh_CN": "即将推出", "en": "coming soon"},
    "web.nav.home": {"zh_CN": "工作台", "en": "Home"},
    "web.nav.conversations": {"zh_CN": "会话", "en": "Conversations"},
    "web.nav.customers": {"zh_CN": "客户", "en": "Customers"},
    "web.nav.bot": {"zh_CN": "机器人与知识库", "en": "Bot & knowledge"},
    "web.nav.complaints": {"zh_CN": "投诉", "en": "Complaints"},
    "web.nav.quality": {"zh_CN": "质检", "en": "Quality"},
    "web.nav.satisfaction": {"zh_CN": "满意度与留存", "en": "Satisfaction & retention"},
    "web.nav.analytics": {"zh_CN": "数据分析", "en": "Analytics"},
    "web.nav.reports": {"zh_CN": "报表", "en": "Reports"},
    "web.nav.settings": {"zh_CN": "设置", "en": "Settings"},
    "web.login.title": {"zh_CN": "登录", "en": "Log in"},
    "web.login.heading": {"zh_CN": "登录留客", "en": "Log in to liuke"},
    "web.login.workspace": {"zh_CN": "工作区", "en": "Workspace"},
    "web.login.workspace_hint": {
        "zh_CN": "工作区标识，例如 acme-shop",
        "en": "Workspace slug, e.g. acme-shop",
    },
    "web.login.email": {"zh_CN": "邮箱", "en": "Email"},
    "web.login.password": {"zh_CN": "密码", "en": "Password"},
    "web.login.submit": {"zh_CN": "登录", "en": "Log in"},
    "web.logout": {"zh_CN": "退出登录", "en": "Log out"},
    "web.error.title": {"zh_CN": "请求被拒绝", "en": "Request refused"},
    "web.error.back": {"zh_CN": "返回工作台", "en": "Back to home"},
    "web.home.title": {"zh_CN": "工作台", "en": "Home"},
    "web.home.subtitle": {
        "zh_CN": "{workspace} 的实时概况",
        "en": "Live overview of {workspace}",
    },
    "web.home.refresh": {"zh_CN": "刷新", "en": "Refresh"},
    "web.home.updated_at": {"zh_CN": "更新于 {time}", "en": "Updated {time}"},
    "web.home.live_hint": {
        "zh_CN": "每 5 秒自动更新",
        "en": "Updates every 5 seconds",
    },
    "web.counts.group.conversations": {"zh_CN": "会话状态", "en": "Conversations by status"},
    "web.counts.group.today": {"zh_CN": "今日", "en": "Today"},
    "web.counts.group.customers": {"zh_CN": "客户", "en": "Customers"},
    "web.counts.group.team": {"zh_CN": "团队与系统", "en": "Team & system"},
    "web.counts.status.open": {"zh_CN": "进行中", "en": "Open"},
    "web.counts.status.pending": {"zh_CN": "待处理", "en": "Pending"},
    "web.counts.status.resolved": {"zh_CN": "已解决", "en": "Resolved"},
    "web.counts.status.closed": {"zh_CN": "已关闭", "en": "Closed"},
    "web.counts.status.abandoned": {"zh_CN": "已放弃", "en": "Abandoned"},
    "web.counts.conversations_today": {"zh_CN": "今日新建会话", "en": "Conversations today"},
    "web.counts.messages_today": {"zh_CN": "今日消息", "en": "Messages today"},
    "web.counts.customers": {"zh_CN": "客户总数", "en": "Customers"},
    "web.counts.key_accounts": {"zh_CN": "重点客户", "en": "Key accounts"},
    "web.counts.agents": {"zh_CN": "在用坐席", "en": "Active agents"},
    "web.counts.pending_events": {"zh_CN": "待投递事件", "en": "Pending events"},
    "web.counts.none": {
        "zh_CN": "你的角色暂无可查看的数据",
        "en": "Your role has no figures to show yet",
    },
}

register_messages(MESSAGES)
