"""The context of the template benchmark page (templates/status.html: about 2 KB of HTML with
a 50-item loop), the same for ViperHTTP (CPython and MicroPython) and for Jinja2/FastAPI."""

def status_context():
    return {
        "title": "Sensor status",
        "device": {"name": "esp32-s3 <lab>", "uptime": 86400, "version": "1.2.3"},
        "sensors": [{"name": "s%d" % i, "value": round(i * 1.25, 2)} for i in range(50)],
        "alerts": ["humidity high", "door open"],
    }


def big_context(rows):
    return {"rows": [{"id": i, "name": "row-%d" % i, "value": i * 1.5} for i in range(rows)]}
