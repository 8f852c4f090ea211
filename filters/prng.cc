#include "filters/prng.h"

#include <bit>
#include <random>

namespace ferry::filters {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

__extension__ using Uint128 = unsigned __int128;

}  // namespace

Prng::Prng(std::uint64_t seed) {
  // splitmix64 spreads any seed (0 included) over the whole state; xoshiro's
  // only forbidden state, all zeros, cannot come out of four splitmix steps.
  for (auto& word : s_) {
    word = splitmix64(seed);
  }
}

std::uint64_t Prng::entropy_seed() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::uint64_t Prng::next() {
  const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = std::rotl(s_[3], 45);
  return result;
}

std::uint64_t Prng::uniform(std::uint64_t bound) {
  if (bound == 0) {
    return 0;
  }
  Uint128 product = static_cast<Uint128>(next()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    // Reject the few low products that would over-represent some results.
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<Uint128>(next()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

double Prng::uniform_unit() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

bool Prng::chance_ppm(std::uint32_t parts_per_million) {
  if (parts_per_million >= 1'000'000) {
    return true;
  }
  return uniform(1'000'000) < parts_per_million;
}

std::uint32_t percent_to_ppm(double percent) {
  if (!(percent > 0.0)) {  // also catches NaN
    return 0;
  }
  if (percent >= 100.0) {
    return 1'000'000;
  }
  return static_cast<std::uint32_t>(percent * 10'000.0 + 0.5);
}

}  // namespace ferry::filters
