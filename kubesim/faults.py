"""Fault injection for tests: errors, throttling and slow answers on chosen requests.

Rules match by HTTP method and a regular expression on the path, fire a given
number of times (or forever), and are consulted by the API server before it
handles a request. Dropping watch streams and compaction act on the store
directly (`Store.watchers`, `Store.compact`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import errors

_REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
    410: "Expired", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
    503: "ServiceUnavailable", 504: "Timeout",
}
_MESSAGES = {
    409: "the object has been modified; please apply your changes to the latest version and try again",
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected by kubesim",
    503: "the server is currently unable to handle the request",
}


@dataclass
class Rule:
    method: str | None
    path: re.Pattern[str] | None
    times: int | None  # None: until cleared
    code: int | None = None
    retry_after: int | None = None
    delay: float = 0.0
    fired: int = field(default=0)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path is None or self.path.search(path) is not None


class Faults:
    def __init__(self) -> None:
        self._rules: list[Rule] = []

    def inject_error(self, code: int, *, method: str | None = None, path: str | None = None,
                     times: int | None = 1, retry_after: int | None = None) -> Rule:
        """Answer matching requests with `code` (409, 429, 500, 503, ...) instead of handling them."""
        if code == 429 and retry_after is None:
            retry_after = 1
        rule = Rule(method.upper() if method else None, re.compile(path) if path else None, times,
                    code=code, retry_after=retry_after)
        self._rules.append(rule)
        return rule

    def slow(self, seconds: float, *, method: str | None = None, path: str | None = None,
             times: int | None = None) -> Rule:
        """Delay matching requests by `seconds` before handling them."""
        rule = Rule(method.upper() if method else None, re.compile(path) if path else None, times,
                    delay=seconds)
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        self._rules.clear()

    def check(self, method: str, path: str) -> tuple[float, errors.ApiError | None]:
        """The delay to apply and the error to answer with, if any, for one request."""
        delay = 0.0
        failure: errors.ApiError | None = None
        for rule in list(self._rules):
            if not rule.matches(method, path):
                continue
            if rule.code is not None and failure is not None:
                continue
            rule.fired += 1
            if rule.times is not None and rule.fired >= rule.times:
                self._rules.remove(rule)
            delay += rule.delay
            if rule.code is not None:
                failure = errors.ApiError(
                    rule.code, _REASONS.get(rule.code, "Unknown"),
                    _MESSAGES.get(rule.code, f"injected failure {rule.code}"),
                    retry_after_seconds=rule.retry_after,
                )
        return delay, failure
