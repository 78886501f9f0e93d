"""Translations: Simplified Chinese is the default, English the alternative.

Each capability registers its own messages with both languages side by side, so a missing
translation is a test failure rather than a blank on screen.
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.core import negotiate_locale

from liuke.core.errors import AppError

SUPPORTED_LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"

_CATALOG: dict[str, dict[str, str]] = {}


def register_messages(messages: dict[str, dict[str, str]]) -> None:
    """Add ``{key: {"zh_CN": ..., "en": ...}}``; both languages are required."""
    for key, texts in messages.items():
        missing = [loc for loc in SUPPORTED_LOCALES if loc not in texts]
        if missing:
            raise ValueError(f"message {key!r} lacks translations for {missing}")
        _CATALOG[key] = texts


def has_message(key: str) -> bool:
    return key in _CATALOG


def catalog_keys() -> list[str]:
    return sorted(_CATALOG)


def translate(key: str, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """Translate ``key``; unknown keys return the key itself so nothing is silently lost."""
    texts = _CATALOG.get(key)
    if texts is None:
        return key
    text = texts.get(locale) or texts[DEFAULT_LOCALE]
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def error_text(exc: AppError, locale: str = DEFAULT_LOCALE) -> str:
    """An application error as a person reads it, in ``locale``."""
    return translate(exc.message_key, locale, **exc.params)


def normalize_locale(value: str | None) -> str | None:
    """Map 'zh', 'zh-CN', 'zh_Hans_CN', 'en-US' ... onto a supported locale, else None."""
    if not value:
        return None
    try:
        loc = Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if loc.language == "zh":
        return "zh_CN"
    if loc.language == "en":
        return "en"
    return None


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Choose a locale from an Accept-Language header, honouring q-values."""
    if not accept_language:
        return default
    prefs: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, q = piece.partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        prefs.append((weight, tag.strip().replace("-", "_")))
    prefs.sort(key=lambda p: -p[0])
    chosen = negotiate_locale(
        [p[1] for p in prefs if p[0] > 0], ["zh_CN", "zh", "en", "en_US"], sep="_"
    )
    return normalize_locale(chosen) or default


register_messages(
    {
        "error.validation": {"zh_CN": "请求数据无效", "en": "The request data is invalid"},
        "error.malformed_json": {
            "zh_CN": "请求体不是有效的 JSON",
            "en": "The body is not valid JSON",
        },
        "error.body_too_large": {
            "zh_CN": "请求体过大（上限 {limit} 字节）",
            "en": "The request body is too large (limit {limit} bytes)",
        },
        "error.not_found": {"zh_CN": "未找到该{entity}", "en": "{entity} not found"},
        "error.conflict": {
            "zh_CN": "与现有数据冲突：{detail}",
            "en": "Conflicts with existing data: {detail}",
        },
        "error.unauthenticated": {
            "zh_CN": "请先登录或提供有效的 API 密钥",
            "en": "Log in or give a valid API key",
        },
        "error.forbidden": {
            "zh_CN": "没有权限：{permission}",
            "en": "Permission denied: {permission}",
        },
        "error.idempotency_conflict": {
            "zh_CN": "幂等键已被内容不同的消息使用",
            "en": "The idempotency key was already used for a different message",
        },
        "error.bad_request": {"zh_CN": "请求无效：{detail}", "en": "Bad request: {detail}"},
        "error.internal": {"zh_CN": "服务器内部错误", "en": "Internal server error"},
        "error.method_not_allowed": {"zh_CN": "不支持该请求方法", "en": "Method not allowed"},
        "error.invalid_credentials": {
            "zh_CN": "工作区、邮箱或密码错误",
            "en": "Wrong workspace, email or password",
        },
        "error.csrf": {"zh_CN": "跨站请求被拒绝", "en": "Cross-site request refused"},
    }
)


_ENTITIES = {
    "resource": ("资源", "Resource"),
    "workspace": ("工作区", "Workspace"),
    "user": ("成员", "User"),
    "role": ("角色", "Role"),
    "skill_group": ("技能组", "Skill group"),
    "api_key": ("API 密钥", "API key"),
    "customer": ("客户", "Customer"),
    "product_line": ("产品线", "Product line"),
    "product": ("商品", "Product"),
    "order": ("订单", "Order"),
    "channel": ("渠道", "Channel"),
    "conversation": ("会话", "Conversation"),
    "message": ("消息", "Message"),
    "event": ("事件", "Event"),
}
register_messages({f"entity.{k}": {"zh_CN": zh, "en": en} for k, (zh, en) in _ENTITIES.items()})
