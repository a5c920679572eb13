# The app bench/wakeup.py measures: one handler that answers at once.
from viperhttp import ViperHTTP

app = ViperHTTP()


@app.get("/ping")
def ping():
    return "pong"


app.run(host="127.0.0.1", port=0, max_connections=16, access_log=False,
        keepalive_max_requests=1000000)
