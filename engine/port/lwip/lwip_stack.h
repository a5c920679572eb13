// What port/lwip/port_lwip_sockets.cpp needs from the platform around lwIP: on ESP-IDF the
// stack is started by the system (esp_netif), on the lwIP host by port/lwip/host/ on first use.
#pragma once

namespace viper::port {

// Starts the stack if that is the port's job.  False (errno ENETDOWN) when it cannot run.
bool lwip_stack_ready();

}  // namespace viper::port
