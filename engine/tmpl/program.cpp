#include "tmpl/program.h"

namespace viper::tmpl {

int Program::find_name(std::string_view s) const {
  const auto* table = reinterpret_cast<const uint16_t*>(b_ + h().hash_off);
  uint32_t mask = h().hash_mask;
  for (uint32_t i = name_hash(s) & mask;; i = (i + 1) & mask) {
    uint16_t id = table[i];
    if (id == 0xffff) return -1;
    if (name(id) == s) return id;
  }
}

void Program::locate(uint32_t pc, size_t* dep_index, uint32_t* line) const {
  const auto* lines = reinterpret_cast<const LineEntry*>(b_ + h().lines_off);
  size_t lo = 0, hi = h().num_lines;  // last entry with entry.pc <= pc
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (lines[mid].pc <= pc)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) {
    *dep_index = 0;
    *line = 0;
    return;
  }
  *dep_index = lines[lo - 1].dep;
  *line = lines[lo - 1].line;
}

}  // namespace viper::tmpl
