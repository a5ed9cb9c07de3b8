// Prometheus metrics for the server: labelled counters and latency histograms, rendered in the
// text exposition format (version 0.0.4). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace sangam::serve {

class Metrics {
 public:
  Metrics();
  void CountRequest(const std::string& endpoint, int status);
  void ObserveDuration(const std::string& endpoint, double seconds);
  void ObserveTtft(double seconds);
  void AddTokens(int64_t prompt, int64_t completion);
  // One judge outcome ("safe", "unsafe", "skipped", "error"): sangam_guard_judge_total{outcome}.
  void CountJudge(const std::string& outcome);
  // Renders everything plus the given gauges (name -> value; names must be valid metric names).
  std::string Render(const std::vector<std::pair<std::string, double>>& gauges) const;

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // per bucket (cumulative when rendered)
    uint64_t n = 0;
    double sum = 0;
  };
  void Observe(Histogram& h, double v);
  static void RenderHistogram(std::string& out, const std::string& name, const std::string& labels,
                              const std::vector<double>& bounds, const Histogram& h);

  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> durations_;
  Histogram ttft_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  std::map<std::string, uint64_t> judge_;
};

}  // namespace sangam::serve
