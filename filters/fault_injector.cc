#include "filters/fault_injector.h"

#include <charconv>

namespace ferry::filters {
namespace {

// A plain decimal number of at most 9 digits (no sign, no spaces).
std::optional<std::uint32_t> parse_small_number(std::string_view text) {
  if (text.empty() || text.size() > 9) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

FaultInjector::FaultInjector(const FaultInjectionOptions& options)
    : options_(options),
      delay_ppm_(percent_to_ppm(options.delay ? options.delay->percent
                                              : (options.header_activation ? 100.0 : 0.0))),
      abort_ppm_(percent_to_ppm(options.abort ? options.abort->percent
                                              : (options.header_activation ? 100.0 : 0.0))) {}

Duration FaultInjector::draw_delay(const FaultHeaders& headers, Prng& prng) {
  Duration delay{0};
  if (options_.header_activation) {
    if (!headers.delay) {
      return Duration::zero();
    }
    const auto ms = parse_small_number(*headers.delay);
    delay = ms ? Duration(std::chrono::milliseconds(*ms)) : Duration::zero();
    if (delay <= Duration::zero() || delay > options_.max_header_delay) {
      invalid_header_.fetch_add(1, std::memory_order_relaxed);
      return Duration::zero();
    }
  } else if (options_.delay) {
    delay = options_.delay->fixed_delay;
  }
  if (delay <= Duration::zero() || !prng.chance_ppm(delay_ppm_)) {
    return Duration::zero();
  }
  return delay;
}

std::uint16_t FaultInjector::draw_abort(const FaultHeaders& headers, Prng& prng) {
  std::uint32_t status = 0;
  if (options_.header_activation) {
    if (!headers.abort) {
      return 0;
    }
    status = parse_small_number(*headers.abort).value_or(0);
    if (status < 200 || status > 599) {
      invalid_header_.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
  } else if (options_.abort) {
    status = options_.abort->http_status;
  }
  if (status < 200 || status > 599 || !prng.chance_ppm(abort_ppm_)) {
    return 0;
  }
  return static_cast<std::uint16_t>(status);
}

FaultDecision FaultInjector::decide(const FaultHeaders& headers, Prng& prng) {
  FaultDecision decision;
  decision.delay = draw_delay(headers, prng);
  decision.abort_status = draw_abort(headers, prng);
  if (!decision.any()) {
    return decision;
  }
  decision.slot = ResourceSlot::try_take(active_, options_.max_active_faults);
  if (!decision.slot) {
    overflow_.fetch_add(1, std::memory_order_relaxed);
    return FaultDecision{};
  }
  if (decision.delay > Duration::zero()) {
    delays_.fetch_add(1, std::memory_order_relaxed);
  }
  if (decision.abort_status != 0) {
    aborts_.fetch_add(1, std::memory_order_relaxed);
  }
  return decision;
}

}  // namespace ferry::filters
