#include "proxy/admin_server.h"

#include "proxy/core/http1/message_server.h"

namespace ferry::proxy {

AdminServer::AdminServer(boost::asio::io_context& main, Server& server, AdminService::Hooks hooks)
    : service_(server, std::move(hooks)) {
  core::http1::MessageServerOptions options;
  options.max_body_bytes = 64 * 1024;
  options.max_connections = 64;
  server_ = std::make_unique<core::http1::MessageServer>(
      main,
      [this](core::http1::Request request, core::http1::Responder responder) {
        AdminRequest admin{
            request.head.method_text,
            request.head.target,
            request.peer,
            request.head.headers.get("host").value_or(std::string_view()),
            request.head.headers.get("origin").value_or(std::string_view()),
        };
        AdminResponse answer = service_.handle(admin);
        core::http1::Response response;
        response.status = static_cast<std::uint16_t>(answer.status);
        response.headers.add("content-type", answer.content_type);
        response.headers.add("cache-control", "no-store");
        if (!answer.allow.empty()) {
          response.headers.add("allow", answer.allow);
        }
        response.body = std::move(answer.body);
        responder.send(std::move(response));
      },
      options);
}

AdminServer::~AdminServer() = default;

boost::system::error_code AdminServer::listen(const core::SocketAddress& address) {
  return server_->listen(address);
}

core::SocketAddress AdminServer::address() const {
  return server_->local_address();
}

void AdminServer::close() {
  server_->close();
}

}  // namespace ferry::proxy
