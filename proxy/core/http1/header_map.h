#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::core::http {

// One header field as stored: the name is lower-case, the value as received
// with the surrounding OWS trimmed.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// An ordered list of header fields shared by HTTP/1 and (later) HTTP/2 heads.
//
// Every name and value lives in one arena string, so adding a field appends
// bytes to it instead of allocating per field; clear() keeps the capacity, so
// a map recycled per request stops allocating once it has seen its largest
// head. Names are lower-cased when added; lookups compare case-insensitively.
//
// The map does not validate what it is given: the HTTP/1 parser only adds
// fields it has already checked, and the serializers validate every byte they
// write (a map filled from HTTP/2 or by application code can hold anything).
//
// Views returned by get() and by iteration point into the arena: they stay
// valid until the next call that modifies the map (add, set, remove, clear).
// Not thread-safe; a map belongs to one request on one thread.
class HeaderMap {
 public:
  class Iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = HeaderField;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = HeaderField;

    Iterator() = default;
    HeaderField operator*() const { return map_->at(index_); }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator copy = *this;
      ++index_;
      return copy;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

   private:
    friend class HeaderMap;
    Iterator(const HeaderMap* map, std::size_t index) : map_(map), index_(index) {}
    const HeaderMap* map_ = nullptr;
    std::size_t index_ = 0;
  };

  HeaderMap() = default;

  // Appends a field; the name is stored lower-cased.
  void add(std::string_view name, std::string_view value);

  // Replaces the value of the first field named `name` (keeping its position)
  // and removes the others; appends the field when there is none.
  void set(std::string_view name, std::string_view value);

  // The value of the first field named `name`.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name, 0) != kNotFound; }
  std::size_t count(std::string_view name) const;

  // Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);

  // Removes, in one pass, every field for which pred(name, value) is true
  // (names are lower-case); returns how many were removed. `pred` must not
  // modify the map.
  template <typename Pred>
  std::size_t remove_if(Pred&& pred) {
    std::size_t out = 0;
    std::size_t removed = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      if (pred(std::string_view(arena_.data() + e.name_offset, e.name_size),
               std::string_view(arena_.data() + e.value_offset, e.value_size))) {
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

  // Empties the map, keeping the capacity of its buffers.
  void clear();

  // Reserves room for `fields` fields and `bytes` bytes of names and values.
  void reserve(std::size_t fields, std::size_t bytes);

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Sum of name and value sizes over all fields (without separators).
  std::size_t byte_size() const { return bytes_; }

  HeaderField at(std::size_t index) const {
    const Entry& e = entries_[index];
    return {std::string_view(arena_.data() + e.name_offset, e.name_size),
            std::string_view(arena_.data() + e.value_offset, e.value_size)};
  }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, entries_.size()); }

  // Swaps contents and buffers (cheap; used to hand a parsed head over).
  void swap(HeaderMap& other) noexcept;

  friend bool operator==(const HeaderMap& a, const HeaderMap& b);

 private:
  struct Entry {
    std::uint32_t name_offset;
    std::uint32_t name_size;
    std::uint32_t value_offset;
    std::uint32_t value_size;
  };
  static constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

  std::size_t find(std::string_view name, std::size_t from) const;
  bool aliases(std::string_view text) const;
  std::uint32_t append_lower(std::string_view text);
  std::uint32_t append_raw(std::string_view text);
  void maybe_compact();

  std::string arena_;
  std::vector<Entry> entries_;
  std::size_t bytes_ = 0;
  // Arena bytes no entry points at any more (left by remove/set).
  std::size_t garbage_ = 0;
};

inline void swap(HeaderMap& a, HeaderMap& b) noexcept {
  a.swap(b);
}

}  // namespace ferry::core::http
