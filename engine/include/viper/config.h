// Compile-time limits and defaults of the engine, in one place.
//
// Every value is an `#ifndef` default: override with `-D` on the host or Kconfig on the device.
// The `esp32` CMake profile sets the device's values (see CMakePresets.json).  Runtime options
// (SPEC §5) are checked against the hard caps here when the server starts.
#pragma once

#include <cstddef>
#include <cstdint>

// Hard cap on headers per request: the size of the parser's fixed header array.
#ifndef VIPER_MAX_HEADERS_CAP
#define VIPER_MAX_HEADERS_CAP 64
#endif

// Hard cap on path parameters per route (size of the router's fixed capture array).
#ifndef VIPER_MAX_PATH_PARAMS
#define VIPER_MAX_PATH_PARAMS 8
#endif

// Size of one lent I/O buffer.  A request head must fit in one buffer, so the runtime option
// max_header_bytes may not exceed it.
#ifndef VIPER_IO_BUFFER_BYTES
#define VIPER_IO_BUFFER_BYTES 8192
#endif

// Hard cap on connection slots.
#ifndef VIPER_MAX_CONNECTIONS_CAP
#define VIPER_MAX_CONNECTIONS_CAP 4096
#endif

// Default runtime options (SPEC §5).  Connection slots: 8 on the device (and in the esp32
// profile); a PC serves hundreds of clients, as uvicorn or nginx would (lowered at start to what
// RLIMIT_NOFILE allows).
#ifndef VIPER_DEFAULT_MAX_CONNECTIONS
#if defined(VIPER_PROFILE_ESP32) || !defined(__linux__)
#define VIPER_DEFAULT_MAX_CONNECTIONS 8
#else
#define VIPER_DEFAULT_MAX_CONNECTIONS 512
#endif
#endif
#ifndef VIPER_DEFAULT_MAX_HEADER_BYTES
#define VIPER_DEFAULT_MAX_HEADER_BYTES 4096
#endif
#ifndef VIPER_DEFAULT_MAX_HEADERS
#define VIPER_DEFAULT_MAX_HEADERS 24
#endif
#ifndef VIPER_DEFAULT_MAX_URI_BYTES
#define VIPER_DEFAULT_MAX_URI_BYTES 512
#endif
#ifndef VIPER_DEFAULT_MAX_BODY_BYTES
#define VIPER_DEFAULT_MAX_BODY_BYTES 65536
#endif
// The default body limit of an app served with the bridge (app.run(), the bindings): a body
// travels to Python through the request ring (at most half of it), so the device's default is
// what its small rings carry next to the pools (docs/firmware.md, "RAM"); C routes keep the
// engine's default above.
#ifndef VIPER_DEFAULT_BRIDGE_MAX_BODY_BYTES
#if defined(VIPER_PROFILE_ESP32) || !defined(__linux__)
#define VIPER_DEFAULT_BRIDGE_MAX_BODY_BYTES 16384
#else
#define VIPER_DEFAULT_BRIDGE_MAX_BODY_BYTES VIPER_DEFAULT_MAX_BODY_BYTES
#endif
#endif

// The bridge's rings (engine/bridge/bridge.h): records for requests waiting for Python, and the
// payload rings.  The request ring is made at least twice the largest request the limits let
// through (Server::max_request_payload), so a request within the limits is never refused as
// too large for it; these are the least sizes.  Device: a few tens of KB, next to the pools
// within the esp32 profile's budget (docs/firmware.md, "RAM").
#if defined(VIPER_PROFILE_ESP32) || !defined(__linux__)
#ifndef VIPER_DEFAULT_REQUEST_QUEUE
#define VIPER_DEFAULT_REQUEST_QUEUE 32
#endif
#ifndef VIPER_DEFAULT_REQUEST_QUEUE_BYTES
#define VIPER_DEFAULT_REQUEST_QUEUE_BYTES (16u * 1024)
#endif
#ifndef VIPER_DEFAULT_RESPONSE_QUEUE_BYTES
#define VIPER_DEFAULT_RESPONSE_QUEUE_BYTES (16u * 1024)
#endif
#else
#ifndef VIPER_DEFAULT_REQUEST_QUEUE
#define VIPER_DEFAULT_REQUEST_QUEUE 256
#endif
#ifndef VIPER_DEFAULT_REQUEST_QUEUE_BYTES
#define VIPER_DEFAULT_REQUEST_QUEUE_BYTES (256u * 1024)
#endif
#ifndef VIPER_DEFAULT_RESPONSE_QUEUE_BYTES
#define VIPER_DEFAULT_RESPONSE_QUEUE_BYTES (256u * 1024)
#endif
#endif

// Memory budget of the counting allocator (0 = unlimited).  The esp32 profile sets the
// device's budget so that over-sized pools fail at start-up, as they would on the board.
#ifndef VIPER_MEMORY_BUDGET_BYTES
#define VIPER_MEMORY_BUDGET_BYTES 0
#endif

// zlib's window and memory level for the engine's gzip of dynamic responses: it takes about
// (1 << (bits + 2)) + (1 << (level + 9)) bytes + 6 KB, once (15/8: 268 KB; the device's 11/4:
// about 22 KB, for slightly larger output).
#ifndef VIPER_GZIP_WINDOW_BITS
#define VIPER_GZIP_WINDOW_BITS 15
#endif
#ifndef VIPER_GZIP_MEM_LEVEL
#define VIPER_GZIP_MEM_LEVEL 8
#endif

// Bytes of small static files (from directory mounts) kept in memory, so that a hot file costs
// no system call but the send (runtime option static_cache_bytes).  The device serves its site
// from an asset pack in flash, which needs no cache: 0 there.
#ifndef VIPER_DEFAULT_STATIC_CACHE_BYTES
#if defined(VIPER_PROFILE_ESP32)
#define VIPER_DEFAULT_STATIC_CACHE_BYTES 0
#else
#define VIPER_DEFAULT_STATIC_CACHE_BYTES (1u << 20)
#endif
#endif

// Server header value.
#ifndef VIPER_SERVER_NAME
#define VIPER_SERVER_NAME "viperhttp"
#endif

// Request bodies in pieces (engine/http/multipart.h, engine/http/urlencoded.h).  A multipart
// part's header block may straddle two reads, so the parser copies it into a buffer of its own
// (twice this size: the raw block, and room for a name or filename that needs unescaping); the
// cap is the largest max_part_header_bytes there is.  The defaults are the limits a caller gets
// when it sets none: Starlette's 1000 fields, and a non-file field as large as the default body.
#ifndef VIPER_MULTIPART_HEADER_BYTES_CAP
#define VIPER_MULTIPART_HEADER_BYTES_CAP 1024
#endif
#ifndef VIPER_DEFAULT_FORM_MAX_PARTS
#define VIPER_DEFAULT_FORM_MAX_PARTS 1000
#endif
#ifndef VIPER_DEFAULT_FORM_MAX_PART_HEADERS
#define VIPER_DEFAULT_FORM_MAX_PART_HEADERS 16
#endif
#ifndef VIPER_DEFAULT_FORM_MAX_FIELD_BYTES
#define VIPER_DEFAULT_FORM_MAX_FIELD_BYTES 65536
#endif
