"""Typed domain errors; the HTTP layer maps each class to one status code."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class InvalidFields(DomainError):
    """Fields that are well-formed but break a rule (e.g. a tag of another level)."""

    code = "invalid_fields"

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("some fields are invalid: " + ", ".join(problems))
        self.problems = problems


class TooManyRequests(DomainError):
    code = "too_many_requests"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)
