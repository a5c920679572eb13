"""Handler helpers shared by the two benchmark apps, so both frameworks run the same code.

Scenario (b) resolves two chained dependencies per request in both frameworks:
``item=Depends(item_dependency)``, which itself takes ``db=Depends(get_db)`` and the path's
``item_id``, then calls ``get_item(db, item_id)``.
"""

ITEMS = {i: {"name": "item %d" % i, "price": i * 10} for i in range(1, 101)}


class FakeDB:
    """An in-memory "database": what a handler would get from a connection pool."""

    def __init__(self, items):
        self.items = items

    def get(self, item_id):
        return self.items.get(item_id)


_DB = FakeDB(ITEMS)


def get_db():
    return _DB


def get_item(db, item_id):
    item = db.get(item_id)
    if item is None:
        return {"name": None, "price": 0}
    return item
