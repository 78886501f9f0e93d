"""The permission vocabulary and the built-in roles.

Custom roles are any subset of :data:`ALL_PERMISSIONS`; every capability checks permissions,
never role names, so a workspace can shape its own roles.
"""

from __future__ import annotations

from liuke.core.i18n import register_messages

PERMISSIONS: dict[str, tuple[str, str]] = {
    "workspace.manage": ("管理工作区设置", "Manage workspace settings"),
    "users.read": ("查看成员", "View users"),
    "users.manage": ("管理成员", "Manage users"),
    "roles.manage": ("管理角色与权限", "Manage roles and permissions"),
    "skill_groups.manage": ("管理技能组", "Manage skill groups"),
    "api_keys.manage": ("管理 API 密钥", "Manage API keys"),
    "channels.manage": ("管理渠道", "Manage channels"),
    "customers.read": ("查看客户", "View customers"),
    "customers.write": ("编辑客户", "Edit customers"),
    "commerce.read": ("查看商品与订单", "View products and orders"),
    "commerce.write": ("编辑商品与订单", "Edit products and orders"),
    "conversations.read": ("查看会话", "View conversations"),
    "conversations.write": ("处理会话", "Handle conversations"),
    "imports.run": ("导入数据", "Import data"),
    "events.read": ("查看事件", "View events"),
    "analytics.read": ("查看报表", "View analytics"),
    "quality.review": ("复核质检结果", "Review quality inspections"),
    "quality.manage": ("管理质检规则", "Manage inspection rules"),
    "complaints.read": ("查看投诉工单", "View complaint cases"),
    "complaints.write": ("处理投诉工单", "Handle complaint cases"),
    "complaints.manage": ("管理投诉分析与预警", "Manage complaint analysis and alerts"),
    "retention.read": ("查看满意度与客户留存", "View satisfaction and retention"),
    "retention.write": ("处理回访与流失记录", "Handle follow-ups and churn records"),
    "retention.manage": (
        "管理问卷、客户分群、挽回活动与流失模型",
        "Manage surveys, segments, win-back campaigns and the churn model",
    ),
    "reports.read": ("查看管理报告", "View management reports"),
    "reports.manage": (
        "生成与发送管理报告、编辑报告模板",
        "Generate and send management reports, edit report templates",
    ),
}
ALL_PERMISSIONS = frozenset(PERMISSIONS)

BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "admin": ALL_PERMISSIONS,
    "manager": frozenset(
        {
            "users.read",
            "skill_groups.manage",
            "channels.manage",
            "customers.read",
            "customers.write",
            "commerce.read",
            "commerce.write",
            "conversations.read",
            "conversations.write",
            "imports.run",
            "events.read",
            "analytics.read",
            "quality.review",
            "quality.manage",
            "complaints.read",
            "complaints.write",
            "complaints.manage",
            "retention.read",
            "retention.write",
            "retention.manage",
            "reports.read",
            "reports.manage",
        }
    ),
    "agent": frozenset(
        {
            "users.read",
            "customers.read",
            "customers.write",
            "commerce.read",
            "conversations.read",
            "conversations.write",
            "complaints.read",
            "complaints.write",
            "retention.read",
            "retention.write",
        }
    ),
}

register_messages(
    {f"perm.{k}": {"zh_CN": zh, "en": en} for k, (zh, en) in PERMISSIONS.items()}
    | {
        "role.admin": {"zh_CN": "管理员", "en": "Admin"},
        "role.manager": {"zh_CN": "主管", "en": "Manager"},
        "role.agent": {"zh_CN": "客服", "en": "Agent"},
    }
)
