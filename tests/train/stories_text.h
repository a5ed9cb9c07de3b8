// Short stories in the style of TinyStories (the data stories260K was trained on), generated from
// templates so that held-out stories share the style but not the exact combinations.
#pragma once

#include <random>
#include <string>

namespace sangam::train::testing {

inline std::string MakeStories(int n, uint32_t seed) {
  static const char* kNames[] = {"Lily", "Tom", "Sue", "Ben", "Mia", "Max", "Anna", "Sam", "Lucy", "Tim"};
  static const char* kObjects[] = {"ball", "kite", "toy car", "red hat", "little boat", "teddy bear",
                                   "big box", "blue cup"};
  static const char* kPlaces[] = {"park", "garden", "house", "forest", "beach", "school"};
  static const char* kFeelings[] = {"happy", "sad", "scared", "excited", "tired"};
  std::mt19937 rng(seed);
  auto pick = [&](auto& arr) {
    return std::string(arr[std::uniform_int_distribution<size_t>(0, std::size(arr) - 1)(rng)]);
  };
  std::string out;
  for (int i = 0; i < n; ++i) {
    const std::string a = pick(kNames);
    std::string b = pick(kNames);
    while (b == a) b = pick(kNames);
    const std::string o = pick(kObjects), p = pick(kPlaces), f = pick(kFeelings);
    out += "Once upon a time, there was a little girl named " + a + ". She had a " + o +
           ". One day, " + a + " went to the " + p + " with her friend " + b + ". " + b +
           " saw the " + o + " and wanted to play with it. " + a +
           " said, \"We can share!\" They played all day and felt " + f + ". At the end of the day, " +
           a + " and " + b + " went home. They were very good friends.\n";
  }
  return out;
}

}  // namespace sangam::train::testing
