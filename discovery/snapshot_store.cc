#include "discovery/snapshot_store.h"

#include <cstdio>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "discovery/atomic_file.h"
#include "proxy/core/sigv4/digest.h"

namespace ferry::discovery {
namespace json = boost::json;

namespace {

constexpr std::string_view kTrailer = ",\"sha256\":\"";
constexpr std::size_t kHexDigits = 64;
constexpr std::string_view kEnd = "\"}\n";

SnapshotLoad rejected(std::string error) {
  SnapshotLoad out;
  out.status = SnapshotLoad::Status::Rejected;
  out.error = std::move(error);
  return out;
}

std::string format_seconds(std::chrono::system_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld.%03lld", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  return buffer;
}

// The checksum trailer: the payload before it, or an error.
std::optional<std::string_view> verified_payload(std::string_view text, std::string& error) {
  const std::size_t at = text.rfind(kTrailer);
  if (at == std::string_view::npos) {
    error = "no checksum (truncated, or not a ferry snapshot file)";
    return std::nullopt;
  }
  const std::string_view rest = text.substr(at + kTrailer.size());
  if (rest.size() != kHexDigits + kEnd.size() || rest.substr(kHexDigits) != kEnd) {
    error = "damaged checksum trailer (truncated?)";
    return std::nullopt;
  }
  const std::string_view payload = text.substr(0, at);
  const std::string expected = core::hex_encode(core::sha256(payload));
  if (!core::constant_time_equal(expected, rest.substr(0, kHexDigits))) {
    error = "checksum mismatch (the file is damaged)";
    return std::nullopt;
  }
  return payload;
}

}  // namespace

SnapshotStore::SnapshotStore(Scheduler& scheduler, std::string path, SnapshotStoreOptions options)
    : scheduler_(scheduler),
      path_(std::move(path)),
      options_(std::move(options)),
      write_timer_(scheduler) {}

SnapshotStore::~SnapshotStore() {
  if (dirty_) {
    std::string error;
    if (!flush(&error)) {
      spdlog::warn("discovery: snapshot file not written at exit: {}", error);
    }
  }
}

std::string SnapshotStore::encode(const StoredSnapshots& snapshots) {
  std::string out = "{\"format\":\"";
  out.append(kFormat).append("\",\"format_version\":").append(std::to_string(kFormatVersion));
  out.append(",\"saved_at\":").append(format_seconds(snapshots.saved_at));
  out.append(",\"namespaces\":[");
  bool first = true;
  for (const auto& [name, snapshot] : snapshots.namespaces) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    out.append(snapshot_to_json(*snapshot));
  }
  out.push_back(']');
  const std::string digest = core::hex_encode(core::sha256(out));
  out.append(kTrailer).append(digest).append(kEnd);
  return out;
}

SnapshotLoad SnapshotStore::decode(std::string_view text, const SnapshotStoreOptions& options) {
  if (text.size() > options.max_file_bytes) {
    return rejected("larger than " + std::to_string(options.max_file_bytes) + " bytes");
  }
  std::string error;
  if (!verified_payload(text, error)) {
    return rejected(error);
  }
  json::parse_options parse_options;
  parse_options.max_depth = 10;
  boost::system::error_code ec;
  const json::value value = json::parse(text, ec, {}, parse_options);
  const json::object* top = ec ? nullptr : value.if_object();
  if (top == nullptr) {
    return rejected(ec ? "not JSON: " + ec.message() : "not a JSON object");
  }
  const json::value* format = top->if_contains("format");
  if (format == nullptr || !format->is_string() || format->get_string() != kFormat) {
    return rejected("not a ferry snapshot file (format)");
  }
  const json::value* version = top->if_contains("format_version");
  if (version == nullptr || !version->is_int64()) {
    return rejected("format_version missing");
  }
  if (version->get_int64() != kFormatVersion) {
    return rejected("format_version " + std::to_string(version->get_int64()) +
                    " is not the one this ferry reads (" + std::to_string(kFormatVersion) + ")");
  }
  const json::value* saved_at = top->if_contains("saved_at");
  if (saved_at == nullptr || !saved_at->is_number() || saved_at->to_number<double>() < 0) {
    return rejected("saved_at missing or negative");
  }
  const json::value* list = top->if_contains("namespaces");
  if (list == nullptr || !list->is_array()) {
    return rejected("namespaces missing");
  }
  SnapshotLoad out;
  out.status = SnapshotLoad::Status::Loaded;
  // Written with millisecond precision; rounding undoes the double's error.
  out.snapshots.saved_at =
      std::chrono::system_clock::time_point(std::chrono::round<std::chrono::milliseconds>(
          std::chrono::duration<double>(saved_at->to_number<double>())));
  for (std::size_t i = 0; i < list->get_array().size(); ++i) {
    SnapshotParse parsed = snapshot_from_json(list->get_array()[i], options.limits);
    if (!parsed.snapshot) {
      return rejected("namespaces[" + std::to_string(i) + "]: " + parsed.error);
    }
    std::string name = parsed.snapshot->namespace_name;
    auto snapshot = std::make_shared<const NamespaceSnapshot>(std::move(*parsed.snapshot));
    if (!out.snapshots.namespaces.emplace(std::move(name), std::move(snapshot)).second) {
      return rejected("namespaces[" + std::to_string(i) + "]: namespace listed twice");
    }
  }
  return out;
}

SnapshotLoad SnapshotStore::load() {
  bool missing = false;
  std::string error;
  auto text = read_whole_file(path_, options_.max_file_bytes, missing, error);
  if (missing) {
    spdlog::info("discovery: no snapshot file at {} (first start)", path_);
    return {};
  }
  SnapshotLoad out = text ? decode(*text, options_) : rejected(error);
  if (out.status == SnapshotLoad::Status::Rejected) {
    spdlog::error(
        "discovery: snapshot file {} rejected: {}; starting without saved endpoints (not ready "
        "until ferry-control answers)",
        path_, out.error);
    return out;
  }
  content_ = out.snapshots;
  spdlog::info("discovery: loaded {} namespace(s) from {} (saved {}s ago)",
               out.snapshots.namespaces.size(), path_,
               std::chrono::duration_cast<std::chrono::seconds>(scheduler_.wall_now() -
                                                                out.snapshots.saved_at)
                   .count());
  return out;
}

void SnapshotStore::put(std::shared_ptr<const NamespaceSnapshot> snapshot) {
  std::string name = snapshot->namespace_name;
  content_.namespaces[std::move(name)] = std::move(snapshot);
  dirty_ = true;
  schedule_write();
}

void SnapshotStore::retain(const std::set<std::string, std::less<>>& names) {
  const std::size_t before = content_.namespaces.size();
  std::erase_if(content_.namespaces, [&](const auto& kv) { return !names.contains(kv.first); });
  if (content_.namespaces.size() != before) {
    dirty_ = true;
    schedule_write();
  }
}

void SnapshotStore::schedule_write() {
  if (write_timer_.pending()) {
    return;
  }
  const auto now = scheduler_.now();
  core::Duration wait = core::Duration::zero();
  if (last_write_) {
    wait = std::max(core::Duration::zero(),
                    options_.min_write_interval - core::Duration(now - *last_write_));
  }
  if (wait == core::Duration::zero()) {
    std::string error;
    if (!flush(&error)) {
      spdlog::error("discovery: cannot save the snapshot: {}", error);
    }
    return;
  }
  write_timer_.start(wait, [this] {
    std::string error;
    if (!flush(&error)) {
      spdlog::error("discovery: cannot save the snapshot: {}", error);
    }
  });
}

bool SnapshotStore::flush(std::string* error) {
  write_timer_.cancel();
  if (!dirty_) {
    return true;
  }
  last_write_ = scheduler_.now();
  content_.saved_at = scheduler_.wall_now();
  std::string message;
  if (!write_file_atomically(path_, encode(content_), 0644, message)) {
    ++stats_.write_failures;
    if (error != nullptr) {
      *error = std::move(message);
    }
    return false;
  }
  ++stats_.writes;
  dirty_ = false;
  return true;
}

}  // namespace ferry::discovery
