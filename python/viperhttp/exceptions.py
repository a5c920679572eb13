"""Exceptions a handler raises to choose its response (FastAPI's names and bodies)."""

from .status import phrase


class HTTPException(Exception):
    """Answers with ``status_code`` and ``{"detail": detail}``.

    ``detail`` defaults to the status phrase (``"Not Found"``), as in Starlette; ``headers``
    are added to the response::

        @app.get("/items/{item_id:int}")
        def read_item(item_id):
            if item_id not in items:
                raise HTTPException(404, detail="Item not found", headers={"X-Error": "missing"})
            return items[item_id]
    """

    def __init__(self, status_code, detail=None, headers=None):
        if detail is None:
            detail = phrase(status_code)
        super().__init__(status_code, detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers

    def __repr__(self):
        return "HTTPException(status_code={}, detail={!r})".format(self.status_code, self.detail)


class RequestValidationError(Exception):
    """Raised when request parameters do not validate; answered 422 with FastAPI's body."""

    def __init__(self, errors):
        super().__init__(errors)
        self._errors = errors

    def errors(self):
        return self._errors


class ResponseValidationError(Exception):
    """A return value that does not validate against the route's ``response_model``: a bug
    in the app, answered 500 (as FastAPI) with the errors logged."""

    def __init__(self, errors):
        super().__init__(errors)
        self._errors = errors

    def errors(self):
        return self._errors

    def __str__(self):
        return "{} validation error(s) of the response: {}".format(len(self._errors),
                                                                   self._errors)


class FastAPIError(RuntimeError):
    """A usage error of the framework (FastAPI's name)."""


WebSocketRequestValidationError = RequestValidationError
