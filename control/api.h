#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "control/api_error.h"
#include "control/api_format.h"
#include "control/mutations.h"
#include "control/registry.h"
#include "control/request_reader.h"
#include "control/store.h"
#include "control/strict_json.h"
#include "control/validation.h"

namespace ferry::control {

// Who made a request: the access key that signed it (empty without
// --credentials). Only logged for now; per-key scopes would hang off it.
struct AuthContext {
  std::string access_key_id;
};

// A response body with its HTTP status. `error_code` is the `__type` of an
// error (empty on success), for metrics and logs.
struct ApiReply {
  int status = 200;
  std::string body;
  std::string error_code;
};

struct ApiConfig {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  RegistryLimits limits;
  AttributeLimits attribute_limits;
  StrictJsonLimits json;
};

// Cloud Map's servicediscovery API over the registry, independent of HTTP:
// the server gives it the action (from X-Amz-Target) and the body, and gets
// back a status and a body. Reads are answered from the read model after the
// store's read barrier; writes become mutations submitted to the store.
//
// Lives on the loop thread; handle() and every `done` run there. `done` may
// run before handle() returns (most reads) or later (writes, and reads that
// wait for the etcd barrier).
class Api {
 public:
  using Done = std::function<void(ApiReply)>;
  // Called for an UpdateInstanceCustomHealthStatus that renews the current
  // status without changing it (not a durable write): re-arms the TTL.
  using RenewalHook =
      std::function<void(const std::string& service_id, const std::string& instance_id)>;

  Api(ApiConfig config, Registry& registry, Store& store, RenewalHook renewal = {});

  void handle(std::string_view action, std::string_view body, const AuthContext& auth, Done done);

  // True for every action this API answers (including the DNS ones it
  // refuses with a clear error); false gives UnknownOperationException.
  static bool is_known_action(std::string_view action);
  // Every known action, for pre-creating metric series.
  static std::vector<std::string_view> actions();

  static ApiReply error_reply(const ApiError& error);
  // Wall-clock time as Cloud Map timestamps (epoch seconds, millisecond precision).
  static Timestamp now();

  struct ListFilter {
    std::string name;
    std::string condition;  // EQ unless given
    std::vector<std::string> values;
  };

  // Request-reading helpers shared by the handlers (stateless).
  // Reads a Filters list whose Name must be one of `names`; nullopt on error.
  static std::optional<std::vector<ListFilter>> read_filters(
      RequestReader& reader, std::string_view member,
      std::initializer_list<std::string_view> names);
  // Checks a filter's condition against `allowed` and its value count.
  static bool check_filter(RequestReader& reader, const ListFilter& filter,
                           std::initializer_list<std::string_view> allowed, std::size_t min_values,
                           std::size_t max_values);
  struct Page {
    std::size_t max_results = 100;
    std::optional<std::string> after;  // resume after this key
  };
  // MaxResults (1..`max`, default `fallback`) and NextToken of `listing`.
  static std::optional<Page> read_page(RequestReader& reader, std::string_view listing,
                                       std::int64_t max, std::size_t fallback);

 private:
  using Handler = void (Api::*)(const boost::json::object&, Done&);
  struct Route {
    std::string_view action;
    Handler handler;
    bool read;  // answered after the read barrier
  };
  static const std::vector<Route>& routes();

  // Namespaces (api_namespaces.cc).
  void create_http_namespace(const boost::json::object& body, Done& done);
  void get_namespace(const boost::json::object& body, Done& done);
  void list_namespaces(const boost::json::object& body, Done& done);
  void update_http_namespace(const boost::json::object& body, Done& done);
  void delete_namespace(const boost::json::object& body, Done& done);
  void dns_namespace(const boost::json::object& body, Done& done);
  // Services (api_services.cc).
  void create_service(const boost::json::object& body, Done& done);
  void get_service(const boost::json::object& body, Done& done);
  void list_services(const boost::json::object& body, Done& done);
  void update_service(const boost::json::object& body, Done& done);
  void delete_service(const boost::json::object& body, Done& done);
  // Instances (api_instances.cc).
  void register_instance(const boost::json::object& body, Done& done);
  void deregister_instance(const boost::json::object& body, Done& done);
  void get_instance(const boost::json::object& body, Done& done);
  void list_instances(const boost::json::object& body, Done& done);
  void get_instances_health_status(const boost::json::object& body, Done& done);
  void update_instance_custom_health_status(const boost::json::object& body, Done& done);
  // Discovery (api_discovery.cc).
  void discover_instances(const boost::json::object& body, Done& done);
  void discover_instances_revision(const boost::json::object& body, Done& done);
  // Operations and tags (api_operations.cc).
  void get_operation(const boost::json::object& body, Done& done);
  void list_operations(const boost::json::object& body, Done& done);
  void tag_resource(const boost::json::object& body, Done& done);
  void untag_resource(const boost::json::object& body, Done& done);
  void list_tags_for_resource(const boost::json::object& body, Done& done);

  // Helpers shared by the handler files (api.cc).
  void submit(std::shared_ptr<const Mutation> mutation, Done& done);
  static void reply(Done& done, const boost::json::object& body);
  static void fail(Done& done, const ApiError& error);
  // Resolves an Id member (plain id or our ARN) or records InvalidInput.
  std::optional<std::string> resolve(std::optional<std::string> id, ResourceName::Type type,
                                     std::string_view member, Done& done) const;
  // For actions whose only member is a required `Id`: reads and resolves it.
  // On failure `done` has been answered and the result is empty.
  struct ResolvedId {
    std::string given;     // as the request wrote it, for error messages
    std::string resolved;  // the plain id
  };
  std::optional<ResolvedId> read_only_id(const boost::json::object& body, ResourceName::Type type,
                                         Done& done) const;
  std::optional<std::vector<Tag>> read_tags(RequestReader& reader, std::string_view member) const;
  IdempotencyKey idempotency(std::string_view action, const std::optional<std::string>& token,
                             const boost::json::object& body, std::string_view token_member) const;

  ApiConfig config_;
  OutputContext output_;
  Registry& registry_;
  Store& store_;
  RenewalHook renewal_;
};

}  // namespace ferry::control
