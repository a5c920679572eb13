"""HTTPException (detail types, headers), exception handlers for custom classes, for
HTTPException and for RequestValidationError."""

from . import path, responses


def make_app(fw):
    app = fw.FastAPI()
    R = responses(fw)
    if fw.__name__ == "fastapi":
        from fastapi.exceptions import RequestValidationError
    else:
        from viperhttp.exceptions import RequestValidationError

    class SensorOffline(Exception):
        pass

    class DeepSensorOffline(SensorOffline):
        pass

    @app.exception_handler(SensorOffline)
    def sensor_offline(request, exc):
        return R.JSONResponse({"sensor": str(exc), "path": request.url.path}, status_code=503)

    @app.exception_handler(RequestValidationError)
    def bad_request(request, exc):
        return R.JSONResponse({"errors": len(exc.errors()),
                               "locs": [list(e["loc"]) for e in exc.errors()]},
                              status_code=400)

    @app.get(path(fw, "/items/{item_id:int}"))
    def item(item_id: int):
        if item_id != 1:
            raise fw.HTTPException(status_code=404, detail="Item not found",
                                   headers={"X-Error": "missing"})
        return {"id": 1}

    @app.get("/private")
    def private():
        raise fw.HTTPException(status_code=401, detail="Not authenticated",
                               headers={"WWW-Authenticate": "Bearer"})

    @app.get("/teapot")
    def teapot():
        raise fw.HTTPException(status_code=418)

    @app.get("/structured")
    def structured():
        raise fw.HTTPException(status_code=409, detail={"code": 7, "why": ["a", "b"]})

    @app.get(path(fw, "/sensors/{name:str}"))
    def sensor(name: str):
        if name == "deep":
            raise DeepSensorOffline(name)
        raise SensorOffline(name)

    @app.get("/validate")
    def validate(n: int, m: int = 0):
        return {"n": n, "m": m}

    return app


REQUESTS = [
    {"id": "found", "method": "GET", "path": "/items/1"},
    {"id": "http-exception-headers", "method": "GET", "path": "/items/2",
     "compare_headers": ["x-error"]},
    {"id": "401-www-authenticate", "method": "GET", "path": "/private"},
    {"id": "default-detail-phrase", "method": "GET", "path": "/teapot"},
    {"id": "structured-detail", "method": "GET", "path": "/structured"},
    {"id": "custom-exception-handler", "method": "GET", "path": "/sensors/kitchen"},
    {"id": "handler-for-base-class", "method": "GET", "path": "/sensors/deep"},
    {"id": "validation-handler", "method": "GET", "path": "/validate?m=x"},
    {"id": "validation-ok", "method": "GET", "path": "/validate?n=1"},
]
