"""Routes of the citizen's rating: POST /ratings."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from haochaping import services
from haochaping.domain.submission import RatingReceipt, RatingSubmission
from haochaping.observability import logger, metrics
from haochaping.settings import get_settings

router = Router()


@router.post(
    "/ratings",
    summary="Submit a rating 提交评价",
    responses={
        201: {"description": "Rating recorded", "content": {"application/json": {"model": RatingReceipt}}},
        200: {"description": "The same submission again: the rating already recorded"},
        400: {"description": "Malformed JSON"},
        413: {"description": "Body over 16 KB"},
        415: {"description": "Unsupported content type"},
        422: {"description": "Invalid fields, each named"},
    },
)
def post_rating(submission: RatingSubmission) -> Response[RatingReceipt]:
    receipt, created = services.submit_rating(submission, get_settings())
    if created:
        metrics.add_metric(name="RatingsSubmitted", unit="Count", value=1)
    logger.info(
        "rating recorded" if created else "rating resubmitted",
        extra={"tracking_code": receipt.tracking_code, "rating_level": receipt.level},
    )
    return Response(
        status_code=HTTPStatus.CREATED if created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=receipt.model_dump(),
    )
