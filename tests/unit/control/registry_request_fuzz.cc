#include "tests/unit/control/registry_request_fuzz.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

#include "control/api.h"
#include "tests/unit/control/memory_store.h"

namespace ferry::control {
namespace json = boost::json;

namespace {

[[noreturn]] void violated(std::string_view what, std::string_view action, std::string_view body) {
  std::fprintf(stderr, "fuzz_registry_request_json: %.*s (action %.*s, reply %.*s)\n",
               static_cast<int>(what.size()), what.data(), static_cast<int>(action.size()),
               action.data(), static_cast<int>(std::min<std::size_t>(body.size(), 300)),
               body.data());
  std::abort();
}

ApiReply call(Api& api, std::string_view action, std::string_view body) {
  ApiReply out;
  bool answered = false;
  api.handle(action, body, {}, [&](ApiReply r) {
    out = std::move(r);
    answered = true;
  });
  if (!answered) {
    violated("no reply from the in-memory store", action, body);
  }
  return out;
}

}  // namespace

int fuzz_registry_request_json(const std::uint8_t* data, std::size_t size) {
  Registry registry;
  testing::MemoryStore store(registry);
  Api api({}, registry, store);
  // Something to find, so lookups and updates reach past NotFound.
  const ApiReply ns = call(api, "CreateHttpNamespace", R"({"Name":"fuzz.local"})");
  const std::string ns_id = registry.state().namespaces().begin()->first;
  call(api, "CreateService",
       R"({"Name":"web","NamespaceId":")" + ns_id + R"(","HealthCheckCustomConfig":{}})");
  const std::string svc = registry.state().services().begin()->first;
  call(api, "RegisterInstance",
       R"({"ServiceId":")" + svc + R"(","InstanceId":"i-1","Attributes":{"a":"b"}})");
  (void)ns;

  const std::vector<std::string_view> actions = Api::actions();
  if (size == 0) {
    return 0;
  }
  const std::string_view action = actions[data[0] % actions.size()];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const ApiReply reply = call(api, action, body);
  if (reply.status != 200 && reply.status != 400) {
    violated("status other than 200/400", action, reply.body);
  }
  std::error_code ec;
  const json::value parsed = json::parse(reply.body, ec);
  if (ec || !parsed.is_object()) {
    violated("reply is not a JSON object", action, reply.body);
  }
  if (reply.status == 400 && (!parsed.get_object().contains("__type") ||
                              parsed.get_object().at("__type") != json::value(reply.error_code))) {
    violated("error without its __type", action, reply.body);
  }
  return 0;
}

}  // namespace ferry::control
