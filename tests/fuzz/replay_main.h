// A main() for replaying inputs without libFuzzer: build a fuzzer with -DVIPER_FUZZ_MAIN and
// without -fsanitize=fuzzer, then pass it crash files (e.g. under gdb or valgrind).  Included
// at the end of each fuzz_*.cpp.
#pragma once

#ifdef VIPER_FUZZ_MAIN
#include <cstdint>
#include <cstdio>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i++) {
    FILE* f = std::fopen(argv[i], "rb");
    if (!f) return 1;
    static uint8_t buf[1 << 20];
    size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
  }
  return 0;
}
#endif
