#include "filters/route_table.h"

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

core::RouteConfig route(std::string prefix, std::string cluster,
                        std::optional<std::string> authority = std::nullopt) {
  core::RouteConfig r;
  r.prefix = std::move(prefix);
  r.cluster = std::move(cluster);
  r.authority = std::move(authority);
  return r;
}

RouteTable table(std::vector<core::RouteConfig> routes, const char* default_cluster) {
  std::unique_ptr<const core::RouteConfig> fallback;
  if (default_cluster != nullptr) {
    fallback = std::make_unique<const core::RouteConfig>(route("/", default_cluster));
  }
  return RouteTable(std::move(routes), std::move(fallback));
}

TEST(RouteTable, FirstMatchWinsThenTheDefault) {
  const RouteTable t = table({route("/api/v2", "v2"), route("/api", "api")}, "web");
  EXPECT_EQ(t.route(t.match("x", "/api/v2/users")).cluster, "v2");
  EXPECT_EQ(t.route(t.match("x", "/api?q=1")).cluster, "api");
  EXPECT_EQ(t.route(t.match("x", "/index.html")).cluster, "web");
}

TEST(RouteTable, NoDefaultMeansNoRoute) {
  const RouteTable t = table({route("/api", "api")}, nullptr);
  EXPECT_EQ(t.match("x", "/other"), RouteTable::kNoRoute);
}

TEST(RouteTable, AuthorityIsCaseInsensitiveAndIgnoresPortAndTrailingDot) {
  const RouteTable t = table({route("/", "api", "API.Local"), route("/", "v6", "[::1]")}, "web");
  EXPECT_EQ(t.route(t.match("api.local", "/")).cluster, "api");
  EXPECT_EQ(t.route(t.match("Api.LOCAL:8080", "/")).cluster, "api");
  EXPECT_EQ(t.route(t.match("api.local.", "/")).cluster, "api");
  EXPECT_EQ(t.route(t.match("[::1]:443", "/")).cluster, "v6");
  EXPECT_EQ(t.route(t.match("api.locals", "/")).cluster, "web");
  EXPECT_EQ(t.route(t.match("other", "/")).cluster, "web");
}

TEST(NormalizeAuthority, LowerCaseWithoutPortOrDot) {
  EXPECT_EQ(normalize_authority("API.Local:8080"), "api.local");
  EXPECT_EQ(normalize_authority("[::1]:80"), "::1");
  EXPECT_EQ(normalize_authority("host."), "host");
}

}  // namespace
}  // namespace ferry::filters
