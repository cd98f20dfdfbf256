"""P5: whole responses of the busiest portal pages kept for a few seconds (a micro-cache, as a caching
proxy would keep them), in each server process.

A view opts in with ``@cached_page``.  The cache sits in front of the Flask app (WSGI), so a hit costs
about what a bare hello app costs.  A response is kept under everything in the request a page can depend on
— host, path and query, the Cookie and Accept-Language headers — so two visitors never share an entry
unless they send the same cookies (the anonymous visitor sends none), and the language chosen is part of
the key.  It is kept only when the view opted in, the status is 200 and the response sets no cookie (a
page that made a CSRF token, popped a flash message or refreshed the session is never kept).

Freshness: changes made by others show within ``PAGE_CACHE_SECONDS``.  A signed-in user's own writes
change the session cookie (``mark_write``), so the pages they open next are never ones kept from before.
``PAGE_CACHE_SECONDS = 0`` turns the cache off (the tests do, but for the tests of the cache).
"""
import functools
import threading
import time
from collections import OrderedDict

from flask import make_response, request, session

MARK = "X-Page-Cache"  # the view's opt-in, read and removed here; never sent to the browser
WRITE_COUNTER = "_w"


def cached_page(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers[MARK] = "1"
        return response

    return wrapped


def mark_write():
    """Before a signed-in user's POST (PUT, DELETE…): their session cookie changes, so the cache's keys do."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        session[WRITE_COUNTER] = session.get(WRITE_COUNTER, 0) + 1


class _Entry:
    __slots__ = ("status", "headers", "body", "expires")

    def __init__(self, status, headers, body, expires):
        self.status, self.headers, self.body, self.expires = status, headers, body, expires


class PageCache:
    """WSGI middleware: ``app.wsgi_app = PageCache(app.wsgi_app, app.config)``."""

    def __init__(self, wsgi_app, config, clock=time.monotonic):
        self.wsgi_app, self.config, self.clock = wsgi_app, config, clock
        self.entries = OrderedDict()
        self.lock = threading.Lock()

    def clear(self):
        with self.lock:
            self.entries.clear()

    def __call__(self, environ, start_response):
        seconds = self.config["PAGE_CACHE_SECONDS"]
        if not seconds or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        key = (environ.get("HTTP_HOST"), environ.get("wsgi.url_scheme"), environ.get("SCRIPT_NAME", ""),
               environ.get("PATH_INFO"), environ.get("QUERY_STRING"), environ.get("HTTP_COOKIE"),
               environ.get("HTTP_ACCEPT_LANGUAGE"))
        now = self.clock()
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None and entry.expires <= now:
                del self.entries[key]
                entry = None
            if entry is not None:
                self.entries.move_to_end(key)
        if entry is not None:
            start_response(entry.status, list(entry.headers))
            return [entry.body]
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["keep"] = (status.startswith("200") and any(name == MARK for name, _v in headers)
                            and not any(name.lower() == "set-cookie" for name, _v in headers))
            headers = [(name, value) for name, value in headers if name != MARK]
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        if not seen.get("keep"):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        if len(data) <= self.config["PAGE_CACHE_MAX_BYTES"]:
            with self.lock:
                self.entries[key] = _Entry(seen["status"], seen["headers"], data, now + seconds)
                while len(self.entries) > self.config["PAGE_CACHE_ENTRIES"]:
                    self.entries.popitem(last=False)
        return [data]


def init_app(app):
    app.wsgi_app = PageCache(app.wsgi_app, app.config)
    app.extensions["page_cache"] = app.wsgi_app
