"""Kubernetes-shaped API errors.

Every failure the simulated API server reports is an `ApiError`, rendered as a
`Status` object exactly as kube-apiserver renders it, so that clients branch on
the same `code` and `reason` they would see against a real cluster.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A request failed; `status()` is the body the server sends."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        name: str | None = None,
        kind: str | None = None,
        group: str | None = None,
        causes: list[dict[str, str]] | None = None,
        retry_after_seconds: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.kind = kind
        self.group = group
        self.causes = causes
        self.retry_after_seconds = retry_after_seconds

    def status(self) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.name is not None:
            details["name"] = self.name
        if self.group is not None:
            details["group"] = self.group
        if self.kind is not None:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = self.causes
        if self.retry_after_seconds is not None:
            details["retryAfterSeconds"] = self.retry_after_seconds
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            body["details"] = details
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason!r}, {self.message!r})"


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        404, "NotFound", f'{_qualified(resource, group)} "{name}" not found',
        name=name, kind=resource, group=group or None,
    )


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        409, "AlreadyExists", f'{_qualified(resource, group)} "{name}" already exists',
        name=name, kind=resource, group=group or None,
    )


def conflict(resource: str, name: str, detail: str, group: str = "") -> ApiError:
    return ApiError(
        409, "Conflict",
        f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {detail}',
        name=name, kind=resource, group=group or None,
    )


def modified_conflict(resource: str, name: str, group: str = "") -> ApiError:
    return conflict(
        resource, name,
        "the object has been modified; please apply your changes to the latest version and try again",
        group,
    )


def invalid(kind: str, name: str, causes: list[tuple[str, str, str]], group: str = "") -> ApiError:
    """422 Invalid. `causes` are (reason, field, message) triples, as FieldValueInvalid etc."""
    summary = ", ".join(f"{field}: {message}" for _, field, message in causes)
    return ApiError(
        422, "Invalid", f'{kind} "{name}" is invalid: {summary}',
        name=name, kind=kind, group=group or None,
        causes=[{"reason": r, "field": f, "message": m} for r, f, m in causes],
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def gone_expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json; got "{content_type}"')


def not_found_path(path: str) -> ApiError:
    """404 for a URL that names no resource, as kube-apiserver answers unknown paths."""
    return ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
