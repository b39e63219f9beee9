"""Status lines with their standard reason phrases.

Twisted, under daphne, knows no phrase for 422 or 429 and writes "422 Unknown Status";
the API server sends both (Invalid, TooManyRequests), so fill in what Twisted lacks.
"""

from __future__ import annotations

from http import HTTPStatus


def fill_missing() -> None:
    try:
        from twisted.web import http
    except ImportError:  # served by something other than daphne
        return
    for status in HTTPStatus:
        http.RESPONSES.setdefault(status.value, status.phrase.encode())
