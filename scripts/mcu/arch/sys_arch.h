/* lwIP's OS types for the MCU size build (scripts/mcu-size.sh), shaped like a FreeRTOS port. */
#ifndef VIPER_MCU_ARCH_SYS_ARCH_H
#define VIPER_MCU_ARCH_SYS_ARCH_H

typedef void* sys_sem_t;
typedef void* sys_mutex_t;
typedef void* sys_mbox_t;
typedef void* sys_thread_t;
#define sys_sem_valid(s) ((s) != NULL && *(s) != NULL)
#define sys_sem_set_invalid(s) \
  do {                         \
    *(s) = NULL;               \
  } while (0)
#define sys_mutex_valid(m) sys_sem_valid(m)
#define sys_mutex_set_invalid(m) sys_sem_set_invalid(m)
#define sys_mbox_valid(m) sys_sem_valid(m)
#define sys_mbox_set_invalid(m) sys_sem_set_invalid(m)

#endif
