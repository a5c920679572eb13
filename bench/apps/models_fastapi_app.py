"""FastAPI + pydantic validating the 10-field nested model of bench/run.sh models (the twin
of models_viper_app.py), under uvicorn with one worker."""

from typing import List, Optional

from fastapi import FastAPI
from pydantic import BaseModel, Field


class Address(BaseModel):
    street: str = Field(..., max_length=100)
    city: str = Field(..., max_length=50)
    zip: str = Field(..., max_length=10)
    country: str = Field(..., min_length=2, max_length=2)


class Line(BaseModel):
    sku: str = Field(..., max_length=20)
    qty: int = Field(..., ge=1)
    price: float = Field(..., ge=0)


class Order(BaseModel):
    id: int = Field(..., ge=1)
    customer: str = Field(..., max_length=100)
    email: str = Field(..., max_length=100)
    address: Address
    items: List[Line]
    total: float = Field(..., ge=0)
    paid: bool = False
    tags: List[str] = []
    note: Optional[str] = None
    priority: int = Field(3, ge=1, le=5)


app = FastAPI()


@app.post("/orders")
def create_order(order: Order):
    return {"id": order.id, "lines": len(order.items), "city": order.address.city,
            "total": order.total}


@app.get("/hello")
def hello():
    return {"message": "hello"}
