"""The Microdot twin of viper_app.py, for ``bench/run.sh microdot`` on the MicroPython unix port.

Microdot itself is not part of this repository: the bench runs this file only when
``MICRODOT_DIR`` names Microdot's ``src/`` directory (a checkout kept outside the repository)::

    MICROPYPATH=$MICRODOT_DIR:bench/apps:.frozen build/micropython/micropython \
        bench/apps/microdot_app.py PORT

The handlers return the same JSON as viper_app.py's.  Microdot has no ``Depends``: the items
route makes the same two chained calls as the ViperHTTP app's dependencies (``get_db()``, then
``get_item(db, item_id)`` from common.py) and reads ``q`` from the query string itself.  Plain
``def`` handlers run inline on MicroPython (Microdot uses a thread pool only on CPython).

Prints "Microdot running on http://127.0.0.1:PORT" once the app is set up; Microdot closes
each connection after its response (it has no keep-alive).
"""

import sys

from common import get_db, get_item
from microdot import Microdot

app = Microdot()


@app.get("/hello")
def hello(request):
    return {"message": "hello"}


@app.get("/hello-async")
async def hello_async(request):
    return {"message": "hello"}


def item_dependency(item_id, db):
    return get_item(db, item_id)


@app.get("/items/<int:item_id>")
def read_item(request, item_id):
    q = request.args.get("q")
    item = item_dependency(item_id, get_db())
    return {"item_id": item_id, "q": q, "name": item["name"], "price": item["price"]}


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    print("Microdot running on http://127.0.0.1:%d" % port)
    app.run(host="127.0.0.1", port=port)
