// The training loss curve as an SVG chart (internal).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sangam/status.h"

namespace sangam::train {

// history: array of [step, loss, val_loss or null]. Training loss is drawn raw (thin) and as an
// exponential moving average; validation loss as its own series. Written atomically.
Status WriteLossChart(const nlohmann::json& history, const std::string& title,
                      const std::string& path);

}  // namespace sangam::train
