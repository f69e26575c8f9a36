"""Domain errors raised by services; the web and CLI edges map them to HTTP codes and messages."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class: `str(error)` is a sentence fit to show a user."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    """The action lost a race or targets something already done (HTTP 409)."""


class PermissionDenied(ServiceError):
    pass


class InvalidInput(ServiceError):
    """Bad input; `field_errors` maps each field to every problem found with it."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class DeployRejected(ServiceError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) found; nothing was deployed")
        self.problems = problems


class BadSetting(ServiceError):
    """An environment setting with a value Insurflow cannot use; the sentence names it."""


class KeyReused(ServiceError):
    """An idempotency key sent again with a different request (HTTP 422): answering with the
    first request's result would hide that the second one was never carried out."""
