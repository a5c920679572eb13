# Freezes asyncio and the viperhttp package into the firmware or the unix binary.  Include it
# from a board's or variant's manifest:  include("<repo>/bindings/micropython/manifest.py")
# (paths here are relative to this file).
include("$(MPY_DIR)/extmod/asyncio")
include("manifest_package.py")
