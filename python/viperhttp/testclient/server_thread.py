"""The app's real server on a background thread with its own asyncio loop, for the
TestClient: ``Server(app, config, install_signals=False, on_error=...)``, the same server
``app.run()`` runs, bound to 127.0.0.1 on a free port."""

import time
from .. import _compat
from ..options import validate_options

try:
    import _thread
except ImportError:  # a MicroPython build without threads
    _thread = None

START_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0
_mp_running = False  # MicroPython: a TestClient server is running (one at a time)


class ServerThread:
    """The app's server on a background thread with its own asyncio loop."""

    def __init__(self, app, options):
        self.app = app
        self.options = options
        self.server = None
        self.loop = None
        self.port = None
        self.error = None
        self.errors = []  # unhandled handler exceptions, for raise_server_exceptions
        self.done = None
        self.running = False
        self.ident = None

    def start(self):
        if _thread is None:
            raise RuntimeError("TestClient needs threads (_thread)")
        global _mp_running
        if _compat.MICROPYTHON and _mp_running:
            raise RuntimeError("MicroPython: one TestClient server at a time (asyncio's state "
                               "is shared by all threads); close the other client first")
        options = dict(self.options)
        options.setdefault("access_log", False)
        options.setdefault("log_level", "warning")
        self.config = validate_options("127.0.0.1", 0, options)
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.ready = _thread.allocate_lock()
        self.ready.acquire()
        if _compat.MICROPYTHON:
            _mp_running = True
        _thread.start_new_thread(self._main, ())
        if not self.ready.acquire(1, START_TIMEOUT):
            raise RuntimeError("the test server did not start within {} s".format(START_TIMEOUT))
        if self.error is not None:
            self._join()
            err, self.error = self.error, None
            raise err
        self.running = True

    def _main(self):
        global _mp_running
        done = self.done
        self.ident = _thread.get_ident()
        try:
            _compat.asyncio.run(self._serve())
        except BaseException as exc:
            self.error = exc
        finally:
            if _compat.MICROPYTHON:
                _mp_running = False
            self.running = False
            self.loop = None
            try:
                self.ready.release()  # if startup failed
            except RuntimeError:
                pass
            done.release()

    async def _serve(self):
        # The server module needs the native engine: imported when a server starts, so that
        # the client's other modules import without it.
        from ..server import Server

        asyncio = _compat.asyncio
        # SIGINT/SIGTERM interrupt the tests, not this server (on MicroPython serve() would
        # install a C handler for them); the exceptions answered 500 are kept for the client.
        self.server = server = Server(self.app, self.config, install_signals=False,
                                      on_error=self.errors.append)
        server.pipeline.track = True  # see wait_idle
        server.test_client = True  # request.client is ("testclient", 50000), as Starlette
        # MicroPython's asyncio has no call_soon_threadsafe: stop() calls the engine directly.
        self.loop = None if _compat.MICROPYTHON else asyncio.get_running_loop()
        task = asyncio.create_task(server.serve())
        try:
            # serve() starts the engine (and binds the port) before it first waits.
            while not task.done() and not (server.port and server.engine.running()):
                await asyncio.sleep(0.001)
            if not task.done():
                self.port = server.port
                self.ready.release()
        finally:
            await task

    def wait_idle(self, timeout):
        """Waits (up to ``timeout`` seconds) until the server has finished every request it
        started — dependency cleanup and background tasks included — so that a client call
        returns after its background tasks, as with Starlette's TestClient."""
        server = self.server
        if server is None or _thread is None or _thread.get_ident() == self.ident:
            return
        pipeline = server.pipeline
        waited = 0.0
        while pipeline.active and self.running and waited < timeout:
            time.sleep(0.0005)
            waited += 0.0005

    def stop(self):
        if not self.running and self.done is None:
            return
        loop, server = self.loop, self.server
        if loop is not None and server is not None:
            try:
                loop.call_soon_threadsafe(server.request_stop)
            except RuntimeError:  # the loop already closed
                pass
        elif server is not None and self.running:
            server.request_stop()
        self._join()
        self.running = False
        if self.error is not None:
            err, self.error = self.error, None
            raise err

    def _join(self):
        done, self.done = self.done, None
        if done is not None:
            if not done.acquire(1, STOP_TIMEOUT):
                raise RuntimeError("the test server did not stop within {} s".format(
                    STOP_TIMEOUT))
            done.release()
