// CRC-32 (IEEE 802.3, the zip checksum), table-driven, slicing by 8 bytes for speed on
// multi-gigabyte tensor records.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nhb::io {

// Continues a running checksum: crc = zipCrc32Update(crc, chunk...) starting from 0.
uint32_t zipCrc32Update(uint32_t crc, const void* data, std::size_t size);
inline uint32_t zipCrc32(const void* data, std::size_t size) { return zipCrc32Update(0, data, size); }

}  // namespace nhb::io
