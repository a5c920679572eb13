# The esp32 port's usual frozen modules (asyncio among them) plus ViperHTTP's package.
include("$(PORT_DIR)/boards/manifest.py")
package("viperhttp", base_path="../../python")
