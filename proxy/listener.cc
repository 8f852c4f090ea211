#include "proxy/listener.h"

namespace ferry::proxy {

const char* to_string(core::ListenerProtocol protocol) {
  switch (protocol) {
    case core::ListenerProtocol::Tcp:
      return "tcp";
    case core::ListenerProtocol::Http:
      break;
  }
  return "http";
}

}  // namespace ferry::proxy
