#include "filters/fault_injector.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

using std::chrono::milliseconds;

TEST(FaultInjector, NoFaultsConfiguredNeverFires) {
  FaultInjector faults(FaultInjectionOptions{});
  Prng prng(1);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(faults.decide({.delay = "100", .abort = "503"}, prng).any());
  }
  EXPECT_EQ(faults.delays_total() + faults.aborts_total(), 0u);
}

TEST(FaultInjector, PercentagesHoldOverManyDraws) {
  FaultInjectionOptions options;
  options.delay = FaultDelayOptions{.fixed_delay = milliseconds(200), .percent = 30};
  options.abort = FaultAbortOptions{.http_status = 503, .percent = 10};
  options.max_active_faults = 1'000'000;
  FaultInjector faults(options);
  Prng prng(12345);
  constexpr int kDraws = 100'000;
  int delayed = 0;
  int aborted = 0;
  int both = 0;
  for (int i = 0; i < kDraws; ++i) {
    const FaultDecision d = faults.decide({}, prng);
    if (d.delay > Duration::zero()) {
      EXPECT_EQ(d.delay, milliseconds(200));
      ++delayed;
    }
    if (d.abort_status != 0) {
      EXPECT_EQ(d.abort_status, 503);
      ++aborted;
    }
    both += (d.delay > Duration::zero() && d.abort_status != 0) ? 1 : 0;
  }
  // Binomial sd: ~145 for 30%, ~95 for 10%; allow 5 sd.
  EXPECT_NEAR(delayed, 30'000, 725);
  EXPECT_NEAR(aborted, 10'000, 475);
  EXPECT_NEAR(both, 3'000, 270);  // independent draws
  EXPECT_EQ(faults.delays_total(), static_cast<std::uint64_t>(delayed));
  EXPECT_EQ(faults.aborts_total(), static_cast<std::uint64_t>(aborted));
  EXPECT_EQ(faults.active(), 0u);  // every decision was dropped
}

TEST(FaultInjector, SmallPercentagesAreExact) {
  FaultInjectionOptions options;
  options.abort = FaultAbortOptions{.http_status = 500, .percent = 0.5};
  FaultInjector faults(options);
  Prng prng(99);
  int aborted = 0;
  for (int i = 0; i < 200'000; ++i) {
    aborted += faults.decide({}, prng).abort_status != 0 ? 1 : 0;
  }
  EXPECT_NEAR(aborted, 1000, 160);
}

TEST(FaultInjector, HeaderActivationUsesTheHeaderValues) {
  FaultInjectionOptions options;
  options.header_activation = true;
  FaultInjector faults(options);
  Prng prng(1);
  EXPECT_FALSE(faults.decide({}, prng).any());
  const FaultDecision delay = faults.decide({.delay = "250"}, prng);
  EXPECT_EQ(delay.delay, milliseconds(250));
  EXPECT_EQ(delay.abort_status, 0);
  const FaultDecision abort = faults.decide({.abort = "429"}, prng);
  EXPECT_EQ(abort.abort_status, 429);
  EXPECT_EQ(abort.delay, Duration::zero());
  const FaultDecision both = faults.decide({.delay = "5", .abort = "503"}, prng);
  EXPECT_EQ(both.delay, milliseconds(5));
  EXPECT_EQ(both.abort_status, 503);
  EXPECT_EQ(faults.delays_total(), 2u);
  EXPECT_EQ(faults.aborts_total(), 2u);
}

TEST(FaultInjector, HeaderActivationKeepsTheConfiguredPercent) {
  FaultInjectionOptions options;
  options.header_activation = true;
  options.abort = FaultAbortOptions{.http_status = 500, .percent = 25};
  FaultInjector faults(options);
  Prng prng(8);
  int aborted = 0;
  for (int i = 0; i < 40'000; ++i) {
    const FaultDecision d = faults.decide({.abort = "418"}, prng);
    if (d.abort_status != 0) {
      EXPECT_EQ(d.abort_status, 418);  // the header's status, not the config's
      ++aborted;
    }
  }
  EXPECT_NEAR(aborted, 10'000, 450);
}

TEST(FaultInjector, BadHeadersAreIgnoredAndCounted) {
  FaultInjectionOptions options;
  options.header_activation = true;
  options.max_header_delay = std::chrono::seconds(10);
  FaultInjector faults(options);
  Prng prng(1);
  const std::vector<FaultHeaders> bad = {
      {.delay = ""},      {.delay = "abc"}, {.delay = "-5"},   {.delay = "0"},
      {.delay = "10001"}, {.delay = "1e3"}, {.delay = " 100"}, {.delay = "9999999999"},
      {.abort = "199"},   {.abort = "600"}, {.abort = "50x"},  {.abort = ""},
  };
  for (const auto& headers : bad) {
    EXPECT_FALSE(faults.decide(headers, prng).any());
  }
  EXPECT_EQ(faults.invalid_header_total(), bad.size());
  EXPECT_EQ(faults.decide({.delay = "10000"}, prng).delay, std::chrono::seconds(10));
}

TEST(FaultInjector, HeadersAreIgnoredWithoutHeaderActivation) {
  FaultInjectionOptions options;
  options.delay = FaultDelayOptions{.fixed_delay = milliseconds(50), .percent = 100};
  FaultInjector faults(options);
  Prng prng(1);
  const FaultDecision d = faults.decide({.delay = "9000", .abort = "500"}, prng);
  EXPECT_EQ(d.delay, milliseconds(50));
  EXPECT_EQ(d.abort_status, 0);
}

TEST(FaultInjector, ActiveFaultsAreCapped) {
  FaultInjectionOptions options;
  options.delay = FaultDelayOptions{.fixed_delay = milliseconds(1000), .percent = 100};
  options.max_active_faults = 3;
  FaultInjector faults(options);
  Prng prng(1);
  std::vector<FaultDecision> in_progress;
  for (int i = 0; i < 3; ++i) {
    in_progress.push_back(faults.decide({}, prng));
    EXPECT_TRUE(in_progress.back().any());
  }
  EXPECT_EQ(faults.active(), 3u);
  EXPECT_FALSE(faults.decide({}, prng).any());  // passes untouched
  EXPECT_EQ(faults.overflow_total(), 1u);
  in_progress.pop_back();  // one faulted request finished
  EXPECT_EQ(faults.active(), 2u);
  EXPECT_TRUE(faults.decide({}, prng).any());
  EXPECT_EQ(faults.delays_total(), 4u);
}

}  // namespace
}  // namespace ferry::filters
