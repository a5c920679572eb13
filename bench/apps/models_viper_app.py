"""ViperHTTP validating a 10-field nested model (bench/run.sh models): POST /orders with the
body of models_body.json, read into a portable ``viperhttp.Model``; the twin of
models_fastapi_app.py (FastAPI + pydantic).  Runs on CPython and on the MicroPython unix port.
Argument: the port (0: a free one)."""

import sys

from viperhttp import Body, Field, Model, ViperHTTP, server_stats


class Address(Model):
    street = Field(str, max_length=100)
    city = Field(str, max_length=50)
    zip = Field(str, max_length=10)
    country = Field(str, min_length=2, max_length=2)


class Line(Model):
    sku = Field(str, max_length=20)
    qty = Field(int, ge=1)
    price = Field(float, ge=0)


class Order(Model):
    id = Field(int, ge=1)
    customer = Field(str, max_length=100)
    email = Field(str, max_length=100)
    address = Field(Address)
    items = Field([Line])
    total = Field(float, ge=0)
    paid = Field(bool, default=False)
    tags = Field([str], default=[])
    note = Field(str, default=None)
    priority = Field(int, ge=1, le=5, default=3)


app = ViperHTTP()


@app.post("/orders")
def create_order(order=Body(Order)):
    return {"id": order.id, "lines": len(order.items), "city": order.address.city,
            "total": order.total}


@app.get("/hello")
def hello():
    return {"message": "hello"}


@app.get("/stats")
def stats():
    return server_stats()


port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
app.run(host="127.0.0.1", port=port, max_connections=256, access_log=False)
