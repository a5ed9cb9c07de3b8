// Prometheus text rendering of the server's counters and histograms.
#include "serve/metrics.h"

#include "sangam/status.h"

namespace sangam::serve {

Metrics::Metrics()
    : bounds_{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300} {
  ttft_.counts.assign(bounds_.size(), 0);
}

void Metrics::Observe(Histogram& h, double v) {
  if (h.counts.empty()) h.counts.assign(bounds_.size(), 0);
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.n;
  h.sum += v;
}

void Metrics::CountRequest(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lk(mu_);
  ++requests_[{endpoint, status}];
}

void Metrics::ObserveDuration(const std::string& endpoint, double seconds) {
  std::lock_guard<std::mutex> lk(mu_);
  Observe(durations_[endpoint], seconds);
}

void Metrics::ObserveTtft(double seconds) {
  std::lock_guard<std::mutex> lk(mu_);
  Observe(ttft_, seconds);
}

void Metrics::AddTokens(int64_t prompt, int64_t completion) {
  std::lock_guard<std::mutex> lk(mu_);
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void Metrics::CountJudge(const std::string& outcome) {
  std::lock_guard<std::mutex> lk(mu_);
  ++judge_[outcome];
}

void Metrics::RenderHistogram(std::string& out, const std::string& name, const std::string& labels,
                              const std::vector<double>& bounds, const Histogram& h) {
  uint64_t cum = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < bounds.size(); ++i) {
    cum += i < h.counts.size() ? h.counts[i] : 0;
    out += StrFormat("%s_bucket{%s%sle=\"%g\"} %llu\n", name.c_str(), labels.c_str(), sep.c_str(), bounds[i],
                     static_cast<unsigned long long>(cum));
  }
  out += StrFormat("%s_bucket{%s%sle=\"+Inf\"} %llu\n", name.c_str(), labels.c_str(), sep.c_str(),
                   static_cast<unsigned long long>(h.n));
  const std::string l = labels.empty() ? "" : "{" + labels + "}";
  out += StrFormat("%s_sum%s %.6f\n", name.c_str(), l.c_str(), h.sum);
  out += StrFormat("%s_count%s %llu\n", name.c_str(), l.c_str(), static_cast<unsigned long long>(h.n));
}

std::string Metrics::Render(const std::vector<std::pair<std::string, double>>& gauges) const {
  std::lock_guard<std::mutex> lk(mu_);
  std::string out;
  out += "# HELP sangam_requests_total HTTP requests by endpoint and status.\n";
  out += "# TYPE sangam_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    out += StrFormat("sangam_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n", k.first.c_str(), k.second,
                     static_cast<unsigned long long>(v));
  }
  out += "# HELP sangam_prompt_tokens_total Prompt tokens of finished requests.\n";
  out += "# TYPE sangam_prompt_tokens_total counter\n";
  out += StrFormat("sangam_prompt_tokens_total %lld\n", static_cast<long long>(prompt_tokens_));
  out += "# HELP sangam_generated_tokens_total Tokens generated for finished requests.\n";
  out += "# TYPE sangam_generated_tokens_total counter\n";
  out += StrFormat("sangam_generated_tokens_total %lld\n", static_cast<long long>(completion_tokens_));
  if (!judge_.empty()) {
    out += "# HELP sangam_guard_judge_total Judge model outcomes on prompts and moderation inputs.\n";
    out += "# TYPE sangam_guard_judge_total counter\n";
    for (const auto& [outcome, v] : judge_) {
      out += StrFormat("sangam_guard_judge_total{outcome=\"%s\"} %llu\n", outcome.c_str(),
                       static_cast<unsigned long long>(v));
    }
  }
  for (const auto& [name, v] : gauges) {
    const bool counter = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    out += "# TYPE " + name + (counter ? " counter\n" : " gauge\n");
    out += StrFormat("%s %.6g\n", name.c_str(), v);
  }
  out += "# HELP sangam_request_duration_seconds Request latency by endpoint (until the last byte).\n";
  out += "# TYPE sangam_request_duration_seconds histogram\n";
  for (const auto& [ep, h] : durations_) {
    RenderHistogram(out, "sangam_request_duration_seconds", "endpoint=\"" + ep + "\"", bounds_, h);
  }
  out += "# HELP sangam_time_to_first_token_seconds Time from arrival to the first generated token.\n";
  out += "# TYPE sangam_time_to_first_token_seconds histogram\n";
  RenderHistogram(out, "sangam_time_to_first_token_seconds", "", bounds_, ttft_);
  return out;
}

}  // namespace sangam::serve
