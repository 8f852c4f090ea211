#include "proxy/core/stats.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <prometheus/text_serializer.h>

namespace ferry::core {
namespace {

thread_local std::uint32_t t_stats_shard = 0;

}  // namespace

void set_stats_shard(std::uint32_t shard) {
  t_stats_shard = shard;
}
std::uint32_t stats_shard() {
  return t_stats_shard;
}

detail::SeriesCells::~SeriesCells() {
  if (store != nullptr) {
    store->release(first, width);
  }
}

StatsStore::StatsStore(std::uint32_t shards)
    : shards_(std::max<std::uint32_t>(shards, 1)),
      blocks_(new std::atomic<std::atomic<std::uint64_t>*>[std::size_t{kMaxBlocks} * shards_]) {
  for (std::size_t i = 0; i < std::size_t{kMaxBlocks} * shards_; ++i) {
    blocks_[i].store(nullptr, std::memory_order_relaxed);
  }
}

StatsStore::~StatsStore() {
  for (std::size_t i = 0; i < std::size_t{kMaxBlocks} * shards_; ++i) {
    delete[] blocks_[i].load(std::memory_order_relaxed);
  }
}

std::uint64_t StatsStore::sum(std::uint32_t index) const {
  std::uint64_t total = 0;
  for (std::uint32_t s = 0; s < shards_; ++s) {
    total += cell(s, index).load(std::memory_order_relaxed);
  }
  return total;
}

std::shared_ptr<detail::SeriesCells> StatsStore::allocate(std::uint32_t width) {
  std::lock_guard lock(mutex_);
  std::uint32_t first = 0;
  auto reuse = free_by_width_.find(width);
  if (reuse != free_by_width_.end()) {
    first = reuse->second;
    free_by_width_.erase(reuse);
  } else {
    // A series never straddles two blocks, so a histogram's cells stay adjacent.
    if ((next_ & kBlockMask) + width > kBlockCells) {
      next_ = (next_ | kBlockMask) + 1;
    }
    first = next_;
    if ((first + width - 1) >> kBlockBits >= kMaxBlocks) {
      throw std::length_error("stats store is full");
    }
    next_ += width;
    const std::uint32_t block = first >> kBlockBits;
    for (std::uint32_t s = 0; s < shards_; ++s) {
      auto& slot = blocks_[block * shards_ + s];
      if (slot.load(std::memory_order_relaxed) == nullptr) {
        auto* cells = new std::atomic<std::uint64_t>[kBlockCells];
        for (std::uint32_t i = 0; i < kBlockCells; ++i) {
          cells[i].store(0, std::memory_order_relaxed);
        }
        slot.store(cells, std::memory_order_release);
      }
    }
  }
  auto series = std::make_shared<detail::SeriesCells>();
  series->store = this;
  series->first = first;
  series->width = width;
  return series;
}

void StatsStore::release(std::uint32_t first, std::uint32_t width) {
  std::lock_guard lock(mutex_);
  for (std::uint32_t s = 0; s < shards_; ++s) {
    for (std::uint32_t i = 0; i < width; ++i) {
      cell(s, first + i).store(0, std::memory_order_relaxed);
    }
  }
  free_by_width_.emplace(width, first);
}

void Gauge::set(std::int64_t value) const noexcept {
  if (store_ == nullptr) {
    return;
  }
  // Shard deltas from add() are kept; set() moves the owner's shard so the sum
  // equals `value`.
  const std::uint32_t own = stats_shard();
  std::uint64_t others = 0;
  for (std::uint32_t s = 0; s < store_->shards(); ++s) {
    if (s != own) {
      others += store_->cell(s, index_).load(std::memory_order_relaxed);
    }
  }
  store_->cell(own, index_)
      .store(static_cast<std::uint64_t>(value) - others, std::memory_order_relaxed);
}

const HistogramBounds& default_latency_bounds() {
  static const HistogramBounds bounds = [] {
    HistogramBounds b;
    for (double ms : {0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0,
                      5000.0, 10000.0, 30000.0, 60000.0}) {
      b.push_back(static_cast<std::uint64_t>(ms * 1e6));
    }
    return b;
  }();
  return bounds;
}

void Histogram::observe(std::uint64_t value) const noexcept {
  if (store_ == nullptr) {
    return;
  }
  const auto& bounds = *bounds_;
  const auto bucket = static_cast<std::uint32_t>(
      std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
  const std::uint32_t shard = stats_shard();
  auto& b = store_->cell(shard, index_ + bucket);
  b.store(b.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  auto& s = store_->cell(shard, index_ + static_cast<std::uint32_t>(bounds.size()) + 1);
  s.store(s.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  if (store_ == nullptr) {
    return snap;
  }
  const auto finite = static_cast<std::uint32_t>(bounds_->size());
  snap.buckets.resize(finite + 1);
  for (std::uint32_t i = 0; i <= finite; ++i) {
    snap.buckets[i] = store_->sum(index_ + i);
    snap.count += snap.buckets[i];
  }
  snap.sum = store_->sum(index_ + finite + 1);
  return snap;
}

struct StatsRegistry::Family {
  std::string name;
  std::string help;
  prometheus::MetricType type;
  std::vector<std::string> label_names;
  std::shared_ptr<const HistogramBounds> bounds;  // histograms only
  double unit_scale = 1.0;
  std::map<LabelValues, std::weak_ptr<detail::SeriesCells>> series;
  std::vector<std::pair<LabelValues, std::function<double()>>> callbacks;
};

StatsRegistry::Family StatsRegistry::make_family(std::string name, std::string help,
                                                 prometheus::MetricType type,
                                                 std::vector<std::string> label_names) {
  Family family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  family.label_names = std::move(label_names);
  return family;
}

StatsRegistry::StatsRegistry(std::uint32_t shards) : store_(shards) {}
StatsRegistry::~StatsRegistry() = default;

StatsRegistry::FamilyId StatsRegistry::counter_family(std::string name, std::string help,
                                                      std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return declare(make_family(std::move(name), std::move(help), prometheus::MetricType::Counter,
                             std::move(label_names)));
}

StatsRegistry::FamilyId StatsRegistry::gauge_family(std::string name, std::string help,
                                                    std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  return declare(make_family(std::move(name), std::move(help), prometheus::MetricType::Gauge,
                             std::move(label_names)));
}

StatsRegistry::FamilyId StatsRegistry::histogram_family(std::string name, std::string help,
                                                        std::vector<std::string> label_names,
                                                        const HistogramBounds& bounds,
                                                        double unit_scale) {
  std::lock_guard lock(mutex_);
  Family family = make_family(std::move(name), std::move(help), prometheus::MetricType::Histogram,
                              std::move(label_names));
  family.bounds = std::make_shared<const HistogramBounds>(bounds);
  family.unit_scale = unit_scale;
  return declare(std::move(family));
}

StatsRegistry::FamilyId StatsRegistry::declare(Family family) {
  auto& families = families_;
  for (std::size_t i = 0; i < families.size(); ++i) {
    const auto& existing = *families[i];
    if (existing.name != family.name) {
      continue;
    }
    if (existing.type != family.type || existing.label_names != family.label_names) {
      throw std::logic_error("metric family redeclared differently: " + family.name);
    }
    return {i};
  }
  families.push_back(std::make_unique<Family>(std::move(family)));
  return {families.size() - 1};
}

StatsRegistry::Family& StatsRegistry::family_checked(FamilyId id, std::size_t values) {
  Family& family = *families_.at(id.index);
  if (values != family.label_names.size()) {
    throw std::logic_error("wrong number of label values for " + family.name);
  }
  return family;
}

std::shared_ptr<detail::SeriesCells> StatsRegistry::series(Family& family, LabelValues values) {
  auto& slot = family.series[std::move(values)];
  if (auto live = slot.lock()) {
    return live;
  }
  const std::uint32_t width =
      family.bounds ? static_cast<std::uint32_t>(family.bounds->size()) + 2 : 1;
  auto cells = store_.allocate(width);
  slot = cells;
  return cells;
}

Counter StatsRegistry::counter(FamilyId id, LabelValues values) {
  std::lock_guard lock(mutex_);
  Family& family = family_checked(id, values.size());
  return Counter(series(family, std::move(values)));
}

Gauge StatsRegistry::gauge(FamilyId id, LabelValues values) {
  std::lock_guard lock(mutex_);
  Family& family = family_checked(id, values.size());
  return Gauge(series(family, std::move(values)));
}

Histogram StatsRegistry::histogram(FamilyId id, LabelValues values) {
  std::lock_guard lock(mutex_);
  Family& family = family_checked(id, values.size());
  return Histogram(series(family, std::move(values)), family.bounds);
}

void StatsRegistry::callback_gauge(FamilyId id, LabelValues values, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  Family& family = family_checked(id, values.size());
  family.callbacks.emplace_back(std::move(values), std::move(read));
}

namespace {

std::vector<prometheus::ClientMetric::Label> labels_of(const std::vector<std::string>& names,
                                                       const LabelValues& values) {
  std::vector<prometheus::ClientMetric::Label> labels(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    labels[i].name = names[i];
    labels[i].value = values[i];
  }
  return labels;
}

}  // namespace

std::vector<prometheus::MetricFamily> StatsRegistry::Collect() const {
  std::lock_guard lock(mutex_);
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families_.size());
  for (const auto& family_ptr : families_) {
    auto& family = *family_ptr;
    prometheus::MetricFamily mf{family.name, family.help, family.type, {}};
    for (auto it = family.series.begin(); it != family.series.end();) {
      auto cells = it->second.lock();
      if (!cells) {
        it = family.series.erase(it);
        continue;
      }
      prometheus::ClientMetric metric;
      metric.label = labels_of(family.label_names, it->first);
      switch (family.type) {
        case prometheus::MetricType::Counter:
          metric.counter.value = static_cast<double>(store_.sum(cells->first));
          break;
        case prometheus::MetricType::Gauge:
          metric.gauge.value =
              static_cast<double>(static_cast<std::int64_t>(store_.sum(cells->first)));
          break;
        default: {
          const auto finite = static_cast<std::uint32_t>(family.bounds->size());
          std::uint64_t cumulative = 0;
          for (std::uint32_t i = 0; i <= finite; ++i) {
            cumulative += store_.sum(cells->first + i);
            prometheus::ClientMetric::Bucket bucket;
            bucket.cumulative_count = cumulative;
            bucket.upper_bound = i < finite
                                     ? static_cast<double>((*family.bounds)[i]) * family.unit_scale
                                     : std::numeric_limits<double>::infinity();
            metric.histogram.bucket.push_back(bucket);
          }
          metric.histogram.sample_count = cumulative;
          metric.histogram.sample_sum =
              static_cast<double>(store_.sum(cells->first + finite + 1)) * family.unit_scale;
          break;
        }
      }
      mf.metric.push_back(std::move(metric));
      ++it;
    }
    for (const auto& [values, read] : family.callbacks) {
      prometheus::ClientMetric metric;
      metric.label = labels_of(family.label_names, values);
      metric.gauge.value = read();
      mf.metric.push_back(std::move(metric));
    }
    if (!mf.metric.empty()) {
      out.push_back(std::move(mf));
    }
  }
  return out;
}

std::string StatsRegistry::serialize() const {
  return prometheus::TextSerializer().Serialize(Collect());
}

}  // namespace ferry::core
