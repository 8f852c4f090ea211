#pragma once

#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

#include "proxy/admin_service.h"
#include "proxy/core/address.h"

namespace boost::asio {
class io_context;
}

namespace ferry::core::http1 {
class MessageServer;
}

namespace ferry::proxy {

// The admin HTTP server: AdminService's endpoints on the codec's
// MessageServer, on the main thread's loop. Small requests only (bodies over
// 64 KiB are refused), at most 64 connections.
class AdminServer {
 public:
  AdminServer(boost::asio::io_context& main, Server& server, AdminService::Hooks hooks);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  boost::system::error_code listen(const core::SocketAddress& address);
  core::SocketAddress address() const;
  void close();

 private:
  AdminService service_;
  std::unique_ptr<core::http1::MessageServer> server_;
};

}  // namespace ferry::proxy
