#include "proxy/core/http1/header_map.h"

#include <cstring>
#include <utility>

#include "proxy/core/http1/char_class.h"

namespace ferry::core::http {

namespace chars = http1::chars;

namespace {

// A lookup name equals a stored (lower-case) name.
bool name_matches(std::string_view stored, std::string_view wanted) {
  if (stored.size() != wanted.size()) {
    return false;
  }
  for (std::size_t i = 0; i < stored.size(); ++i) {
    if (stored[i] != chars::to_lower(wanted[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::uint32_t HeaderMap::append_lower(std::string_view text) {
  const auto offset = static_cast<std::uint32_t>(arena_.size());
  arena_.resize(arena_.size() + text.size());
  char* out = arena_.data() + offset;
  const char* in = text.data();
  std::size_t n = text.size();
  for (; n >= 8; n -= 8, in += 8, out += 8) {
    const std::uint64_t lower = chars::swar::to_lower8(chars::swar::load(in));
    std::memcpy(out, &lower, sizeof(lower));
  }
  for (; n > 0; --n) {
    *out++ = chars::to_lower(*in++);
  }
  return offset;
}

std::uint32_t HeaderMap::append_raw(std::string_view text) {
  const auto offset = static_cast<std::uint32_t>(arena_.size());
  arena_.append(text);
  return offset;
}

bool HeaderMap::aliases(std::string_view text) const {
  const char* begin = arena_.data();
  return !text.empty() && text.data() >= begin && text.data() < begin + arena_.size();
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  if (aliases(name) || aliases(value)) {
    // Copying our own bytes: the appends below may move the arena.
    const std::string copy = std::string(name).append(value);
    add(std::string_view(copy).substr(0, name.size()), std::string_view(copy).substr(name.size()));
    return;
  }
  maybe_compact();
  Entry e;
  e.name_offset = append_lower(name);
  e.name_size = static_cast<std::uint32_t>(name.size());
  e.value_offset = append_raw(value);
  e.value_size = static_cast<std::uint32_t>(value.size());
  entries_.push_back(e);
  bytes_ += name.size() + value.size();
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  if (aliases(name) || aliases(value)) {
    const std::string copy = std::string(name).append(value);
    set(std::string_view(copy).substr(0, name.size()), std::string_view(copy).substr(name.size()));
    return;
  }
  const std::size_t first = find(name, 0);
  if (first == kNotFound) {
    add(name, value);
    return;
  }
  // Remove the later duplicates first: their removal does not move `first`.
  std::size_t next = find(name, first + 1);
  while (next != kNotFound) {
    const Entry& e = entries_[next];
    bytes_ -= e.name_size + e.value_size;
    garbage_ += e.name_size + e.value_size;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(next));
    next = find(name, next);
  }
  maybe_compact();
  Entry& e = entries_[first];
  bytes_ -= e.value_size;
  garbage_ += e.value_size;
  e.value_offset = append_raw(value);
  e.value_size = static_cast<std::uint32_t>(value.size());
  bytes_ += value.size();
}

std::optional<std::string_view> HeaderMap::get(std::string_view name) const {
  const std::size_t i = find(name, 0);
  if (i == kNotFound) {
    return std::nullopt;
  }
  return at(i).value;
}

std::size_t HeaderMap::count(std::string_view name) const {
  std::size_t n = 0;
  for (std::size_t i = find(name, 0); i != kNotFound; i = find(name, i + 1)) {
    ++n;
  }
  return n;
}

std::size_t HeaderMap::remove(std::string_view name) {
  std::size_t removed = 0;
  std::size_t out = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (name_matches(std::string_view(arena_.data() + e.name_offset, e.name_size), name)) {
      bytes_ -= e.name_size + e.value_size;
      garbage_ += e.name_size + e.value_size;
      ++removed;
      continue;
    }
    entries_[out++] = e;
  }
  entries_.resize(out);
  return removed;
}

void HeaderMap::clear() {
  arena_.clear();
  entries_.clear();
  bytes_ = 0;
  garbage_ = 0;
}

void HeaderMap::reserve(std::size_t fields, std::size_t bytes) {
  entries_.reserve(fields);
  arena_.reserve(bytes);
}

void HeaderMap::swap(HeaderMap& other) noexcept {
  arena_.swap(other.arena_);
  entries_.swap(other.entries_);
  std::swap(bytes_, other.bytes_);
  std::swap(garbage_, other.garbage_);
}

std::size_t HeaderMap::find(std::string_view name, std::size_t from) const {
  for (std::size_t i = from; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    if (e.name_size == name.size() &&
        name_matches(std::string_view(arena_.data() + e.name_offset, e.name_size), name)) {
      return i;
    }
  }
  return kNotFound;
}

// A long-lived map edited many times (set/remove) would grow its arena without
// bound; rewrite it once most of it is garbage. Per-request maps are cleared
// before that happens and never pay for this.
void HeaderMap::maybe_compact() {
  if (garbage_ < 4096 || garbage_ * 2 < arena_.size()) {
    return;
  }
  std::string fresh;
  fresh.reserve(bytes_ + bytes_ / 2);
  for (Entry& e : entries_) {
    const auto name_offset = static_cast<std::uint32_t>(fresh.size());
    fresh.append(arena_.data() + e.name_offset, e.name_size);
    const auto value_offset = static_cast<std::uint32_t>(fresh.size());
    fresh.append(arena_.data() + e.value_offset, e.value_size);
    e.name_offset = name_offset;
    e.value_offset = value_offset;
  }
  arena_.swap(fresh);
  garbage_ = 0;
}

bool operator==(const HeaderMap& a, const HeaderMap& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const HeaderField x = a.at(i);
    const HeaderField y = b.at(i);
    if (x.name != y.name || x.value != y.value) {
      return false;
    }
  }
  return true;
}

}  // namespace ferry::core::http
