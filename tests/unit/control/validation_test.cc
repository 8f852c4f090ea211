#include "control/validation.h"

#include <gtest/gtest.h>

namespace ferry::control {
namespace {

TEST(Validation, ServiceNamesFollowTheModelPattern) {
  for (const char* good : {"web", "a", "_svc", "my-service", "a.b.c", "x_y", ".", "A9"}) {
    EXPECT_TRUE(is_valid_service_name(good)) << good;
  }
  for (const char* bad :
       {"", "../../etc", "-a", "a-", "a..b", ".a", "a.", "_", "a b", "a/b", "caf\xc3\xa9"}) {
    EXPECT_FALSE(is_valid_service_name(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_service_name(std::string(63, 'a')));
  EXPECT_FALSE(is_valid_service_name(std::string(64, 'a')));
  EXPECT_TRUE(is_valid_service_name(std::string(63, 'a') + "." + std::string(63, 'b')));
  EXPECT_FALSE(is_valid_service_name(std::string(63, 'a') + "." + std::string(62, 'b') + ".c"));
}

TEST(Validation, NamespaceNames) {
  EXPECT_TRUE(is_valid_http_namespace_name("mesh.local"));
  EXPECT_TRUE(is_valid_http_namespace_name("a!~"));
  EXPECT_FALSE(is_valid_http_namespace_name("arn:aws:x"));
  EXPECT_FALSE(is_valid_http_namespace_name("a b"));
  EXPECT_FALSE(is_valid_http_namespace_name(""));
  EXPECT_FALSE(is_valid_http_namespace_name(std::string(1025, 'a')));
  EXPECT_TRUE(is_valid_namespace_name("arn:aws:x"));
}

TEST(Validation, InstanceIds) {
  EXPECT_TRUE(is_valid_instance_id("i-0a/b:c.d@e_f"));
  EXPECT_TRUE(is_valid_instance_id(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_instance_id(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_instance_id(""));
  EXPECT_FALSE(is_valid_instance_id("a b"));
  EXPECT_FALSE(is_valid_instance_id("a\\b"));
}

TEST(Validation, AddressesAndAttributeValues) {
  for (const char* good : {"0.0.0.0", "10.0.0.1", "255.255.255.255"}) {
    EXPECT_TRUE(is_valid_ipv4(good)) << good;
  }
  for (const char* bad : {"999.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.", "a.b.c.d", "",
                          "256.0.0.1", "1..2.3"}) {
    EXPECT_FALSE(is_valid_ipv4(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_ipv6("::1"));
  EXPECT_TRUE(is_valid_ipv6("2001:db8::8a2e:370:7334"));
  EXPECT_FALSE(is_valid_ipv6("2001:db8::g"));
  EXPECT_FALSE(is_valid_ipv6("1.2.3.4"));
  EXPECT_TRUE(is_valid_attribute_value(""));
  EXPECT_TRUE(is_valid_attribute_value("a b\tc "));
  EXPECT_FALSE(is_valid_attribute_value(" a"));
  EXPECT_FALSE(is_valid_attribute_value("a\nb"));
  EXPECT_FALSE(is_valid_attribute_value(std::string(1025, 'a')));
  EXPECT_FALSE(is_valid_attribute_key(""));
  EXPECT_FALSE(is_valid_attribute_key("a b"));
}

TEST(Validation, ReservedAttributesAndQuotas) {
  AttributeLimits limits;
  EXPECT_FALSE(validate_attributes({{"AWS_INSTANCE_IPV4", "10.0.0.1"},
                                    {"AWS_INSTANCE_PORT", "8080"},
                                    {"AWS_INIT_HEALTH_STATUS", "UNHEALTHY"}},
                                   limits)
                   .has_value());
  auto port = validate_attributes({{"AWS_INSTANCE_PORT", "080"}}, limits);
  ASSERT_TRUE(port.has_value());
  EXPECT_NE(port->message.find("AWS_INSTANCE_PORT"), std::string::npos);
  Attributes thirty;
  for (int i = 0; i < 30; ++i) {
    thirty.emplace_back("k" + std::to_string(i), "v");
  }
  thirty.emplace_back("AWS_INSTANCE_IPV4", "1.2.3.4");  // reserved ones do not count
  EXPECT_FALSE(validate_attributes(thirty, limits).has_value());
  thirty.emplace_back("k30", "v");
  EXPECT_TRUE(validate_attributes(thirty, limits).has_value());
  EXPECT_TRUE(validate_attributes({{"AWS_EC2_INSTANCE_ID", "i-1"}, {"x", "y"}}, limits));
  EXPECT_FALSE(validate_attributes(
      {{"AWS_EC2_INSTANCE_ID", "i-1"}, {"AWS_INIT_HEALTH_STATUS", "HEALTHY"}}, limits));
}

}  // namespace
}  // namespace ferry::control
