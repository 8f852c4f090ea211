#include "proxy/listener.h"

namespace ferry::proxy {

const char* to_string(ListenerProtocol protocol) {
  switch (protocol) {
    case ListenerProtocol::Tcp:
      return "tcp";
    case ListenerProtocol::Http:
      break;
  }
  return "http";
}

}  // namespace ferry::proxy
