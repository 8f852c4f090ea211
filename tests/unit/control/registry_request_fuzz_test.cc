// Replays the F9 harness (registry_request_fuzz.h) over hand-written seeds
// and a few thousand deterministic mutations of them, so CI exercises it
// without libFuzzer.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "control/api.h"
#include "tests/unit/control/registry_request_fuzz.h"

namespace ferry::control {
namespace {

std::vector<std::string> seeds() {
  const std::vector<std::string> bodies = {
      "{}",
      R"({"Name":"a.local","CreatorRequestId":"t","Tags":[{"Key":"k","Value":"v"}]})",
      R"({"Id":"ns-0000000000000000"})",
      R"({"Name":"svc","NamespaceId":"ns-1","HealthCheckCustomConfig":{"FailureThreshold":1}})",
      R"({"ServiceId":"srv-1","InstanceId":"i-2","Attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1","AWS_INSTANCE_PORT":"80"}})",
      R"({"NamespaceName":"fuzz.local","ServiceName":"web","MaxResults":10,"HealthStatus":"ALL","QueryParameters":{"a":"b"}})",
      R"({"Filters":[{"Name":"TYPE","Values":["HTTP"],"Condition":"EQ"}],"MaxResults":1})",
      R"({"Filters":[{"Name":"UPDATE_DATE","Values":["0","9"],"Condition":"BETWEEN"}]})",
      R"({"ResourceARN":"arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-1","TagKeys":["k"]})",
      R"({"ServiceId":"srv-1","InstanceId":"i-1","Status":"UNHEALTHY"})",
      std::string(100, '[') + std::string(100, ']'),
      "{\"a\":\"\xff\"}",
  };
  std::vector<std::string> out;
  for (std::size_t action = 0; action < Api::actions().size(); ++action) {
    for (const std::string& body : bodies) {
      out.push_back(std::string(1, static_cast<char>(action)) + body);
    }
  }
  return out;
}

std::string mutate(std::string input, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !input.empty(); ++e) {
    const std::size_t at = rng() % input.size();
    switch (rng() % 5) {
      case 0:
        input[at] = static_cast<char>(rng() % 256);
        break;
      case 1:
        input.erase(at, 1 + rng() % 8);
        break;
      case 2:
        input.insert(at, std::string(1 + rng() % 40, "[{\"]},:"[rng() % 7]));
        break;
      case 3:
        input.insert(at,
                     "\"MaxResults\":-1,\"Id\":\"arn:aws:servicediscovery:us-east-1:000000000000:");
        break;
      default:
        input.resize(at);
        break;
    }
  }
  return input;
}

TEST(RegistryRequestFuzz, SeedsAndMutationsKeepTheInvariants) {
  std::mt19937 rng(20261122);
  std::size_t runs = 0;
  for (const std::string& seed : seeds()) {
    fuzz_registry_request_json(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size());
    ++runs;
    for (int i = 0; i < 8; ++i) {
      const std::string input = mutate(seed, rng);
      fuzz_registry_request_json(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
      ++runs;
    }
  }
  EXPECT_GT(runs, 2500u);
}

}  // namespace
}  // namespace ferry::control
