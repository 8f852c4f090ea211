#include "filters/outlier_detector.h"

#include <algorithm>

#include "filters/host.h"
#include "filters/outlier_statistics.h"

namespace ferry::filters {
namespace {

void reset_consecutive(Host& host) {
  host.stats.consecutive_5xx.store(0, kRelaxed);
  host.stats.consecutive_gateway_failures.store(0, kRelaxed);
}

}  // namespace

OutlierDetector::OutlierDetector(const OutlierDetectionOptions& options) : options_(options) {}

OutlierDetector::~OutlierDetector() {
  // A Host outlives its cluster's detector (a reload may replace the
  // detector while the registry keeps the hosts): leave no flag behind that
  // nobody would ever clear.
  for (Record& record : records_) {
    if (record.ejected) {
      record.host->state.ejected.store(false, kRelaxed);
    }
  }
}

void OutlierDetector::take_baseline(Record& record) {
  const Host::Stats& stats = record.host->stats;
  record.requests_base = stats.requests_total.load(kRelaxed);
  record.failures_base = stats.failures_total.load(kRelaxed);
  record.latency_sum_base = stats.latency_sum_ns.load(kRelaxed);
  record.latency_count_base = stats.latency_count.load(kRelaxed);
}

OutlierDetector::IntervalFigures OutlierDetector::advance_baseline(Record& record) {
  const Record before = record;
  take_baseline(record);
  // Each counter is read on its own, so a worker may have bumped requests
  // but not yet failures: clamp rather than trust the pair.
  IntervalFigures figures;
  figures.requests = record.requests_base - before.requests_base;
  figures.failures = std::min(record.failures_base - before.failures_base, figures.requests);
  figures.latency_sum = record.latency_sum_base - before.latency_sum_base;
  figures.latency_count = record.latency_count_base - before.latency_count_base;
  return figures;
}

void OutlierDetector::set_hosts(std::span<const std::shared_ptr<Host>> hosts, TimePoint now) {
  std::vector<Record> next;
  next.reserve(hosts.size());
  std::unordered_map<const Host*, std::size_t> next_index;
  for (const auto& host : hosts) {
    if (host == nullptr || next_index.contains(host.get())) {
      continue;
    }
    if (Record* existing = find(*host)) {
      next.push_back(std::move(*existing));
      existing->host = nullptr;  // moved: not "left"
    } else {
      Record record;
      record.host = host;
      record.in_service_since = now;
      take_baseline(record);
      next.push_back(std::move(record));
    }
    next_index.emplace(host.get(), next.size() - 1);
  }
  for (Record& gone : records_) {
    if (gone.host != nullptr && gone.ejected) {
      gone.host->state.ejected.store(false, kRelaxed);
    }
  }
  records_ = std::move(next);
  index_ = std::move(next_index);
  ejected_count_ = static_cast<std::size_t>(
      std::count_if(records_.begin(), records_.end(), [](const Record& r) { return r.ejected; }));
}

OutlierDetector::Record* OutlierDetector::find(const Host& host) {
  const auto it = index_.find(&host);
  return it == index_.end() ? nullptr : &records_[it->second];
}

std::size_t OutlierDetector::max_ejectable() const {
  if (options_.max_ejection_percent == 0 || records_.empty()) {
    return 0;
  }
  const std::size_t share =
      records_.size() * std::min<std::uint32_t>(options_.max_ejection_percent, 100) / 100;
  return std::max<std::size_t>(share, 1);
}

std::optional<OutlierEvent> OutlierDetector::try_eject(Record& record, EjectionReason reason,
                                                       TimePoint now) {
  if (record.ejected) {
    return std::nullopt;
  }
  ++detected_[idx(reason)];
  if (ejected_count_ >= max_ejectable()) {
    return OutlierEvent{record.host, OutlierAction::NotEnforced, reason, Duration::zero()};
  }
  Host& host = *record.host;
  const std::uint32_t times = host.state.times_ejected.load(kRelaxed) + 1;
  host.state.times_ejected.store(times, kRelaxed);
  const Duration base = options_.base_ejection_time;
  const Duration cap = std::max(options_.max_ejection_time, base);
  // base × times, without overflowing for a host ejected very many times.
  const Duration ejection =
      (base.count() > 0 && times > cap / base) ? cap : std::min(base * times, cap);
  record.ejected = true;
  record.reason = reason;
  record.ejected_until = now + ejection;
  host.state.ejected.store(true, kRelaxed);
  ++ejected_count_;
  ++enforced_[idx(reason)];
  return OutlierEvent{record.host, OutlierAction::Ejected, reason, ejection};
}

std::optional<OutlierEvent> OutlierDetector::on_consecutive_failure(Host& host,
                                                                    EjectionReason reason,
                                                                    TimePoint now) {
  Record* record = find(host);
  if (record == nullptr) {
    return std::nullopt;
  }
  reset_consecutive(host);
  return try_eject(*record, reason, now);
}

std::vector<OutlierEvent> OutlierDetector::return_due(TimePoint now) {
  std::vector<OutlierEvent> events;
  for (Record& record : records_) {
    if (!record.ejected || record.ejected_until > now) {
      continue;
    }
    record.ejected = false;
    record.in_service_since = now;
    record.host->state.ejected.store(false, kRelaxed);
    reset_consecutive(*record.host);
    --ejected_count_;
    ++returned_total_;
    events.push_back(
        OutlierEvent{record.host, OutlierAction::Returned, record.reason, Duration::zero()});
  }
  return events;
}

std::optional<TimePoint> OutlierDetector::next_return() const {
  std::optional<TimePoint> next;
  for (const Record& record : records_) {
    if (record.ejected && (!next || record.ejected_until < *next)) {
      next = record.ejected_until;
    }
  }
  return next;
}

void OutlierDetector::decay_multipliers(TimePoint now) {
  for (Record& record : records_) {
    auto& times = record.host->state.times_ejected;
    if (record.ejected || times.load(kRelaxed) == 0 ||
        now - record.in_service_since < options_.interval) {
      continue;
    }
    times.store(times.load(kRelaxed) - 1, kRelaxed);
    record.in_service_since = now;
  }
}

std::vector<OutlierEvent> OutlierDetector::on_interval(TimePoint now) {
  decay_multipliers(now);
  std::vector<OutlierEvent> events = return_due(now);
  std::vector<Record*> in_service;
  std::vector<IntervalFigures> figures;
  in_service.reserve(records_.size());
  figures.reserve(records_.size());
  for (Record& record : records_) {
    IntervalFigures f = advance_baseline(record);
    if (!record.ejected) {
      in_service.push_back(&record);
      figures.push_back(f);
    }
  }
  if (options_.success_rate_enabled) {
    detect_success_rate(in_service, figures, now, events);
  }
  if (options_.latency_enabled) {
    detect_latency(in_service, figures, now, events);
  }
  return events;
}

void OutlierDetector::detect_success_rate(std::span<Record* const> hosts,
                                          std::span<const IntervalFigures> figures, TimePoint now,
                                          std::vector<OutlierEvent>& events) {
  std::vector<Record*> qualified;
  std::vector<double> rates;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const IntervalFigures& f = figures[i];
    if (f.requests >= options_.success_rate_request_volume && f.requests > 0) {
      qualified.push_back(hosts[i]);
      rates.push_back(100.0 * static_cast<double>(f.requests - f.failures) /
                      static_cast<double>(f.requests));
    }
  }
  if (qualified.size() < options_.success_rate_minimum_hosts || qualified.empty()) {
    return;
  }
  for (std::size_t i : success_rate_outliers(rates, options_.success_rate_stdev_factor)) {
    if (auto event = try_eject(*qualified[i], EjectionReason::SuccessRate, now)) {
      events.push_back(std::move(*event));
    }
  }
}

void OutlierDetector::detect_latency(std::span<Record* const> hosts,
                                     std::span<const IntervalFigures> figures, TimePoint now,
                                     std::vector<OutlierEvent>& events) {
  std::vector<Record*> qualified;
  std::vector<double> means;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const IntervalFigures& f = figures[i];
    // A host ejected a moment ago by the success-rate pass is skipped.
    if (f.latency_count >= options_.latency_request_volume && f.latency_count > 0 &&
        !hosts[i]->ejected) {
      qualified.push_back(hosts[i]);
      means.push_back(static_cast<double>(f.latency_sum) / static_cast<double>(f.latency_count));
    }
  }
  if (qualified.size() < options_.latency_minimum_hosts || qualified.size() < 2) {
    return;
  }
  const auto excess = static_cast<double>(options_.latency_minimum_excess.count());
  for (std::size_t i : latency_outliers(means, options_.latency_threshold_factor, excess)) {
    if (auto event = try_eject(*qualified[i], EjectionReason::Latency, now)) {
      events.push_back(std::move(*event));
    }
  }
}

}  // namespace ferry::filters
