# _viperhttp as a MicroPython user C module for make-based ports (unix):
#   make -C ports/unix USER_C_MODULES=<repo>/bindings FROZEN_MANIFEST=<repo>/bindings/micropython/manifest.py
# The engine is C++20 without exceptions or RTTI, as on ESP-IDF.
VIPERHTTP_DIR := $(USERMOD_DIR)
VIPERHTTP_ROOT := $(VIPERHTTP_DIR)/../..

SRC_USERMOD_C += $(VIPERHTTP_DIR)/modviperhttp.c $(VIPERHTTP_DIR)/modtemplates.c
SRC_USERMOD_CXX += $(VIPERHTTP_DIR)/vh_native.cpp $(VIPERHTTP_DIR)/vh_tmpl.cpp \
	$(VIPERHTTP_ROOT)/bindings/common/engine_handle.cpp \
	$(VIPERHTTP_ROOT)/bindings/common/options.cpp \
	$(wildcard $(VIPERHTTP_ROOT)/engine/http/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/router/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/net/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/bridge/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/mem/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/static/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/tls/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/tmpl/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/ws/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/port/posix/*.cpp) \
	$(wildcard $(VIPERHTTP_ROOT)/engine/port/linux/*.cpp)

CFLAGS_USERMOD += -I$(VIPERHTTP_DIR)
CXXFLAGS_USERMOD += -I$(VIPERHTTP_DIR) -I$(VIPERHTTP_ROOT)/bindings/common \
	-I$(VIPERHTTP_ROOT)/engine -I$(VIPERHTTP_ROOT)/engine/include \
	-std=gnu++20 -fno-exceptions -fno-rtti
# zlib for the engine's gzip (engine/http/gzip_encoder.cpp); Debian's mbedTLS for HTTPS
# (engine/tls/, the same system library the unix port's ssl module links).
LDFLAGS_USERMOD += -lstdc++ -lpthread -lz -lmbedtls -lmbedx509 -lmbedcrypto
