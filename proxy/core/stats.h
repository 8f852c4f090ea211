#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace ferry::core {

// The stats store: sharded cells, one shard per thread that writes stats.
//
// Every thread that bumps counters owns one shard (the main thread is shard 0,
// worker i is shard i + 1; see set_stats_shard). A metric series is an index
// into every shard. A write touches only the writer's own shard, with a
// relaxed load and store (no read-modify-write, no lock): each cell has one
// writer. A scrape sums the series' cells over all shards. Cells of one shard
// are contiguous, so workers never share cache lines.
//
// Series are created and destroyed on the main thread (or under the store's
// mutex from any thread); destroying one returns its cells to a free list.
// The owner of a series must guarantee no thread still writes it: in ferry
// series are owned by snapshots, which are released on main only after every
// worker dropped them.

// Selects the shard the calling thread writes to. Called once at the start of
// each worker thread; threads that never call it write shard 0.
void set_stats_shard(std::uint32_t shard);
std::uint32_t stats_shard();

class StatsStore;

namespace detail {

// The cells a series owns: `width` consecutive cells in each shard.
struct SeriesCells {
  StatsStore* store = nullptr;
  std::uint32_t first = 0;
  std::uint32_t width = 0;
  ~SeriesCells();
};

}  // namespace detail

// Fixed-capacity, lock-free-to-write cell arrays. Capacity is reserved as a
// table of lazily allocated blocks so cells never move once handed out.
class StatsStore {
 public:
  // `shards`: 1 + the number of worker threads (fixed for the process life).
  explicit StatsStore(std::uint32_t shards);
  ~StatsStore();
  StatsStore(const StatsStore&) = delete;
  StatsStore& operator=(const StatsStore&) = delete;

  std::uint32_t shards() const { return shards_; }

  // The cell `index` of `shard`; valid for as long as the index is allocated.
  std::atomic<std::uint64_t>& cell(std::uint32_t shard, std::uint32_t index) const {
    const std::uint32_t block = index >> kBlockBits;
    return blocks_[block * shards_ + shard].load(std::memory_order_acquire)[index & kBlockMask];
  }

  // Sum of one cell over every shard (wrapping: gauges rely on it).
  std::uint64_t sum(std::uint32_t index) const;

  // Allocates `width` consecutive zeroed cells in every shard.
  std::shared_ptr<detail::SeriesCells> allocate(std::uint32_t width);

 private:
  friend struct detail::SeriesCells;
  static constexpr std::uint32_t kBlockBits = 10;
  static constexpr std::uint32_t kBlockCells = 1u << kBlockBits;
  static constexpr std::uint32_t kBlockMask = kBlockCells - 1;
  static constexpr std::uint32_t kMaxBlocks = 4096;  // 4 M cells per shard

  void release(std::uint32_t first, std::uint32_t width);

  const std::uint32_t shards_;
  std::unique_ptr<std::atomic<std::atomic<std::uint64_t>*>[]> blocks_;
  std::mutex mutex_;
  std::uint32_t next_ = 0;                                     // guarded by mutex_
  std::multimap<std::uint32_t, std::uint32_t> free_by_width_;  // width -> first
};

// A monotonically increasing count. Copyable handle that keeps its cells
// alive; inc() is for any thread (it writes the caller's shard).
class Counter {
 public:
  Counter() = default;
  void inc(std::uint64_t n = 1) const noexcept {
    if (store_ == nullptr) {
      return;
    }
    auto& c = store_->cell(stats_shard(), index_);
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const { return store_ == nullptr ? 0 : store_->sum(index_); }

 private:
  friend class StatsRegistry;
  explicit Counter(std::shared_ptr<detail::SeriesCells> cells)
      : cells_(std::move(cells)), store_(cells_->store), index_(cells_->first) {}
  std::shared_ptr<detail::SeriesCells> cells_;
  StatsStore* store_ = nullptr;
  std::uint32_t index_ = 0;
};

// A value that goes up and down. add() from any thread: each shard keeps a
// delta and the scrape sums them (so a connection opened on one worker and
// closed on another still nets to zero). set() replaces the value and is only
// for a gauge that a single thread owns (e.g. main's snapshot state).
class Gauge {
 public:
  Gauge() = default;
  void add(std::int64_t delta) const noexcept {
    if (store_ == nullptr) {
      return;
    }
    auto& c = store_->cell(stats_shard(), index_);
    c.store(c.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(delta),
            std::memory_order_relaxed);
  }
  void inc() const noexcept { add(1); }
  void dec() const noexcept { add(-1); }
  void set(std::int64_t value) const noexcept;
  std::int64_t value() const {
    return store_ == nullptr ? 0 : static_cast<std::int64_t>(store_->sum(index_));
  }

 private:
  friend class StatsRegistry;
  explicit Gauge(std::shared_ptr<detail::SeriesCells> cells)
      : cells_(std::move(cells)), store_(cells_->store), index_(cells_->first) {}
  std::shared_ptr<detail::SeriesCells> cells_;
  StatsStore* store_ = nullptr;
  std::uint32_t index_ = 0;
};

// Upper bounds (inclusive) of a histogram's finite buckets, in nanoseconds.
using HistogramBounds = std::vector<std::uint64_t>;

// Latency buckets shared by ferry's duration histograms: 0.5 ms … 60 s.
const HistogramBounds& default_latency_bounds();

// Fixed-bucket histogram of durations (or any non-negative integer, with
// `unit_scale` converting to the exposed base unit). Cells per shard: one per
// finite bucket, one for +Inf, one for the sum.
class Histogram {
 public:
  Histogram() = default;
  void observe(std::uint64_t value) const noexcept;

  struct Snapshot {
    std::vector<std::uint64_t> buckets;  // non-cumulative, last is +Inf
    std::uint64_t sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  friend class StatsRegistry;
  Histogram(std::shared_ptr<detail::SeriesCells> cells,
            std::shared_ptr<const HistogramBounds> bounds)
      : cells_(std::move(cells)),
        bounds_(std::move(bounds)),
        store_(cells_->store),
        index_(cells_->first) {}
  std::shared_ptr<detail::SeriesCells> cells_;
  std::shared_ptr<const HistogramBounds> bounds_;
  StatsStore* store_ = nullptr;
  std::uint32_t index_ = 0;
};

using LabelValues = std::vector<std::string>;

// Metric families with their label names, and the Prometheus exposition of
// everything registered. Registration (the *_family and series calls) takes a
// mutex and allocates: do it when a listener, cluster or snapshot is built,
// never per request. Collect() runs on the admin (main) thread.
class StatsRegistry : public prometheus::Collectable {
 public:
  explicit StatsRegistry(std::uint32_t shards);
  ~StatsRegistry() override;

  StatsStore& store() { return store_; }

  // Declares a family; declaring the same name again returns the same family
  // (its type, help and label names must match, else std::logic_error).
  struct FamilyId {
    // Invalid until declared: a forgotten declaration fails loudly.
    std::size_t index = static_cast<std::size_t>(-1);
  };
  FamilyId counter_family(std::string name, std::string help,
                          std::vector<std::string> label_names = {});
  FamilyId gauge_family(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  FamilyId histogram_family(std::string name, std::string help,
                            std::vector<std::string> label_names, const HistogramBounds& bounds,
                            double unit_scale);

  // The series with these label values: the live one if someone still holds
  // it (so counts continue across config swaps), else a new zeroed one. The
  // number of values must equal the family's label names.
  Counter counter(FamilyId family, LabelValues values);
  Gauge gauge(FamilyId family, LabelValues values);
  Histogram histogram(FamilyId family, LabelValues values);

  // A gauge computed at scrape time on the main thread (snapshot age, ...).
  // Lives until the registry does.
  void callback_gauge(FamilyId family, LabelValues values, std::function<double()> read);

  // prometheus::Collectable: one MetricFamily per declared family that has
  // at least one live series.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // The text exposition format 0.0.4 of Collect().
  std::string serialize() const;

 private:
  struct Family;
  static Family make_family(std::string name, std::string help, prometheus::MetricType type,
                            std::vector<std::string> label_names);
  FamilyId declare(Family family);  // requires mutex_
  Family& family_checked(FamilyId id, std::size_t values);
  std::shared_ptr<detail::SeriesCells> series(Family& family, LabelValues values);

  StatsStore store_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

}  // namespace ferry::core
