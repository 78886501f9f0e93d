"""Application errors with a stable code and a translated message."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Raised by services; the transport layer renders it as ``{"error": {...}}`` JSON."""

    status_code = 400
    code = "bad_request"
    message_key = "error.bad_request"

    def __init__(self, message_key: str | None = None, /, **params: Any) -> None:
        self.message_key = message_key or self.message_key
        self.params = params
        super().__init__(f"{self.code}: {self.message_key} {params}")


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message_key = "error.not_found"

    def __init__(self, entity: str, entity_id: object | None = None) -> None:
        super().__init__(entity=entity, id=entity_id)


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message_key = "error.conflict"


class IdempotencyConflict(AppError):
    status_code = 409
    code = "idempotency_conflict"
    message_key = "error.idempotency_conflict"


class Unauthenticated(AppError):
    status_code = 401
    code = "unauthenticated"
    message_key = "error.unauthenticated"


class InvalidCredentials(AppError):
    status_code = 401
    code = "invalid_credentials"
    message_key = "error.invalid_credentials"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    message_key = "error.forbidden"


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"
    message_key = "error.bad_request"
