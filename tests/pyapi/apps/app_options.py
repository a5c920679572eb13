"""``key=value`` command-line arguments of the test apps, as keyword options for ``app.run``
(values are JSON where they parse as JSON, strings otherwise)."""

import json


def parse_options(argv):
    options = {}
    for arg in argv:
        key, _, raw = arg.partition("=")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    return options
