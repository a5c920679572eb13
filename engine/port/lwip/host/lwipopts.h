/* lwIP options of the lwIP host build (docs/testing.md, "The engine on lwIP"): lwIP 2.2 in user
 * space on a tap device, configured like ESP-IDF's lwIP with this repository's board
 * (boards/VIPERHTTP_S3/sdkconfig.board) so that the engine meets the device's socket layer on the
 * PC.  Each value says which ESP-IDF setting it mirrors.  Not used on the device: ESP-IDF builds
 * lwIP with its own lwipopts.h from sdkconfig. */
#ifndef VIPER_LWIPOPTS_H
#define VIPER_LWIPOPTS_H

#include <sys/select.h> /* FD_SETSIZE, and the C library's fd_set for lwip_select */

#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1

/* Threads: ESP-IDF's default is no core locking (CONFIG_LWIP_TCPIP_CORE_LOCKING=n): every
 * socket call is a message to the tcpip thread, answered through a per-thread semaphore. */
#define LWIP_TCPIP_CORE_LOCKING 0
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0
#define LWIP_NETCONN_SEM_PER_THREAD 1
#define LWIP_NETCONN_FULLDUPLEX 1
#define TCPIP_MBOX_SIZE 32          /* CONFIG_LWIP_TCPIP_RECVMBOX_SIZE */
#define DEFAULT_TCP_RECVMBOX_SIZE 6 /* CONFIG_LWIP_TCP_RECVMBOX_SIZE */
#define DEFAULT_UDP_RECVMBOX_SIZE 6 /* CONFIG_LWIP_UDP_RECVMBOX_SIZE */
/* The accept queue is where clients wait while every engine slot is taken (docs/http.md "A full
 * connection pool"); SYNs beyond it are dropped and retried by TCP's backoff.  ESP-IDF's
 * default is 6; the board (boards/VIPERHTTP_S3/sdkconfig.board) raises it to 16. */
#define DEFAULT_ACCEPTMBOX_SIZE 16 /* CONFIG_LWIP_TCP_ACCEPTMBOX_SIZE */
#define DEFAULT_RAW_RECVMBOX_SIZE 6
#define DEFAULT_THREAD_STACKSIZE 8192
#define TCPIP_THREAD_STACKSIZE 8192

/* Memory: from the C library's heap, as ESP-IDF does (pool counts are not enforced then;
 * the socket table is). */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#if defined __LP64__
#define MEM_ALIGNMENT 8
#else
#define MEM_ALIGNMENT 4
#endif

/* Sockets: the board's CONFIG_LWIP_MAX_SOCKETS=16, numbered just below FD_SETSIZE as on
 * ESP-IDF (there FD_SETSIZE is 64; here the C library's 1024). */
#define MEMP_NUM_NETCONN 16
#define MEMP_NUM_TCP_PCB 32       /* CONFIG_LWIP_MAX_ACTIVE_TCP: slots + accept queue + TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN 4 /* CONFIG_LWIP_MAX_LISTENING_TCP */
#define MEMP_NUM_UDP_PCB 16
#define LWIP_SOCKET 1
#define LWIP_NETCONN 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_OFFSET (FD_SETSIZE - MEMP_NUM_NETCONN)
#define LWIP_SOCKET_SELECT 1
#define LWIP_SOCKET_POLL 0
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_RCVBUF 1
#define LWIP_SO_LINGER 0
#define SO_REUSE 1 /* CONFIG_LWIP_SO_REUSE=y */
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TIMEVAL_PRIVATE 0

/* TCP: ESP-IDF's defaults (the board raises the buffers to 11520; the defaults are the
 * harder case). */
#define LWIP_TCP 1
#define TCP_MSS 1440     /* CONFIG_LWIP_TCP_MSS */
#define TCP_SND_BUF 5760 /* CONFIG_LWIP_TCP_SND_BUF_DEFAULT */
#define TCP_WND 5760     /* CONFIG_LWIP_TCP_WND_DEFAULT */
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + TCP_MSS - 1) / TCP_MSS)
#define TCP_LISTEN_BACKLOG 1 /* as ESP-IDF's lwipopts.h */
#define TCP_OVERSIZE TCP_MSS /* CONFIG_LWIP_TCP_OVERSIZE_MSS */
#define TCP_QUEUE_OOSEQ 1
#define LWIP_WND_SCALE 0
#define TCP_MAXRTX 12
#define TCP_SYNMAXRTX 12

/* IP: IPv4 only, one Ethernet interface (the tap) and the loopback interface, which the
 * engine's wake-up socket uses (CONFIG_LWIP_NETIF_LOOPBACK=y). */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ARP_QUEUEING 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_DHCP 0
#define LWIP_DNS 0
#define LWIP_IGMP 0
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
#define LWIP_LOOPBACK_MAX_PBUFS 8
#define LWIP_NETIF_TX_SINGLE_PBUF 1
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define IP_REASSEMBLY 0
#define IP_FRAG 0

#define LWIP_STATS 0
#define LWIP_CHECKSUM_ON_COPY 0

#endif /* VIPER_LWIPOPTS_H */
