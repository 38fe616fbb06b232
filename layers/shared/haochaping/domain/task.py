"""A follow-up task 回访核实任务 as it is recorded: its state, its audit trail 操作记录 and the
escalation 督办 steps taken on it.

The rules that move a task (domain.followup) and that escalate it (domain.escalation) both work
on what is here; neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class TaskState(StrEnum):
    VERIFYING = "verifying"  # 回访核实
    RESOLVED_ON_SPOT = "resolved_on_spot"  # 当场解决
    RECTIFYING = "rectifying"  # 整改中
    RECTIFIED = "rectified"  # 已整改
    EXPLAINED = "explained"  # 无法解决·已解释
    PROPOSED_NOT_ADOPTED = "proposed_not_adopted"  # 拟不予采纳
    NOT_ADOPTED = "not_adopted"  # 不予采纳
    FEEDBACK_GIVEN = "feedback_given"  # 已反馈
    CALLED_BACK = "called_back"  # 已回访
    CLOSED = "closed"  # 已办结


STATE_NAMES_ZH = {
    TaskState.VERIFYING: "回访核实中",
    TaskState.RESOLVED_ON_SPOT: "已当场解决",
    TaskState.RECTIFYING: "整改中",
    TaskState.RECTIFIED: "已整改",
    TaskState.EXPLAINED: "无法解决，已解释",
    TaskState.PROPOSED_NOT_ADOPTED: "拟不予采纳，待审核",
    TaskState.NOT_ADOPTED: "不予采纳",
    TaskState.FEEDBACK_GIVEN: "已反馈",
    TaskState.CALLED_BACK: "已回访",
    TaskState.CLOSED: "已办结",
}


class Verdict(StrEnum):
    """The citizen's verdict on the fix 回访整改满意度."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


class NotAdoptedReason(StrEnum):
    MISTAKEN = "mistaken"  # 误评
    MALICIOUS = "malicious"  # 恶意差评


class AttemptOutcome(StrEnum):
    """Why a call-back attempt 回访 did not reach a verdict."""

    NO_ANSWER = "no_answer"  # 无人接听或占线
    UNAVAILABLE = "unavailable"  # 关机、停机或无法接通
    REFUSED = "refused"  # 接通，但评价人拒绝回访


@dataclass(frozen=True, slots=True)
class CallBackAttempt:
    """An unsuccessful call-back attempt after the fix: when, by whom, what happened."""

    at: datetime
    by: str
    outcome: AttemptOutcome


class DeadlineKind(StrEnum):
    FIRST_CONTACT = "first_contact"  # 首次联系时限: until the citizen was contacted
    RECTIFICATION = "rectification"  # 整改时限: until the task closes


DEADLINE_NAMES_ZH = {DeadlineKind.FIRST_CONTACT: "联系时限", DeadlineKind.RECTIFICATION: "整改时限"}


class Rung(StrEnum):
    """The rungs of the ladder, in order; the level is how high the task has climbed."""

    REMINDER = "reminder"  # 到期提醒
    HALL_SUPERVISOR = "hall_supervisor"  # 大厅督办
    DISTRICT_BUREAU = "district_bureau"  # 区局督办
    CITY = "city"  # 市级督办

    @property
    def level(self) -> int:
        return list(Rung).index(self)

    @property
    def name_zh(self) -> str:
        return RUNG_NAMES_ZH[self]

    @property
    def overdue(self) -> bool:
        return self != Rung.REMINDER


RUNG_NAMES_ZH = {
    Rung.REMINDER: "到期提醒",
    Rung.HALL_SUPERVISOR: "大厅督办",
    Rung.DISTRICT_BUREAU: "区局督办",
    Rung.CITY: "市级督办",
}


@dataclass(frozen=True, slots=True)
class Step:
    """One rung of one deadline's ladder, and when it is reached."""

    deadline: DeadlineKind
    due_at: datetime  # the deadline it belongs to
    rung: Rung
    at: datetime
    provisional: bool = False

    @property
    def key(self) -> str:
        """Names the step across the sweep, the queue and the task: deadline, due time, rung."""
        return f"{self.deadline.value}|{self.due_at.astimezone(UTC).isoformat()}|{self.rung.value}"


@dataclass(frozen=True, slots=True)
class Escalation:
    """A step taken: recorded on the task once, with when it happened."""

    key: str
    deadline: DeadlineKind
    due_at: datetime
    rung: Rung
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the task's trail: who, in which role, when, from and to, and why.

    ``reason`` holds only what a person wrote; what a move chose or the system decided (a reason
    for not adopting, a verdict, the deadline an escalation step belongs to) is kept as codes in
    ``codes``, so that every reader names them in their own language.
    """

    sequence: int
    actor: str
    role: str
    at: datetime
    action: str
    from_state: str
    to_state: str
    reason: str = ""
    codes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Task:
    tracking_code: str
    division_code: str
    hall_code: str
    window_code: str
    rated_staff: str | None  # never the one who follows up, nor sees the task
    real_name: bool
    state: TaskState
    # Counts people's moves only: a form opened before the system took an escalation step or
    # counted the deadlines again stays valid. What keeps those writes from crossing is the
    # audit trail, whose lines are numbered and each written only if its number is free.
    version: int
    opened_at: datetime
    first_contact_due: datetime
    rectification_due: datetime
    deadlines_provisional: bool = False
    counted_from: datetime | None = None  # when the deadlines started running (the rating; a reopening)
    # The first-contact deadline is met when verification moves on (a contact, or an outcome);
    # whether the citizen was actually reached is only what a recorded contact says.
    contacted_at: datetime | None = None
    contact_recorded_at: datetime | None = None  # the first recorded contact with the citizen 已联系
    level: int | None = None  # what was rated: the bad review's level and tags (None: a task from before)
    tags: tuple[str, ...] = ()
    outcome: TaskState | None = None
    explanation: str = ""  # what was done / why it cannot be solved
    feedback: str = ""  # what the citizen is told 反馈
    verdict: Verdict | None = None
    not_adopted_reason: NotAdoptedReason | None = None
    evidence: str = ""
    proposed_by: str | None = None
    approved_by: str | None = None  # the second person of a not-adopted decision
    # No supervisor of the hall took no part in the decision: the division's supervisors decide the appeal.
    appeal_to_division: bool = False
    appeal: str = ""  # the citizen's appeal text
    appeal_open: bool = False
    appeal_decided: bool = False  # one appeal per decision
    appeal_deadline: datetime | None = None
    called_back: bool = False  # a call-back after the fix recorded the citizen's verdict 已回访
    # Unsuccessful call-back attempts since the last fix, and whether they are enough to close
    # without a verdict (marked unreachable 多次回访未果).
    call_back_attempts: tuple[CallBackAttempt, ...] = ()
    unreachable: bool = False
    reopenings: int = 0  # times a 不满意 verdict sent the task back to rectification
    closed_at: datetime | None = None
    rating_void: bool = False  # not adopted: kept, but excluded from every score
    escalations: tuple[Escalation, ...] = ()  # 督办 steps taken, oldest first
    audit: tuple[AuditEntry, ...] = field(default_factory=tuple)
    # Whom the task's notices are addressed to, by job number: never the staff member rated.
    officers: tuple[str, ...] = ()
    # What has been told: a notice goes out until the task records that it went.
    officers_notified_at: datetime | None = None
    notified_step: str | None = None  # the last escalation step whose notice went out
    # The one officer responsible for the task 专人 (谁办理、谁负责), by job number: one of `officers`
    # who claimed it, or whom a supervisor assigned it to; None until then.
    holder: str | None = None

    @property
    def open(self) -> bool:
        return self.state != TaskState.CLOSED


@dataclass(frozen=True, slots=True)
class Report:
    """A not-adopted decision reported 通报 to the same-level management office; never the evaluator."""

    division_code: str
    tracking_code: str
    hall_code: str
    window_code: str
    reason: str
    evidence: str
    proposed_by: str
    approved_by: str
    decided_at: datetime
    # Who may read it follows the task: never the staff member rated, and the division's
    # supervisors when the appeal is theirs to decide.
    rated_staff: str | None = None
    appeal_to_division: bool = False


@dataclass(frozen=True, slots=True)
class TaskChange:
    """A task as a move leaves it, with what follows from the move in the same write."""

    task: Task
    step_ahead: Step | None  # the next escalation step, or None: nothing more to escalate
    rating_void: bool | None = None  # True: not adopted 不予采纳; False: restored on appeal
    report: Report | None = None
    purge_personal_data_at: datetime | None = None  # closed: when the evaluator's data goes
    keep_personal_data: bool = False  # reopened: the removal date set at the close no longer holds
