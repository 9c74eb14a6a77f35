"""Exception classes, their HTTP status, and the one error body every failure uses.

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


class DataError(RakgError):
    """A source file cannot be read or parsed."""

    status = 422


class ValidationFailed(RakgError):
    """The graph violates the shapes, the quote check or the ontology."""

    status = 422

    def __init__(self, message: str, problems: list | None = None, where: str | None = None):
        super().__init__(message, where)
        self.problems = problems or []


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
