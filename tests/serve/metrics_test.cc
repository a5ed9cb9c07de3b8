// Prometheus rendering: counters by label, cumulative histogram buckets, gauges vs counters.
#include "serve/metrics.h"

#include <gtest/gtest.h>

namespace sangam::serve {
namespace {

bool Has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(MetricsTest, RendersCountersHistogramsAndGauges) {
  Metrics m;
  m.CountRequest("/v1/chat/completions", 200);
  m.CountRequest("/v1/chat/completions", 200);
  m.CountRequest("/v1/chat/completions", 400);
  m.ObserveDuration("/v1/chat/completions", 0.003);
  m.ObserveDuration("/v1/chat/completions", 0.2);
  m.ObserveDuration("/v1/chat/completions", 1000);  // beyond the last bucket
  m.ObserveTtft(0.07);
  m.AddTokens(10, 5);
  const std::string t = m.Render({{"sangam_queue_depth", 3}, {"sangam_engine_steps_total", 9}});
  EXPECT_TRUE(Has(t, "sangam_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2")) << t;
  EXPECT_TRUE(Has(t, "sangam_requests_total{endpoint=\"/v1/chat/completions\",status=\"400\"} 1")) << t;
  EXPECT_TRUE(Has(t, "sangam_prompt_tokens_total 10")) << t;
  EXPECT_TRUE(Has(t, "sangam_generated_tokens_total 5")) << t;
  EXPECT_TRUE(Has(t, "# TYPE sangam_queue_depth gauge")) << t;
  EXPECT_TRUE(Has(t, "sangam_queue_depth 3")) << t;
  EXPECT_TRUE(Has(t, "# TYPE sangam_engine_steps_total counter")) << t;
  // Buckets are cumulative; +Inf holds every observation.
  EXPECT_TRUE(Has(t, "sangam_request_duration_seconds_bucket{endpoint=\"/v1/chat/completions\",le=\"0.005\"} 1")) << t;
  EXPECT_TRUE(Has(t, "sangam_request_duration_seconds_bucket{endpoint=\"/v1/chat/completions\",le=\"0.25\"} 2")) << t;
  EXPECT_TRUE(Has(t, "sangam_request_duration_seconds_bucket{endpoint=\"/v1/chat/completions\",le=\"300\"} 2")) << t;
  EXPECT_TRUE(Has(t, "sangam_request_duration_seconds_bucket{endpoint=\"/v1/chat/completions\",le=\"+Inf\"} 3")) << t;
  EXPECT_TRUE(Has(t, "sangam_request_duration_seconds_count{endpoint=\"/v1/chat/completions\"} 3")) << t;
  EXPECT_TRUE(Has(t, "sangam_time_to_first_token_seconds_bucket{le=\"0.05\"} 0")) << t;
  EXPECT_TRUE(Has(t, "sangam_time_to_first_token_seconds_bucket{le=\"0.1\"} 1")) << t;
  EXPECT_TRUE(Has(t, "sangam_time_to_first_token_seconds_count 1")) << t;
}

}  // namespace
TEST(MetricsTest, CountsJudgeOutcomesOnlyWhenThereAreAny) {
  Metrics m;
  EXPECT_EQ(m.Render({}).find("sangam_guard_judge_total"), std::string::npos);
  m.CountJudge("safe");
  m.CountJudge("safe");
  m.CountJudge("skipped");
  const std::string t = m.Render({});
  EXPECT_NE(t.find("# TYPE sangam_guard_judge_total counter\n"), std::string::npos) << t;
  EXPECT_NE(t.find("sangam_guard_judge_total{outcome=\"safe\"} 2\n"), std::string::npos) << t;
  EXPECT_NE(t.find("sangam_guard_judge_total{outcome=\"skipped\"} 1\n"), std::string::npos) << t;
}

}  // namespace sangam::serve
