"""Page strings of the reports capability (Simplified Chinese first, English)."""

from __future__ import annotations

from liuke.core.i18n import register_messages

_PAIRS: dict[str, tuple[str, str]] = {
    "title": ("管理报告", "Management reports"),
    "subtitle": (
        "投诉预警日报、服务旬报、质量周报与管理月报：网页、PDF、XLSX，定时生成、归档并发送",
        "Daily complaint warnings, ten-day bulletins, weekly quality reports and monthly "
        "management reports: page, PDF and XLSX, generated on schedule, archived and e-mailed",
    ),
    "generate": ("生成报告", "Generate a report"),
    "generate_now": ("立即生成", "Generate now"),
    "kind": ("类型", "Kind"),
    "period": ("统计期", "Period"),
    "period_help": (
        "统计期留空则为最近一个完整周期。格式：",
        "Leave the period empty for the last complete one. Forms:",
    ),
    "default": ("默认", "default"),
    "language": ("语言", "Language"),
    "template_language": ("按模板", "As the template"),
    "templates": ("报告模板", "Report templates"),
    "template_title": ("{name}模板", "{name} template"),
    "sections": ("包含的章节", "Sections"),
    "thresholds": ("阈值", "Thresholds"),
    "notable_change": ("环比变化达到多少才提示（0.1 = 10%）", "Call out changes from (0.1 = 10%)"),
    "top_n": ("排行表行数", "Rows per ranked table"),
    "min_units": ("客服至少多少质检会话才参与比较", "Inspections an agent needs to be compared"),
    "recipients": ("收件人", "Recipients"),
    "recipients_help": ("收件人（每行一个邮箱）", "Recipients (one e-mail address per line)"),
    "schedule": ("定时", "Schedule"),
    "schedule_on": ("按周期自动生成并发送", "Generate and send every period automatically"),
    "send_hour": (
        "周期结束次日几点发送（当地时间 0–23）",
        "Local hour on the day after the period (0–23)",
    ),
    "scheduled_at": ("次日 {hour}:00", "next day at {hour}:00"),
    "not_scheduled": ("未开启", "off"),
    "edit": ("编辑", "Edit"),
    "save": ("保存", "Save"),
    "saved": ("已保存。", "Saved."),
    "archive": ("报告归档", "Archive"),
    "all": ("全部", "All"),
    "report": ("报告", "Report"),
    "status": ("状态", "Status"),
    "generated": ("生成时间", "Generated"),
    "sent": ("已发送", "Sent"),
    "files": ("下载", "Files"),
    "newer": ("较新", "Newer"),
    "older": ("较早", "Older"),
    "none_yet": ("还没有报告。", "No reports yet."),
    "by_schedule": ("定时", "scheduled"),
    "state.ready": ("已生成", "Ready"),
    "state.running": ("生成中", "Running"),
    "state.failed": ("失败", "Failed"),
    "download_pdf": ("下载 PDF", "Download PDF"),
    "download_xlsx": ("下载 XLSX", "Download XLSX"),
    "send": ("发送邮件", "Send by e-mail"),
    "sent_ok": ("已发送给 {n} 位收件人。", "Sent to {n} recipient(s)."),
}

register_messages({f"reports.{k}": {"zh_CN": zh, "en": en} for k, (zh, en) in _PAIRS.items()})
