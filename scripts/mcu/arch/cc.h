/* lwIP's architecture header for the MCU size build (scripts/mcu-size.sh): a bare-metal 32-bit
 * little-endian target with newlib, as ESP-IDF's own arch/cc.h describes the ESP32.  Only for
 * compiling the engine against lwIP's socket headers; nothing is linked. */
#ifndef VIPER_MCU_ARCH_CC_H
#define VIPER_MCU_ARCH_CC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1 /* errno.h of newlib, as on ESP-IDF */
typedef int sys_prot_t;
#define LWIP_PLATFORM_DIAG(x) \
  do {                        \
    printf x;                 \
  } while (0)
#define LWIP_PLATFORM_ASSERT(x) \
  do {                          \
    abort();                    \
  } while (0)

#endif
