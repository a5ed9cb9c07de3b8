// Loss-curve chart from the training history.
#include "train/loss_chart.h"

#include <cmath>

#include "sangam/chart.h"

namespace sangam::train {

Status WriteLossChart(const nlohmann::json& history, const std::string& title,
                      const std::string& path) {
  report::Series raw{"train loss", {}, {}};
  report::Series ema{"train loss (smoothed, EMA 0.9)", {}, {}};
  report::Series val{"validation loss", {}, {}};
  double avg = 0.0, weight = 0.0;  // bias-corrected EMA (as Adam's moments): no lag at the start
  for (const auto& h : history) {
    if (!h.is_array() || h.size() < 2 || !h[0].is_number() || !h[1].is_number()) continue;
    const double step = h[0].get<double>() + 1.0;
    const double loss = h[1].get<double>();
    raw.x.push_back(step);
    raw.y.push_back(loss);
    avg = 0.9 * avg + 0.1 * loss;
    weight = 0.9 * weight + 0.1;
    ema.x.push_back(step);
    ema.y.push_back(avg / weight);
    if (h.size() >= 3 && h[2].is_number()) {
      val.x.push_back(step);
      val.y.push_back(h[2].get<double>());
    }
  }
  report::LineChartSpec spec;
  spec.title = "Training loss" + (title.empty() ? std::string() : " — " + title);
  spec.x_label = "step";
  spec.y_label = "cross-entropy (nats/token)";
  spec.series.push_back(std::move(raw));
  spec.series.push_back(std::move(ema));
  if (!val.x.empty()) spec.series.push_back(std::move(val));
  return report::WriteTextFileAtomic(path, report::RenderLineChart(spec));
}

}  // namespace sangam::train
