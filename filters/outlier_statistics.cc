#include "filters/outlier_statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ferry::filters {

std::vector<std::size_t> success_rate_outliers(std::span<const double> success_rates,
                                               double stdev_factor) {
  std::vector<std::size_t> outliers;
  const std::size_t n = success_rates.size();
  if (n == 0) {
    return outliers;
  }
  const double mean =
      std::accumulate(success_rates.begin(), success_rates.end(), 0.0) / static_cast<double>(n);
  double variance = 0.0;
  for (double rate : success_rates) {
    variance += (rate - mean) * (rate - mean);
  }
  variance /= static_cast<double>(n);
  const double threshold = mean - stdev_factor * std::sqrt(variance);
  for (std::size_t i = 0; i < n; ++i) {
    if (success_rates[i] < threshold) {
      outliers.push_back(i);
    }
  }
  std::stable_sort(outliers.begin(), outliers.end(), [&](std::size_t a, std::size_t b) {
    return success_rates[a] < success_rates[b];
  });
  return outliers;
}

std::vector<std::size_t> latency_outliers(std::span<const double> mean_latencies,
                                          double threshold_factor, double minimum_excess) {
  std::vector<std::size_t> outliers;
  const std::size_t n = mean_latencies.size();
  if (n < 2) {
    return outliers;
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return mean_latencies[a] < mean_latencies[b];
  });
  // sorted[j] of the n − 1 others once the host at sorted position p is
  // taken out: O(1) per host instead of a sort per host.
  const auto other = [&](std::size_t p, std::size_t j) {
    return mean_latencies[order[j < p ? j : j + 1]];
  };
  const std::size_t k = n - 1;
  for (std::size_t p = 0; p < n; ++p) {
    const double median =
        (k % 2 == 1) ? other(p, k / 2) : (other(p, k / 2 - 1) + other(p, k / 2)) / 2.0;
    const double mean = mean_latencies[order[p]];
    if (mean > threshold_factor * median && mean - median >= minimum_excess) {
      outliers.push_back(order[p]);
    }
  }
  std::reverse(outliers.begin(), outliers.end());  // slowest first
  return outliers;
}

}  // namespace ferry::filters
