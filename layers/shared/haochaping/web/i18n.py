"""The words of the citizen's pages, in Chinese (default) and English."""

from __future__ import annotations

from haochaping.domain.rating import Level
from haochaping.domain.task import STATE_NAMES_ZH, TaskState, Verdict

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "服务评价",
        "heading": "请为本次服务评价",
        "hall": "大厅",
        "window": "窗口",
        "department": "部门",
        "staff": "工号",
        "voluntary": "评价自愿、免费，您的评价受到保护。",
        "tap_good": "轻触一个表情即可提交。",
        "details_heading": "哪里让您不满意？",
        "tags_legend": "问题（可多选）",
        "comment": "补充说明（选填，最多500字）",
        "callback_legend": "实名回访（选填）",
        "callback_hint": "留下姓名和手机号，回访专员将联系您核实并反馈整改结果。仅回访专员可见。",
        "name": "姓名",
        "phone": "手机号",
        "consent": "我同意回访专员就本次评价与我联系",
        "submit": "提交评价",
        "change_level": "重新选择",
        "switch": "English",
        "receipt_title": "评价已提交",
        "thanks": "感谢您的评价！",
        "tracking_code": "查询码",
        "keep_code": "请保存查询码，可凭此查看差评的处理进展。",
        "rated": "评价",
        "time": "时间",
        "status": "处理进展",
        "status_received": "已受理，回访专员将在规定时限内联系核实。",
        "status_good": "无需处理。",
        "status_held": "已收到。同一来源对该窗口的评价较多，本条评价待工作人员核实后计入；差评核实后进入回访。",
        "status_rejected": "经核实为异常的重复评价，不予采纳。",
        "follow_up_rating": "追评",
        "error_title": "无法提交",
        "back": "返回",
        "retry_after": "请在 {minutes} 分钟后再评价此窗口。",
        "not_found": "未找到该窗口或评价。",
        "forbidden": "二维码无效或已过期，请扫描窗口的评价二维码。",
        "field_problem": "请检查：",
        "state": "办理状态",
        "outcome": "处理结果",
        "feedback": "反馈",
        "verdict": "您对整改的评价",
        "verdict_legend": "您对整改结果是否满意？",
        "send_verdict": "提交整改评价",
        "appeal_label": "对不予采纳的决定有异议？请说明理由（申诉复核）",
        "send_appeal": "提交申诉",
        "keep_link": "请收藏或保存本页链接：凭此链接可对整改结果评价或提出申诉。"
        "查询码只能查看进展，工作人员也能看到查询码。",
        "key_needed": "如需评价整改结果或提出申诉，请打开评价后收到的链接（含密钥）。",
        "error_citizen_key_refused": "链接中的密钥不正确，请打开评价后收到的完整链接。",
        "error_device_evidence_required": "请用手机扫描窗口的评价二维码，在打开的评价页中评价（需允许 Cookie）。",
        "error_too_many_wrong_keys": "密钥错误次数过多，请稍后再试。",
    },
    "en": {
        "html_lang": "en",
        "title": "Rate this service",
        "heading": "How was your service today?",
        "hall": "Hall",
        "window": "Window",
        "department": "Department",
        "staff": "Staff no.",
        "voluntary": "Rating is voluntary and free, and you are protected.",
        "tap_good": "Tap a face to send your rating.",
        "details_heading": "What went wrong?",
        "tags_legend": "Problems (choose any)",
        "comment": "Anything else (optional, up to 500 characters)",
        "callback_legend": "Call me back (optional)",
        "callback_hint": "Leave your name and mobile number and a follow-up officer will call you. "
        "Only that officer sees them.",
        "name": "Name",
        "phone": "Mobile number",
        "consent": "I agree to be contacted about this rating",
        "submit": "Send rating",
        "change_level": "Choose again",
        "switch": "中文",
        "receipt_title": "Rating received",
        "thanks": "Thank you for your rating!",
        "tracking_code": "Tracking code",
        "keep_code": "Keep this code to see what happens to a bad review.",
        "rated": "Rating",
        "time": "Time",
        "status": "Follow-up",
        "status_received": "Received: a follow-up officer will contact you within the time limit.",
        "status_good": "Nothing to follow up.",
        "status_held": "Received. This window had many ratings from the same source, so this one is held "
        "until staff check it; then it counts, and a bad review is followed up.",
        "status_rejected": "Checked and found to be one of many repeated ratings: not counted.",
        "follow_up_rating": "follow-up rating",
        "error_title": "Could not send",
        "back": "Back",
        "retry_after": "Please wait {minutes} minutes before rating this window again.",
        "not_found": "No such window or rating.",
        "forbidden": "This QR code is not valid or has expired; scan the plate at the window.",
        "field_problem": "Please check:",
        "state": "Progress",
        "outcome": "What was done",
        "feedback": "Reply",
        "verdict": "Your verdict on the fix",
        "verdict_legend": "Are you satisfied with how it was fixed?",
        "send_verdict": "Send verdict",
        "appeal_label": "Disagree with the decision not to count your review? Say why (appeal)",
        "send_appeal": "Send appeal",
        "keep_link": "Bookmark or save this page's link: it lets you rate the fix or appeal. "
        "The tracking code only shows progress, and staff see it too.",
        "key_needed": "To rate the fix or appeal, open the link you got when you rated (it carries your key).",
        "error_citizen_key_refused": "The key in this link is not right: open the whole link you got when you rated.",
        "error_device_evidence_required": "Scan the window's QR code and rate on the page it opens "
        "(cookies must be allowed).",
        "error_too_many_wrong_keys": "Too many wrong keys: please try again later.",
    },
}

LEVEL_NAMES = {
    "zh": {
        Level.VERY_SATISFIED: "非常满意",
        Level.SATISFIED: "满意",
        Level.BASICALLY_SATISFIED: "基本满意",
        Level.DISSATISFIED: "不满意",
        Level.VERY_DISSATISFIED: "非常不满意",
    },
    "en": {
        Level.VERY_SATISFIED: "Very satisfied",
        Level.SATISFIED: "Satisfied",
        Level.BASICALLY_SATISFIED: "Basically satisfied",
        Level.DISSATISFIED: "Dissatisfied",
        Level.VERY_DISSATISFIED: "Very dissatisfied",
    },
}

FIELD_NAMES = {
    "zh": {
        "window_code": "窗口",
        "level": "满意度",
        "tags": "问题标签",
        "comment": "补充说明",
        "evaluator.name": "姓名",
        "evaluator.phone": "手机号（11位大陆手机号）",
        "evaluator.consent": "回访同意",
        "case_no": "办件编号",
        "submission_id": "表单",
        "channel": "渠道",
    },
    "en": {},
}


def language(value: str | None) -> str:
    return value if value in LANGUAGES else "zh"


# The citizen's words for where their review stands: the staff's names, except where a citizen
# needs to hear it otherwise (a proposal is "under review"; after the reply they are asked to rate).
STATE_NAMES = {
    "zh": {
        **STATE_NAMES_ZH,
        TaskState.PROPOSED_NOT_ADOPTED: "审核中",
        TaskState.FEEDBACK_GIVEN: "已反馈，请评价整改结果",
    },
    "en": {
        TaskState.VERIFYING: "Being verified",
        TaskState.RESOLVED_ON_SPOT: "Resolved on the spot",
        TaskState.RECTIFYING: "Being rectified",
        TaskState.RECTIFIED: "Rectified",
        TaskState.EXPLAINED: "Cannot be solved: explained",
        TaskState.PROPOSED_NOT_ADOPTED: "Under review",
        TaskState.NOT_ADOPTED: "Not adopted",
        TaskState.FEEDBACK_GIVEN: "Replied: please rate the fix",
        TaskState.CALLED_BACK: "Called back",
        TaskState.CLOSED: "Closed",
    },
}

VERDICT_NAMES = {
    "zh": {Verdict.SATISFIED: "满意", Verdict.BASICALLY_SATISFIED: "基本满意", Verdict.DISSATISFIED: "不满意"},
    "en": {
        Verdict.SATISFIED: "Satisfied",
        Verdict.BASICALLY_SATISFIED: "Basically satisfied",
        Verdict.DISSATISFIED: "Dissatisfied",
    },
}
