"""``BackgroundTasks``: work that runs after the response has been handed to the engine.

Declare a parameter named ``background_tasks`` (in a handler or a dependency)::

    @app.post("/notify")
    def notify(email, background_tasks):
        background_tasks.add_task(send_mail, email, subject="hi")
        return {"queued": True}

Tasks run in the order they were added, plain or ``async def``; an exception in one is logged
and the others still run.
"""

import sys

from . import _compat


class BackgroundTasks:
    def __init__(self, tasks=None):
        self.tasks = list(tasks) if tasks else []
        self._async = False

    def add_task(self, func, *args, **kwargs):
        is_async = _compat.is_coroutine_function(func)
        if is_async:
            self._async = True
        self.tasks.append((func, args, kwargs, is_async))

    def run_sync(self):
        """Runs every task (only when none is async)."""
        for func, args, kwargs, _ in self.tasks:
            try:
                func(*args, **kwargs)
            except Exception as exc:
                _report(exc)

    async def run(self):
        for func, args, kwargs, is_async in self.tasks:
            try:
                result = func(*args, **kwargs)
                if is_async:
                    await result
            except Exception as exc:
                _report(exc)


class BackgroundTask(BackgroundTasks):
    """One task, for ``Response(..., background=BackgroundTask(fn, *args, **kwargs))``: it runs
    after that response has been handed to the engine."""

    def __init__(self, func, *args, **kwargs):
        BackgroundTasks.__init__(self)
        self.add_task(func, *args, **kwargs)


def _report(exc):
    _compat.write_line(sys.stderr, "ERROR:    Exception in background task")
    _compat.print_exception(exc)
