"""Exception classes, their HTTP status, and the one error body every failure uses (server/web/replies.py sends it).

>>> error_body(QueryError("bad", where="line 1, column 5"))
{'status': 400, 'error': 'Bad Request', 'message': 'bad', 'where': 'line 1, column 5'}
"""

from __future__ import annotations

from http import HTTPStatus


class RakgError(Exception):
    """Base class: a failure with a message, a location and an HTTP status."""

    status = 500

    def __init__(self, message: str, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def __reduce__(self):
        # Errors cross process boundaries (query workers); keep message and where.
        return (self.__class__, (self.message, self.where))


class DataError(RakgError):
    """A source file cannot be read or parsed."""

    status = 422


class ValidationFailed(RakgError):
    """The graph violates the shapes, the quote check or the ontology."""

    status = 422

    def __init__(self, message: str, problems: list | None = None, where: str | None = None):
        super().__init__(message, where)
        self.problems = problems or []

    def __reduce__(self):
        return (self.__class__, (self.message, self.problems, self.where))


class QueryError(RakgError):
    """The request is malformed (SPARQL syntax, parameters)."""

    status = 400


class NotAcceptable(RakgError):
    status = 406


class UnsupportedMediaType(RakgError):
    status = 415


class Forbidden(RakgError):
    status = 403


class NotFound(RakgError):
    status = 404


class MethodNotAllowed(RakgError):
    status = 405


class PayloadTooLarge(RakgError):
    status = 413


class QueryTimeout(RakgError):
    status = 503


class BadGateway(RakgError):
    """A SERVICE endpoint failed or could not be reached (nothing more is said: no port scans through us)."""

    status = 502


class GatewayTimeout(RakgError):
    """A SERVICE endpoint did not answer in time."""

    status = 504


class ResourceLimit(RakgError):
    """A query was stopped at a limit other than time (the memory a query worker may use)."""

    status = 503


class TooManyRequests(RakgError):
    """A client used up its query budget or runs too many queries at once; carries the seconds to wait (Retry-After)."""

    status = 429

    def __init__(self, message: str, where: str | None = None, retry_after: int = 60):
        super().__init__(message, where)
        self.retry_after = retry_after

    def __reduce__(self):
        return (self.__class__, (self.message, self.where, self.retry_after))


class ServerBusy(TooManyRequests):
    """No query worker is free for this request; carries the seconds to wait (Retry-After)."""

    status = 503


class ConfigError(RakgError):
    """A setting has an invalid value."""

    status = 500


def error_body(error: RakgError) -> dict:
    """Return the JSON body for an error: status, error (the HTTP reason), message and where."""
    return {
        "status": error.status,
        "error": HTTPStatus(error.status).phrase,
        "message": error.message,
        "where": error.where,
    }
