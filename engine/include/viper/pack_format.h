// Layout constants of the asset pack, format version 1 (docs/asset-pack.md).  A header of its
// own because two layers need them: the pack reader (static/asset_pack.h) and the ESP32 port,
// which sizes a flash mapping from the pack header before the engine opens it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace viper::fs {

inline constexpr char kPackMagic[4] = {'V', 'P', 'A', 'K'};
inline constexpr uint32_t kPackVersion = 1;
inline constexpr size_t kPackHeaderBytes = 32;
inline constexpr size_t kPackEntryBytes = 48;
// The pack's total length, a little-endian 32-bit field of the header.
inline constexpr size_t kPackSizeField = 16;

}  // namespace viper::fs
