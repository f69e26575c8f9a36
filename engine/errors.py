"""Errors the engine facade raises; the service layer maps them to domain errors."""


class EngineError(Exception):
    """Base class for engine failures."""


class TaskNotReady(EngineError):
    """The task is not an open user task (already done, cancelled or unknown)."""


class EngineInvariantError(EngineError):
    """The engine reached a state that would silently lose work; refuse to save it."""


class NotWaitingForMessage(EngineError):
    """No part of the case waits for a message of that name right now."""
