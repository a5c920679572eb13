# The esp32 port's usual frozen modules (asyncio among them) plus ViperHTTP's package.
include("$(PORT_DIR)/boards/manifest.py")
include("../../bindings/micropython/manifest_package.py")
