#include "discovery/service_attributes.h"

#include <gtest/gtest.h>

namespace ferry::discovery {
namespace {

TEST(ServiceAttributesTest, AliasesRoundTrip) {
  std::vector<core::ClientAlias> aliases{{80, "backend"}, {8080, "backend.mesh.local"}};
  const std::string text = format_aliases(aliases);
  EXPECT_EQ(text, "backend:80,backend.mesh.local:8080");
  auto parsed = parse_aliases(text);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0], (PublishedAlias{"backend", 80}));
  EXPECT_EQ((*parsed)[1], (PublishedAlias{"backend.mesh.local", 8080}));
  EXPECT_TRUE(parse_aliases("")->empty());
}

TEST(ServiceAttributesTest, MalformedAliasesAreRefused) {
  for (const char* bad : {"backend", "backend:", ":80", "backend:0", "backend:65536", "backend:80,",
                          ",backend:80", "back end:80", "backend:8x", "backend:80,backend:80",
                          "-bad:80", "backend:+80", "backend:00000000080"}) {
    EXPECT_FALSE(parse_aliases(bad)) << bad;
  }
  // One name on two ports is two aliases.
  EXPECT_EQ(parse_aliases("db:5432,db:5433")->size(), 2u);
}

TEST(ServiceAttributesTest, PublishedServiceReadsEveryFerryAttribute) {
  AttributeMap attrs{{"ferry.aliases", "api:80"},
                     {"ferry.protocol", "http"},
                     {"ferry.idle_timeout_seconds", "120"},
                     {"ferry.request_timeout_seconds", "0"},
                     {"zone", "a"}};
  std::string error;
  auto p = parse_published_service(attrs, error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->aliases.size(), 1u);
  EXPECT_EQ(p->protocol, core::AppProtocol::Http);
  EXPECT_EQ(p->idle_timeout_seconds, 120u);
  EXPECT_EQ(p->request_timeout_seconds, 0u);
  // Nothing published is not an error.
  auto none = parse_published_service({}, error);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->protocol);
}

TEST(ServiceAttributesTest, BadFerryAttributesNameTheAttribute) {
  const std::pair<const char*, const char*> cases[] = {
      {"ferry.aliases", "nope"},
      {"ferry.protocol", "quic"},
      {"ferry.idle_timeout_seconds", "-1"},
      {"ferry.request_timeout_seconds", "15s"},
      {"ferry.idle_timeout_seconds", "2147483648"},
  };
  for (const auto& [key, value] : cases) {
    std::string error;
    EXPECT_FALSE(parse_published_service(AttributeMap{{key, value}}, error)) << key;
    EXPECT_NE(error.find(key), std::string::npos) << error;
  }
}

TEST(ServiceAttributesTest, PublishedAttributesOfHttpAndTcpServices) {
  core::ServiceConnectService http;
  http.discovery_name = "api";
  http.app_protocol = core::AppProtocol::Http;
  http.client_aliases = {{80, "api"}};
  http.idle_timeout_seconds = 300;
  http.per_request_timeout_seconds = 15;
  std::string error;
  auto a = published_attributes(http, error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->at("ferry.aliases"), "api:80");
  EXPECT_EQ(a->at("ferry.protocol"), "http");
  EXPECT_EQ(a->at("ferry.idle_timeout_seconds"), "300");
  EXPECT_EQ(a->at("ferry.request_timeout_seconds"), "15");

  core::ServiceConnectService tcp;
  tcp.discovery_name = "db";
  tcp.app_protocol = core::AppProtocol::Tcp;
  tcp.idle_timeout_seconds = 3600;
  tcp.per_request_timeout_seconds.reset();
  auto b = published_attributes(tcp, error);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->contains("ferry.aliases"));
  EXPECT_FALSE(b->contains("ferry.request_timeout_seconds"));
  EXPECT_EQ(b->at("ferry.protocol"), "tcp");
}

TEST(ServiceAttributesTest, AliasesLongerThanOneAttributeValueAreAnError) {
  core::ServiceConnectService s;
  s.discovery_name = "big";
  for (int i = 0; i < 20; ++i) {
    s.client_aliases.push_back({static_cast<std::uint16_t>(1000 + i),
                                std::string(60, 'a') + std::to_string(i) + ".mesh.local"});
  }
  std::string error;
  EXPECT_FALSE(published_attributes(s, error));
  EXPECT_NE(error.find("1024"), std::string::npos) << error;
}

}  // namespace
}  // namespace ferry::discovery
