"""What a citizen submits when they rate (the request body of POST /ratings)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from haochaping.domain.rating import COMMENT_MAX_LENGTH, Channel

TagCode = Annotated[str, Field(pattern=r"^[1-5]\d{2}$", description="评价内容 tag code: level digit + index")]


class RatingSubmission(BaseModel):
    """One rating as submitted 评价提交."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    window_code: str = Field(pattern=r"^[A-Za-z0-9-]{1,40}$", description="window 窗口 code from the QR plate")
    level: int = Field(ge=1, le=5, description="satisfaction level 满意度, 5 = 非常满意 … 1 = 非常不满意")
    tags: list[TagCode] = Field(default_factory=list, max_length=10, description="评价内容 tag codes")
    comment: str = Field(default="", max_length=COMMENT_MAX_LENGTH, description="文字评价, free text")
    channel: Channel = Field(default=Channel.QR, description="channel 评价渠道")
    submission_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="client-generated id; the same id again returns the same rating",
    )


class RatingReceipt(BaseModel):
    """What the citizen gets back: the tracking code and what was recorded."""

    tracking_code: str
    level: int
    level_name: str
    window_code: str
    rated_at: str = Field(description="time of the rating, Asia/Shanghai, ISO 8601")
    bad_review: bool
