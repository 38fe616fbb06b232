"""The words of the citizen's pages, in Chinese (default) and English."""

from __future__ import annotations

from haochaping.domain.rating import Level
from haochaping.domain.task import Verdict

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "colon": "：",
        "sep": "",
        "title": "服务评价",
        "heading": "请为本次服务评价",
        "hall": "大厅",
        "window": "窗口",
        "department": "部门",
        "staff": "工号",
        "voluntary": "评价自愿、免费，您的评价受到保护。",
        "tap_good": "轻触一个表情即可评价。",
        "details_note": "问题和补充说明均为选填，填好后请点“提交评价”。",
        "retype_personal": "为保护您的个人信息，刚才填写的补充说明、姓名和手机号没有保留，请重新填写。",
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
        "status_title": "评价查询",
        "thanks": "感谢您的评价！",
        "tracking_code": "查询码",
        "keep_code": "请保存查询码。",
        "status_link": "凭查询码随时查看处理进展：",
        "rated": "评价",
        "time": "时间",
        "status": "处理进展",
        "status_good": "好评无需处理，感谢您的支持。",
        "status_held": "已收到。同一来源对该窗口的评价较多，本条评价待工作人员核实后计入；差评核实后进入回访。",
        "status_rejected": "经核实为异常的重复评价，不予采纳。",
        "follow_up_rating": "追评",
        "error_title": "无法提交",
        "error_title_page": "无法显示",
        "back": "返回",
        "back_to_form": "返回评价页",
        "retry_after": "请在 {minutes} 分钟后再评价此窗口。",
        "not_found": "未找到该窗口或评价。",
        "forbidden": "二维码无效或已过期，请扫描窗口的评价二维码。",
        "field_problem": "请检查：",
        "outcome": "处理情况",
        "feedback": "给您的答复",
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
        "appeal_text": "您的申诉",
        "appeal_result": "申诉复核结果",
        "done_verdict": "已收到您对整改结果的评价：{verdict}。",
        "done_appeal": "您的申诉已提交，将由未参与原决定的督办员复核，结果会显示在本页。",
        "appeal_upheld": "您的申诉已获支持：该差评恢复计入，正在重新核实处理。",
        "due_by": "{day} 24:00 前",
        "due_by_time": "{day} {time} 前",
        "overdue": "已逾期",
        "progress_label": "处理步骤",
        "step_done": "已完成",
        "step_current": "进行中",
        "step_upcoming": "待进行",
        "step_received": "已受理",
        "step_contact": "回访专员联系您核实",
        "step_verify": "核实",
        "step_handle": "整改或答复",
        "step_rectifying": "整改中",
        "step_rectified": "已整改",
        "step_resolved_on_spot": "已当场解决",
        "step_explained": "无法解决，已作解释",
        "step_proposed_not_adopted": "拟不予采纳，审核中",
        "step_not_adopted": "不予采纳（不计入统计）",
        "step_feedback": "答复您",
        "step_verdict": "您评价整改结果",
        "step_appeal": "可申诉",
        "step_appeal_open": "申诉复核中",
        "step_appeal_dismissed": "申诉未获支持",
        "step_appeal_lapsed": "申诉期已过",
        "step_closed": "办结",
        "now_received": "已受理，回访专员将核实您反映的问题。",
        "now_contact_by": "回访专员将在 {day} 24:00 前与您联系核实。",
        "now_verify_by": "回访专员将在 {day} 24:00 前开始核实。",
        "now_verifying": "回访专员正在核实您反映的问题。",
        "now_rectifying": "问题正在整改。",
        "now_outcome": "已处理，回访专员将向您答复。",
        "now_proposed_not_adopted": "回访专员认为这条评价属误评或恶意差评，正在由督办员审核。",
        "now_not_adopted": "经审核，这条评价不予采纳，不计入统计。",
        "now_please_rate": "已答复，请评价整改结果。",
        "now_replied": "已答复，回访专员将回访了解您对整改结果的评价。",
        "now_verdict_given": "已收到您对整改结果的评价，任务即将办结。",
        "now_appeal_open": "您的申诉正在复核。",
        "now_closed": "已办结。",
        "fix_by": "处理期限：{day} 24:00 前办结。",
        "appeal_by": "如有异议，可在 {when}申诉。",
        "error_conflict": "此操作现在无法进行：处理进展已有变化，请返回查看最新进展。",
        "error_stale_version": "处理进展已有变化，请返回查看最新进展。",
        "error_not_found": "未找到该窗口或评价。",
        "error_forbidden": "二维码无效或已过期，请扫描窗口的评价二维码。",
        "error_signature_invalid": "二维码无效，请扫描窗口的评价二维码。",
        "error_ticket_expired": "排队小票已过期，请扫描窗口的评价二维码。",
        "error_malformed_json": "提交的内容无法读取，请返回重新提交。",
        "error_malformed_body": "提交的内容无法读取，请返回重新提交。",
        "error_payload_too_large": "提交的内容太长，请精简后重新提交。",
        "error_unsupported_content_type": "提交的方式不受支持，请通过评价页提交。",
        "error_no_such_route": "没有这个页面。",
        "error_internal_error": "服务暂时出现问题，请稍后再试。",
        "error_client": "请求无法处理，请返回重试。",
        "error_server": "服务暂时不可用，请稍后再试。",
    },
    "en": {
        "html_lang": "en",
        "colon": ": ",
        "sep": " ",
        "title": "Rate this service",
        "heading": "How was your service today?",
        "hall": "Hall",
        "window": "Window",
        "department": "Department",
        "staff": "Staff no.",
        "voluntary": "Rating is voluntary and free, and you are protected.",
        "tap_good": "Tap a face to rate.",
        "details_note": "Both the problems and the note are optional; then press “Send rating”.",
        "retype_personal": "To protect your personal data, the note, name and mobile number you wrote "
        "were not kept: please enter them again.",
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
        "status_title": "Your rating",
        "thanks": "Thank you for your rating!",
        "tracking_code": "Tracking code",
        "keep_code": "Keep this code.",
        "status_link": "See what happens to your review at any time:",
        "rated": "Rating",
        "time": "Time",
        "status": "Follow-up",
        "status_good": "A good review needs no follow-up. Thank you!",
        "status_held": "Received. This window had many ratings from the same source, so this one is held "
        "until staff check it; then it counts, and a bad review is followed up.",
        "status_rejected": "Checked and found to be one of many repeated ratings: not counted.",
        "follow_up_rating": "follow-up rating",
        "error_title": "Could not send",
        "error_title_page": "Cannot show this page",
        "back": "Back",
        "back_to_form": "Back to the rating form",
        "retry_after": "Please wait {minutes} minutes before rating this window again.",
        "not_found": "No such window or rating.",
        "forbidden": "This QR code is not valid or has expired; scan the plate at the window.",
        "field_problem": "Please check:",
        "outcome": "What was done",
        "feedback": "Our reply",
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
        "appeal_text": "Your appeal",
        "appeal_result": "Decision on your appeal",
        "done_verdict": "Your verdict on the fix was received: {verdict}.",
        "done_appeal": "Your appeal was sent. A supervisor who took no part in the decision will review it; "
        "the result will show on this page.",
        "appeal_upheld": "Your appeal was upheld: the review counts again and is being dealt with anew.",
        "due_by": "by 24:00 on {day}",
        "due_by_time": "by {time} on {day}",
        "overdue": "overdue",
        "progress_label": "Steps",
        "step_done": "done",
        "step_current": "in progress",
        "step_upcoming": "to come",
        "step_received": "Received",
        "step_contact": "An officer calls you to verify",
        "step_verify": "Verified",
        "step_handle": "Fixed or answered",
        "step_rectifying": "Being fixed",
        "step_rectified": "Fixed",
        "step_resolved_on_spot": "Resolved on the spot",
        "step_explained": "Cannot be solved: explained",
        "step_proposed_not_adopted": "Proposed not to count: under review",
        "step_not_adopted": "Not counted (not adopted)",
        "step_feedback": "Reply to you",
        "step_verdict": "Your verdict on the fix",
        "step_appeal": "You may appeal",
        "step_appeal_open": "Appeal under review",
        "step_appeal_dismissed": "Appeal dismissed",
        "step_appeal_lapsed": "Appeal period over",
        "step_closed": "Closed",
        "now_received": "Received: a follow-up officer will look into it.",
        "now_contact_by": "A follow-up officer will call you by 24:00 on {day}.",
        "now_verify_by": "A follow-up officer will start looking into it by 24:00 on {day}.",
        "now_verifying": "A follow-up officer is looking into it.",
        "now_rectifying": "The problem is being fixed.",
        "now_outcome": "Dealt with: a follow-up officer will reply to you.",
        "now_proposed_not_adopted": "The officer found this review mistaken or malicious; "
        "a supervisor is reviewing that.",
        "now_not_adopted": "After review, this rating is not adopted and does not count in any score.",
        "now_please_rate": "We replied: please rate the fix.",
        "now_replied": "We replied: an officer will call you back for your verdict on the fix.",
        "now_verdict_given": "Your verdict on the fix was received; the task will be closed.",
        "now_appeal_open": "Your appeal is under review.",
        "now_closed": "Closed.",
        "fix_by": "Deadline: closed by 24:00 on {day}.",
        "appeal_by": "If you disagree, you may appeal {when}.",
        "error_conflict": "This cannot be done now: the follow-up has moved on. Go back to see where it stands.",
        "error_stale_version": "The follow-up has moved on. Go back to see where it stands.",
        "error_not_found": "No such window or rating.",
        "error_forbidden": "This QR code is not valid or has expired; scan the plate at the window.",
        "error_signature_invalid": "This QR code is not valid; scan the plate at the window.",
        "error_ticket_expired": "The queue ticket has expired; scan the plate at the window.",
        "error_malformed_json": "What was sent could not be read. Go back and send it again.",
        "error_malformed_body": "What was sent could not be read. Go back and send it again.",
        "error_payload_too_large": "What was sent is too long. Shorten it and send it again.",
        "error_unsupported_content_type": "This way of sending is not supported: use the rating form.",
        "error_no_such_route": "There is no such page.",
        "error_internal_error": "Something went wrong on our side. Please try again later.",
        "error_client": "This request cannot be handled. Go back and try again.",
        "error_server": "The service is unavailable for now. Please try again later.",
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

# What the pages call each field a request can carry, in words: how an error names it.
FIELD_NAMES = {
    "zh": {
        "window_code": "窗口编号",
        "sig": "二维码",
        "ticket": "排队小票",
        "level": "满意度",
        "tags": "问题",
        "comment": "补充说明",
        "evaluator": "实名回访",
        "evaluator.name": "姓名",
        "evaluator.phone": "手机号",
        "evaluator.consent": "同意回访",
        "case_no": "办件编号",
        "item_code": "事项编码",
        "submission_id": "评价表单",
        "channel": "评价渠道",
        "tracking_code": "查询码",
        "lang": "语言",
        "format": "格式",
        "verdict": "您对整改的评价",
        "text": "申诉理由",
        "body": "提交的内容",
        "body (an unknown field)": "提交的内容",
    },
    "en": {
        "window_code": "Window code",
        "sig": "QR code",
        "ticket": "Queue ticket",
        "level": "Satisfaction",
        "tags": "Problems",
        "comment": "Anything else",
        "evaluator": "Call me back",
        "evaluator.name": "Name",
        "evaluator.phone": "Mobile number",
        "evaluator.consent": "Consent to a call-back",
        "case_no": "Case number",
        "item_code": "Item code",
        "submission_id": "Rating form",
        "channel": "Channel",
        "tracking_code": "Tracking code",
        "lang": "Language",
        "format": "Format",
        "verdict": "Your verdict on the fix",
        "text": "Your reasons",
        "body": "What was sent",
        "body (an unknown field)": "What was sent",
    },
}

# What is wrong with a field, by the field and the kind of problem (pydantic's error type, or
# "invalid" for a rule of the domain): said to the citizen, never the validator's own text.
_CONSENT = {
    "zh": "留下姓名和手机号时，请勾选同意回访；不需要回访，请清空姓名和手机号。",
    "en": "To be called back, tick the box agreeing to it; otherwise leave name and mobile number empty.",
}
_FORM_EXPIRED = {
    "zh": "评价表单已失效，请返回评价页重新评价。",
    "en": "The rating form has expired: go back to the rating form and rate again.",
}
_FACE = {"zh": "请选择一个表情。", "en": "Choose a face."}
_VERDICT = {"zh": "请选择满意、基本满意或不满意。", "en": "Choose satisfied, basically satisfied or dissatisfied."}
FIELD_PROBLEMS: dict[str, dict[tuple[str, str], str]] = {
    lang: {
        ("evaluator.consent", "value_error"): _CONSENT[lang],
        ("evaluator.consent", "missing"): _CONSENT[lang],
        ("evaluator.consent", "bool_parsing"): _CONSENT[lang],
        ("level", "missing"): _FACE[lang],
        ("level", "greater_than_equal"): _FACE[lang],
        ("level", "less_than_equal"): _FACE[lang],
        ("level", "int_parsing"): _FACE[lang],
        ("submission_id", "missing"): _FORM_EXPIRED[lang],
        ("submission_id", "string_pattern_mismatch"): _FORM_EXPIRED[lang],
        ("verdict", "missing"): _VERDICT[lang],
        ("verdict", "enum"): _VERDICT[lang],
        ("verdict", "invalid"): _VERDICT[lang],
        **(
            {
                ("evaluator.phone", "missing"): "留下姓名时，也请填写手机号，以便回访。",
                ("evaluator.phone", "string_pattern_mismatch"): "请填写以1开头的11位手机号。",
                ("evaluator.name", "missing"): "留下手机号时，也请填写姓名。",
                ("evaluator.name", "string_too_short"): "留下手机号时，也请填写姓名。",
                ("evaluator", "invalid"): "只有不满意的评价才需要回访，请清空姓名和手机号。",
                ("tags", "invalid"): "所选问题与所选表情不符，请重新选择。",
                ("tracking_code", "string_pattern_mismatch"): "查询码共12位，由数字2–9和大写字母组成，请核对。",
                ("window_code", "string_pattern_mismatch"): "窗口编号有误，请扫描窗口的评价二维码。",
                ("channel", "invalid"): "此评价页只接受窗口二维码、评价器和自助终端的评价。",
                ("item_code", "invalid"): "该窗口不办理此事项。",
                ("text", "missing"): "请写明理由。",
                ("text", "string_too_short"): "请写明理由。",
                ("text", "invalid"): "请写明理由。",
            }
            if lang == "zh"
            else {
                ("evaluator.phone", "missing"): "With your name, please also give your mobile number.",
                ("evaluator.phone", "string_pattern_mismatch"): "Enter an 11-digit mobile number starting with 1.",
                ("evaluator.name", "missing"): "With your mobile number, please also give your name.",
                ("evaluator.name", "string_too_short"): "With your mobile number, please also give your name.",
                ("evaluator", "invalid"): "A call-back is offered for bad reviews only: "
                "leave name and mobile number empty.",
                ("tags", "invalid"): "The problems chosen do not match the face you chose: choose again.",
                ("tracking_code", "string_pattern_mismatch"): "A tracking code has 12 characters, "
                "digits 2–9 and capital letters: check it.",
                ("window_code", "string_pattern_mismatch"): "The window code is wrong: scan the plate at the window.",
                ("channel", "invalid"): "This form takes ratings from window plates, rating pads and kiosks only.",
                ("item_code", "invalid"): "This window does not serve that item.",
                ("text", "missing"): "Please say why.",
                ("text", "string_too_short"): "Please say why.",
                ("text", "invalid"): "Please say why.",
            }
        ),
    }
    for lang in ("zh", "en")
}

# The kind of problem alone, for any field without words of its own above.
PROBLEMS: dict[str, dict[str, str]] = {
    "zh": {
        "missing": "必须填写",
        "string_too_long": "内容太长",
        "too_long": "太多了",
        "string_too_short": "不能为空",
        "string_pattern_mismatch": "格式不正确",
        "int_parsing": "应为数字",
        "int_type": "应为数字",
        "int_from_float": "应为整数",
        "greater_than_equal": "超出允许的范围",
        "less_than_equal": "超出允许的范围",
        "bool_parsing": "应为是或否",
        "bool_type": "应为是或否",
        "enum": "不是可选的值",
        "literal_error": "不是可选的值",
        "extra_forbidden": "不属于此表单",
        "invalid": "不符合要求",
    },
    "en": {
        "missing": "required",
        "string_too_long": "too long",
        "too_long": "too many",
        "string_too_short": "cannot be empty",
        "string_pattern_mismatch": "not in the right form",
        "int_parsing": "must be a number",
        "int_type": "must be a number",
        "int_from_float": "must be a whole number",
        "greater_than_equal": "out of range",
        "less_than_equal": "out of range",
        "bool_parsing": "must be yes or no",
        "bool_type": "must be yes or no",
        "enum": "not one of the choices",
        "literal_error": "not one of the choices",
        "extra_forbidden": "not part of this form",
        "invalid": "not accepted",
    },
}


def field_name(lang: str, field: str) -> str:
    """A field's name in words; "tags.1", the second tag, is named as the tags are."""
    names = FIELD_NAMES[lang]
    return names.get(field) or names.get(field.split(".")[0]) or names["body"]


def field_problem(lang: str, field: str, kind: str) -> str:
    """What is wrong with the field, in the page's language."""
    base = field.split(".")[0] if field.split(".")[-1].isdigit() else field
    return (
        FIELD_PROBLEMS[lang].get((field, kind))
        or FIELD_PROBLEMS[lang].get((base, kind))
        or PROBLEMS[lang].get(kind)
        or PROBLEMS[lang]["invalid"]
    )


def error_message(lang: str, code: str, status: int) -> str:
    """A refusal's message in the page's language, by its code; a status's own words otherwise."""
    text = TEXT[lang]
    return text.get(f"error_{code}") or text["error_server" if status >= 500 else "error_client"]


def language(value: str | None) -> str:
    return value if value in LANGUAGES else "zh"


VERDICT_NAMES = {
    "zh": {Verdict.SATISFIED: "满意", Verdict.BASICALLY_SATISFIED: "基本满意", Verdict.DISSATISFIED: "不满意"},
    "en": {
        Verdict.SATISFIED: "Satisfied",
        Verdict.BASICALLY_SATISFIED: "Basically satisfied",
        Verdict.DISSATISFIED: "Dissatisfied",
    },
}
