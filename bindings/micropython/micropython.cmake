# _viperhttp as a MicroPython user C module for CMake-based ports (esp32):
#   make BOARD=VIPERHTTP_S3 BOARD_DIR=<repo>/boards/VIPERHTTP_S3 \
#        USER_C_MODULES=<repo>/bindings/micropython/micropython.cmake
# See docs/firmware.md.  The engine uses the select() poller and the ESP-IDF port layer here.
set(VIPERHTTP_ROOT ${CMAKE_CURRENT_LIST_DIR}/../..)

add_library(usermod_viperhttp INTERFACE)

file(GLOB VIPERHTTP_ENGINE_SOURCES
    ${VIPERHTTP_ROOT}/engine/http/*.cpp
    ${VIPERHTTP_ROOT}/engine/router/*.cpp
    ${VIPERHTTP_ROOT}/engine/bridge/*.cpp
    ${VIPERHTTP_ROOT}/engine/mem/*.cpp
    ${VIPERHTTP_ROOT}/engine/static/*.cpp
    ${VIPERHTTP_ROOT}/engine/tls/*.cpp
    ${VIPERHTTP_ROOT}/engine/tmpl/*.cpp
    ${VIPERHTTP_ROOT}/engine/ws/*.cpp
    ${VIPERHTTP_ROOT}/engine/net/*.cpp)
list(FILTER VIPERHTTP_ENGINE_SOURCES EXCLUDE REGEX "poller_epoll\\.cpp$")

target_sources(usermod_viperhttp INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modviperhttp.c
    ${CMAKE_CURRENT_LIST_DIR}/modtemplates.c
    ${CMAKE_CURRENT_LIST_DIR}/vh_native.cpp
    ${CMAKE_CURRENT_LIST_DIR}/vh_tmpl.cpp
    ${VIPERHTTP_ROOT}/bindings/common/engine_handle.cpp
    ${VIPERHTTP_ROOT}/bindings/common/options.cpp
    ${VIPERHTTP_ROOT}/engine/port/esp32/port_esp32.cpp
    ${VIPERHTTP_ROOT}/engine/port/posix/port_posix.cpp
    ${VIPERHTTP_ROOT}/engine/port/lwip/port_lwip_sockets.cpp
    ${VIPERHTTP_ENGINE_SOURCES})

target_include_directories(usermod_viperhttp INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${VIPERHTTP_ROOT}/bindings/common
    ${VIPERHTTP_ROOT}/engine
    ${VIPERHTTP_ROOT}/engine/include)

# The device's limits (engine/include/viper/config.h): 4 KB buffers, at most 16 slots.
target_compile_definitions(usermod_viperhttp INTERFACE
    VIPER_IO_BUFFER_BYTES=4096
    VIPER_MAX_CONNECTIONS_CAP=16
    VIPER_MAX_HEADERS_CAP=32
    VIPER_GZIP_WINDOW_BITS=11
    VIPER_GZIP_MEM_LEVEL=4
    VIPER_DEFAULT_STATIC_CACHE_BYTES=0)  # the site is served from an asset pack in flash

# zlib for the engine's gzip (engine/http/gzip_encoder.cpp).  ESP-IDF v5 ships no zlib of its
# own: it is the registry component espressif/zlib, declared in the port's idf_component.yml
# (`idf.py add-dependency "espressif/zlib^1.3.1"` in ports/esp32/main), whose target is
# idf::espressif__zlib.  Untested: ESP-IDF cannot be built on the development host.
idf_build_get_property(VIPERHTTP_IDF_COMPONENTS BUILD_COMPONENTS)
if("espressif__zlib" IN_LIST VIPERHTTP_IDF_COMPONENTS)
  target_link_libraries(usermod_viperhttp INTERFACE idf::espressif__zlib)
elseif("zlib" IN_LIST VIPERHTTP_IDF_COMPONENTS)
  target_link_libraries(usermod_viperhttp INTERFACE idf::zlib)
else()
  message(FATAL_ERROR "viperhttp needs zlib: add espressif/zlib to the port's idf_component.yml")
endif()

# mbedTLS for HTTPS (engine/tls/): ESP-IDF's own component (3.x; engine/tls/mbedtls_compat.h).
target_link_libraries(usermod_viperhttp INTERFACE idf::mbedtls)

target_link_libraries(usermod INTERFACE usermod_viperhttp)
