#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace ferry::filters {

// The statistics behind interval-based outlier detection, as pure functions
// over one interval's per-host figures, so they are testable on their own.
// Inputs hold only hosts that qualified (enough volume, not ejected); the
// caller checks the minimum host count. Results are indices into the input,
// worst first, so when max_ejection_percent caps the ejections the worst
// offenders go first.

// Envoy's success-rate rule: a host whose success rate (percent) is below
// mean − stdev_factor × stdev (population standard deviation) of all
// qualifying hosts' rates.
std::vector<std::size_t> success_rate_outliers(std::span<const double> success_rates,
                                               double stdev_factor);

// ferry's latency rule: a host whose mean latency is above
// threshold_factor × the median of the *other* hosts' means and exceeds that
// median by at least minimum_excess (same unit as the means). The median of
// the others, not the mean of all, so one very slow host cannot raise the
// bar it is measured against, and the absolute excess keeps sub-millisecond
// noise (50 µs vs 150 µs) from ever ejecting anyone.
std::vector<std::size_t> latency_outliers(std::span<const double> mean_latencies,
                                          double threshold_factor, double minimum_excess);

}  // namespace ferry::filters
