// Tests of TestSettings::FromConfig, the built-in mlperf.conf and the config
// helpers. The expected values of the built-in file are those the reference
// LoadGen 6.0.17 gives (checked against it with
// tests/test_config_vs_reference.py).
#include "config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "loadgen/test_settings.h"

namespace mlperf {
namespace {

using internal::ApplyAuditConfig;
using internal::ApplyConfigText;
using internal::BuiltinMlperfConf;
using internal::ExplainConfig;
using internal::kBuiltinConfName;

// A file in the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string &content) {
    static int counter = 0;
    path_ = ::testing::TempDir() + "loadgen_config_test_" +
            std::to_string(::getpid()) + "_" + std::to_string(counter++) +
            ".conf";
    std::ofstream out(path_, std::ios::binary);
    out << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

// The settings FromConfig gives from a file holding `text` alone (conf_type
// 2: without the built-in file), checking that it returns `rc`.
TestSettings ReadAlone(const std::string &text, const std::string &model,
                       const std::string &scenario, int rc = 0) {
  TempFile f(text);
  TestSettings s;
  EXPECT_EQ(s.FromConfig(f.path(), model, scenario, 2), rc) << text;
  return s;
}

// The settings the built-in mlperf.conf alone gives (conf_type 0).
TestSettings BuiltinOnly(const std::string &model,
                         const std::string &scenario) {
  TestSettings s;
  EXPECT_EQ(s.FromConfig("", model, scenario, 0), 0);
  return s;
}

// The errors (or the warnings) among s.config_diagnostics.
std::vector<ConfigDiagnostic> Diagnostics(const TestSettings &s, bool errors) {
  std::vector<ConfigDiagnostic> out;
  for (const auto &d : s.config_diagnostics) {
    if (d.is_error == errors) out.push_back(d);
  }
  return out;
}

std::vector<ConfigDiagnostic> Errors(const TestSettings &s) {
  return Diagnostics(s, true);
}

std::vector<ConfigDiagnostic> Warnings(const TestSettings &s) {
  return Diagnostics(s, false);
}

// The 1-based line of the built-in file that starts with `key`.
int BuiltinLineOf(const std::string &key) {
  const std::string text = BuiltinMlperfConf();
  int line = 1;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    if (text.compare(pos, key.size() + 1, key + " ") == 0) return line;
    pos = eol + 1;
    ++line;
  }
  return 0;
}

// --- The built-in mlperf.conf -------------------------------------------

TEST(BuiltinConf, IsEmbeddedAndAppliesWithoutAnyDiagnostic) {
  const std::string text = BuiltinMlperfConf();
  EXPECT_NE(text.find("resnet50.Server.target_latency"), std::string::npos);
  TestSettings s = BuiltinOnly("resnet50", "Server");
  EXPECT_TRUE(s.config_diagnostics.empty());
}

TEST(BuiltinConf, ReadAsAUserFileHasNoErrorsOnlyNoEffectWarnings) {
  TestSettings s;
  EXPECT_EQ(ApplyConfigText(&s, BuiltinMlperfConf(), "copy.conf", "resnet50",
                            "Server", internal::kConfUser),
            0);
  EXPECT_TRUE(Errors(s).empty());
  // Seeds (6), target_duration and Offline.target_latency_percentile.
  EXPECT_EQ(Warnings(s).size(), 8u);
}

TEST(BuiltinConf, ConfType0AppliesTheSeedsOfTheReference) {
  TestSettings s = BuiltinOnly("resnet50", "Offline");
  // The values LoadGen 6.0.17 embeds (listed as HEAD/v6.1 in the spec table).
  EXPECT_EQ(s.qsl_rng_seed, 2085463073848966840ull);
  EXPECT_EQ(s.sample_index_rng_seed, 2747215439041700203ull);
  EXPECT_EQ(s.schedule_rng_seed, 16159082839903944936ull);
  EXPECT_EQ(s.test05_qsl_rng_seed, 7975553102935885558ull);
  EXPECT_EQ(s.test05_sample_index_rng_seed, 11403566307062068064ull);
  EXPECT_EQ(s.test05_schedule_rng_seed, 15816800565822761601ull);
  EXPECT_FALSE(s.test05);
  EXPECT_EQ(s.accuracy_log_probability, 0.0);
}

TEST(BuiltinConf, ConfType0SetsTheModelsRules) {
  TestSettings s = BuiltinOnly("resnet50", "Offline");
  EXPECT_EQ(s.min_duration_ms, 600000u);
  EXPECT_EQ(s.min_query_count, 24576u);
  EXPECT_EQ(s.performance_sample_count_override, 1024u);
  EXPECT_EQ(s.server_target_latency_ns, 15000000u);
  EXPECT_EQ(s.single_stream_target_latency_percentile, 90 * 0.01);
  EXPECT_FALSE(s.builtin_config_applied);  // only conf_type 1 sets it

  TestSettings llm = BuiltinOnly("llama2-70b", "Server");
  EXPECT_TRUE(llm.use_token_latencies);
  EXPECT_TRUE(llm.sample_concatenate_permutation);
  EXPECT_EQ(llm.server_target_latency_ns, 0u);
  EXPECT_EQ(llm.server_ttft_latency, 2000000000u);
  EXPECT_EQ(llm.server_tpot_latency, 200000000u);

  TestSettings gptj = BuiltinOnly("gptj", "Offline");
  EXPECT_TRUE(gptj.infer_token_latencies);
  EXPECT_EQ(gptj.token_latency_scaling_factor, 69u);
  EXPECT_EQ(gptj.server_target_latency_ns, 20000000000u);
}

TEST(BuiltinConf, ConfType0IgnoresThePath) {
  TestSettings s;
  EXPECT_EQ(s.FromConfig("/no/such/file", "bert", "Server", 0), 0);
  EXPECT_EQ(s.server_target_latency_ns, 130000000u);
  EXPECT_TRUE(s.config_diagnostics.empty());
}

// --- Lookup -----------------------------------------------------------------

TEST(Lookup,
     PrecedenceIsModelScenarioThenStarScenarioThenModelStarThenStarStar) {
  TempFile f(
      "*.*.max_query_count = 1\n"
      "resnet50.*.max_query_count = 2\n"
      "*.Server.max_query_count = 3\n"
      "resnet50.Server.max_query_count = 4\n");
  auto max_query_count = [&](const char *model, const char *scenario) {
    TestSettings s;
    EXPECT_EQ(s.FromConfig(f.path(), model, scenario, 2), 0);
    return s.max_query_count;
  };
  EXPECT_EQ(max_query_count("resnet50", "Server"), 4u);
  EXPECT_EQ(max_query_count("bert", "Server"), 3u);
  EXPECT_EQ(max_query_count("resnet50", "Offline"), 2u);
  EXPECT_EQ(max_query_count("bert", "Offline"), 1u);
}

TEST(Lookup, ScenarioWildcardBeatsModelWildcard) {
  TestSettings s = ReadAlone(
      "resnet50.*.min_query_count = 5\n*.Offline.min_query_count = 6\n",
      "resnet50", "Offline");
  EXPECT_EQ(s.min_query_count, 6u);
}

TEST(Lookup, ScenarioKeysAreReadUnderTheirOwnScenarioWhateverTheArgument) {
  TestSettings s = ReadAlone(
      "resnet50.Server.target_qps = 17\n"
      "resnet50.Offline.target_qps = 1234.5\n"
      "*.MultiStream.samples_per_query = 4\n",
      "resnet50", "SingleStream");
  EXPECT_EQ(s.server_target_qps, 17.0);
  EXPECT_EQ(s.offline_expected_qps, 1234.5);
  EXPECT_EQ(s.multi_stream_samples_per_query, 4u);
}

TEST(Lookup, ModelNamesMayContainDots) {
  TestSettings s = ReadAlone("wan-2.2-t2v-a14b.*.min_query_count = 3\n",
                             "wan-2.2-t2v-a14b", "Offline");
  EXPECT_EQ(s.min_query_count, 3u);
  EXPECT_TRUE(s.config_diagnostics.empty());
}

// --- Syntax
// -------------------------------------------------------------------

TEST(Syntax, CommentLinesBlankLinesAndExtraSpacesAreAccepted) {
  TestSettings s = ReadAlone(
      "# a comment\n"
      "\n"
      "   \t\n"
      "  *.*.min_query_count   =\t 9  \r\n"
      "# *.*.max_query_count = 5\n",
      "resnet50", "Offline");
  EXPECT_EQ(s.min_query_count, 9u);
  EXPECT_EQ(s.max_query_count, 0u);
  EXPECT_TRUE(s.config_diagnostics.empty());
}

TEST(Syntax, ACommentAfterAValueIsAMalformedLine) {
  TestSettings s =
      ReadAlone("*.*.min_query_count = 9\n*.*.max_query_count = 5 # why\n",
                "resnet50", "Offline", -EINVAL);
  EXPECT_EQ(s.min_query_count, 100u);  // nothing of the file applied
  ASSERT_EQ(Errors(s).size(), 1u);
  EXPECT_EQ(Errors(s)[0].line, 2);
  EXPECT_NE(Errors(s)[0].message.find("comment"), std::string::npos);
}

TEST(Syntax, HashWithoutASpaceIsNotAComment) {
  TestSettings s =
      ReadAlone("#no space here\n", "resnet50", "Offline", -EINVAL);
  ASSERT_EQ(Errors(s).size(), 1u);
  EXPECT_NE(Errors(s)[0].message.find("space after '#'"), std::string::npos);

  // `#key = value` is accepted (as a key that never matches) with a warning.
  TestSettings t =
      ReadAlone("#*.*.min_query_count = 9\n", "resnet50", "Offline");
  EXPECT_EQ(t.min_query_count, 100u);
  ASSERT_EQ(Warnings(t).size(), 1u);
  EXPECT_EQ(Warnings(t)[0].line, 1);
}

TEST(Syntax, MalformedLineGivesEinvalAppliesNothingAndNamesTheLine) {
  TempFile f(
      "*.*.min_query_count = 9\n"
      "*.Server.target_qps = fast\n"
      "*.*.max_query_count =5\n");
  TestSettings s;
  EXPECT_EQ(s.FromConfig(f.path(), "resnet50", "Offline"), -EINVAL);
  // The built-in file went first and stays applied; the user file does not.
  EXPECT_TRUE(s.builtin_config_applied);
  EXPECT_EQ(s.min_query_count, 24576u);
  EXPECT_EQ(s.server_target_qps, 1.0);
  const auto errors = Errors(s);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].file, f.path());
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].key, "*.Server.target_qps");
  EXPECT_NE(errors[0].message.find("'fast'"), std::string::npos);
  EXPECT_EQ(errors[1].line, 3);
  EXPECT_NE(errors[1].message.find("spaces around '='"), std::string::npos);
}

TEST(Syntax, KeyWithoutValueIsIgnoredWithAWarning) {
  TestSettings s = ReadAlone("*.*.min_query_count=9\n*.*.max_query_count =\n",
                             "resnet50", "Offline");
  EXPECT_EQ(s.min_query_count, 100u);
  ASSERT_EQ(Warnings(s).size(), 2u);
  EXPECT_EQ(Warnings(s)[0].line, 1);
  EXPECT_NE(Warnings(s)[0].message.find("spaces around '='"),
            std::string::npos);
  EXPECT_EQ(Warnings(s)[1].line, 2);
}

TEST(Syntax, TheLastOfSeveralValuesWins) {
  TestSettings s =
      ReadAlone("*.*.min_query_count = 9 10\n", "resnet50", "Offline");
  EXPECT_EQ(s.min_query_count, 10u);
  EXPECT_EQ(Warnings(s).size(), 1u);
}

// --- Units and value conversion --------------------------------------------

TEST(Units, MillisecondsBecomeNanosecondsWhereTheFieldIsNs) {
  TestSettings s = ReadAlone(
      "*.Server.target_latency = 15\n"
      "*.SingleStream.target_latency = 0.5\n"
      "*.MultiStream.target_latency = 12\n"
      "*.*.min_duration = 60000\n"
      "*.*.max_duration = 90000\n",
      "x", "Server");
  EXPECT_EQ(s.server_target_latency_ns, 15000000u);
  EXPECT_EQ(s.single_stream_expected_latency_ns, 500000.0);
  EXPECT_EQ(s.multi_stream_expected_latency_ns, 12000000.0);
  EXPECT_EQ(s.min_duration_ms, 60000u);  // stays in ms
  EXPECT_EQ(s.max_duration_ms, 90000u);
}

TEST(Units, TokenLatenciesAreReadOnlyWhenTokenLatenciesAreOn) {
  TestSettings s = ReadAlone(
      "*.Server.ttft_latency = 5\n*.Server.tpot_latency = 6\n", "x", "Offline");
  EXPECT_EQ(s.server_ttft_latency, 100000000u);

  TestSettings t = ReadAlone(
      "*.*.use_token_latencies = 1\n"
      "*.Server.ttft_latency = 5\n*.Server.tpot_latency = 6\n",
      "x", "Offline");
  EXPECT_EQ(t.server_ttft_latency, 5000000u);
  EXPECT_EQ(t.server_tpot_latency, 6000000u);
}

TEST(Units, PercentilesAreMultipliedByOneHundredth) {
  TestSettings s = ReadAlone(
      "*.SingleStream.target_latency_percentile = 99.9\n"
      "*.MultiStream.target_latency_percentile = 95\n"
      "*.Server.target_latency_percentile = 97\n",
      "x", "Server");
  // Exactly the reference's arithmetic (x * 0.01, not x / 100).
  EXPECT_EQ(s.single_stream_target_latency_percentile, 99.9 * 0.01);
  EXPECT_EQ(s.multi_stream_target_latency_percentile, 95 * 0.01);
  EXPECT_EQ(s.server_target_latency_percentile, 97 * 0.01);
  EXPECT_NEAR(s.single_stream_target_latency_percentile, 0.999, 1e-12);
}

TEST(Units, IntegersFollowStrtoullAndDoublesStrtod) {
  TempFile f(
      "*.*.min_duration = 010\n"                     // octal: 8
      "*.Server.target_qps = 010\n"                  // decimal for a double: 10
      "*.*.max_query_count = 0x10\n"                 // 16
      "*.*.min_query_count = 1.5\n"                  // truncated: 1
      "*.*.max_duration = -1\n"                      // wraps: 2^64 - 1
      "*.Offline.target_qps = 0x1p3\n"               // hex float: 8
      "*.Server.max_async_queries = 2147483648\n");  // int(): -2^31
  TestSettings s;
  ASSERT_EQ(s.FromConfig(f.path(), "x", "Offline", 2), 0);
  EXPECT_EQ(s.min_duration_ms, 8u);
  EXPECT_EQ(s.server_target_qps, 10.0);
  EXPECT_EQ(s.max_query_count, 16u);
  EXPECT_EQ(s.min_query_count, 1u);
  EXPECT_EQ(s.max_duration_ms, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(s.offline_expected_qps, 8.0);
  EXPECT_EQ(s.server_max_async_queries, 18446744071562067968ull);
  // The truncation, the negative value and the int overflow are flagged.
  EXPECT_EQ(Warnings(s).size(), 3u);
}

TEST(Units, FlagsFollowTheReferencesTwoRules) {
  TestSettings s = ReadAlone(
      "*.*.use_token_latencies = 2\n"  // == 1 rule: off
      "*.*.sample_concatenate_permutation = 1\n"
      "*.*.print_timestamps = 2\n"  // != 0 rule: on
      "*.Server.coalesce_queries = 5\n"
      "*.*.performance_issue_unique = 0\n",
      "x", "Offline");
  EXPECT_FALSE(s.use_token_latencies);
  EXPECT_TRUE(s.sample_concatenate_permutation);
  EXPECT_TRUE(s.print_timestamps);
  EXPECT_TRUE(s.server_coalesce_queries);
  EXPECT_FALSE(s.performance_issue_unique);
  EXPECT_EQ(Warnings(s).size(), 3u);
}

// --- Mode and overrides -----------------------------------------------------

TEST(Mode, ModeKeySelectsTheTestMode) {
  const TestMode expected[] = {TestMode::SubmissionRun, TestMode::AccuracyOnly,
                               TestMode::PerformanceOnly,
                               TestMode::FindPeakPerformance};
  for (int m = 0; m < 4; ++m) {
    TestSettings s = ReadAlone("resnet50.*.mode = " + std::to_string(m) + "\n",
                               "resnet50", "Offline");
    EXPECT_EQ(s.mode, expected[m]);
  }
}

TEST(Mode, AnUnknownModeIsAnErrorButTheFileStillApplies) {
  TempFile f("*.*.mode = 7\n*.*.min_query_count = 3\n");
  TestSettings s;
  s.mode = TestMode::AccuracyOnly;
  EXPECT_EQ(s.FromConfig(f.path(), "resnet50", "Offline", 2), 0);
  EXPECT_EQ(s.mode, TestMode::AccuracyOnly);
  EXPECT_EQ(s.min_query_count, 3u);
  ASSERT_EQ(Errors(s).size(), 1u);
  EXPECT_EQ(Errors(s)[0].line, 1);
}

TEST(Overrides, UserConfOverridesTheBuiltinAndLaterLinesWin) {
  TempFile f(
      "*.*.min_duration = 1000\n"
      "resnet50.Offline.min_query_count = 10\n"
      "*.Offline.target_qps = 20\n"
      "*.Offline.target_qps = 30\n");
  TestSettings s;
  ASSERT_EQ(s.FromConfig(f.path(), "resnet50", "Offline"), 0);
  EXPECT_TRUE(s.builtin_config_applied);
  EXPECT_EQ(s.min_duration_ms, 1000u);
  EXPECT_EQ(s.min_query_count, 10u);
  EXPECT_EQ(s.offline_expected_qps, 30.0);
  EXPECT_EQ(s.performance_sample_count_override, 1024u);  // built-in
  EXPECT_EQ(s.qsl_rng_seed, 2085463073848966840ull);      // built-in
  ASSERT_EQ(Warnings(s).size(), 1u);
  EXPECT_EQ(Warnings(s)[0].line, 4);
  EXPECT_NE(Warnings(s)[0].message.find("line 3"), std::string::npos);
}

TEST(Overrides, ModelScenarioBuiltinValueBeatsAUserWildcardOnlyIfMoreSpecific) {
  // Files are applied one after the other: a user `*.*` value replaces a
  // built-in `resnet50.Offline` one, because lookups are per file.
  TempFile f("*.*.min_query_count = 5\n");
  TestSettings s;
  ASSERT_EQ(s.FromConfig(f.path(), "resnet50", "Offline"), 0);
  EXPECT_EQ(s.min_query_count, 5u);
}

// --- Return codes and files
// ---------------------------------------------------

TEST(Files, MissingFileGivesEnoentAfterTheBuiltinWasApplied) {
  TestSettings s;
  EXPECT_EQ(s.FromConfig("/no/such/user.conf", "resnet50", "Offline"), -ENOENT);
  EXPECT_EQ(s.min_duration_ms, 600000u);
  EXPECT_EQ(s.qsl_rng_seed, 2085463073848966840ull);
  ASSERT_EQ(Errors(s).size(), 1u);
  EXPECT_EQ(Errors(s)[0].file, "/no/such/user.conf");
  EXPECT_EQ(Errors(s)[0].line, 0);
  EXPECT_NE(Errors(s)[0].message.find("cannot open"), std::string::npos);
}

TEST(Files, DirectoryGivesZeroAndSetsNothing) {
  TestSettings s;
  EXPECT_EQ(s.FromConfig(::testing::TempDir(), "resnet50", "Offline", 2), 0);
  TestSettings fresh;
  EXPECT_EQ(s.min_duration_ms, fresh.min_duration_ms);
  EXPECT_EQ(s.min_query_count, fresh.min_query_count);
  EXPECT_TRUE(Errors(s).empty());
  EXPECT_EQ(Warnings(s).size(), 1u);
}

TEST(Files, OversizedFileIsRefused) {
  TestSettings s =
      ReadAlone(std::string(internal::kMaxConfigFileBytes + 1, '\n'),
                "resnet50", "Offline", -EINVAL);
  EXPECT_EQ(Errors(s).size(), 1u);
}

TEST(Files, SecondUserConfIsReportedAndTheBuiltinIsNotReapplied) {
  TempFile f("*.*.max_query_count = 7\n");
  TestSettings s;
  ASSERT_EQ(s.FromConfig(f.path(), "resnet50", "Offline"), 0);
  s.min_duration_ms = 1;  // would be reset if the built-in came again
  ASSERT_EQ(s.FromConfig(f.path(), "resnet50", "Offline"), 0);
  EXPECT_EQ(s.min_duration_ms, 1u);
  ASSERT_EQ(Errors(s).size(), 1u);
  EXPECT_EQ(Errors(s)[0].message,
            "Multiple conf files are used. This is not valid for official "
            "submission.");
}

TEST(Files, EachObjectGetsTheBuiltinOnItsFirstUserConf) {
  // Unlike the reference, which applies it once per process.
  TempFile f("*.*.max_query_count = 7\n");
  TestSettings a, b;
  ASSERT_EQ(a.FromConfig(f.path(), "resnet50", "Offline"), 0);
  ASSERT_EQ(b.FromConfig(f.path(), "resnet50", "Offline"), 0);
  EXPECT_EQ(b.min_duration_ms, 600000u);
  EXPECT_TRUE(Errors(b).empty());
}

// --- Diagnostics
// --------------------------------------------------------------

TEST(Diagnostics, UnknownKeyIsAWarningWithLineAndSuggestion) {
  TempFile f(
      "# my settings\n"
      "*.Offline.target_qps = 100\n"
      "*.Server.target_qsp = 5\n");
  TestSettings s;
  EXPECT_EQ(s.FromConfig(f.path(), "resnet50", "Server"), 0);
  EXPECT_EQ(s.offline_expected_qps, 100.0);  // the rest still applies
  const auto w = Warnings(s);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].file, f.path());
  EXPECT_EQ(w[0].line, 3);
  EXPECT_EQ(w[0].key, "*.Server.target_qsp");
  EXPECT_EQ(w[0].message,
            "unknown key 'target_qsp' (did you mean target_qps?); this line "
            "is ignored");
}

TEST(Diagnostics, FieldNameUsedAsKeySuggestsTheKey) {
  TestSettings s = ReadAlone(
      "*.*.min_duration_ms = 5\n*.*.server_target_qps = 5\n", "x", "Server");
  const auto w = Warnings(s);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NE(w[0].message.find("did you mean min_duration?"), std::string::npos);
  EXPECT_NE(w[1].message.find("did you mean Server.target_qps?"),
            std::string::npos);
}

TEST(Diagnostics, UnknownScenarioAndKeyUnderTheWrongScenario) {
  TestSettings s = ReadAlone(
      "*.server.target_qps = 5\n"
      "resnet50.SingleStream.target_qps = 5\n"
      "*.Offline.target_latency = 5\n",
      "resnet50", "Server");
  EXPECT_EQ(s.server_target_qps, 1.0);
  const auto w = Warnings(s);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].message.find("did you mean Server?"), std::string::npos);
  EXPECT_NE(w[1].message.find("only read under Server and Offline"),
            std::string::npos);
  EXPECT_NE(w[2].message.find("no effect"), std::string::npos);
}

TEST(Diagnostics, MlperfConfOnlyKeysAreIgnoredFromAUserConfWithAWarning) {
  TempFile f(
      "*.*.qsl_rng_seed = 1\n"
      "*.*.sample_index_rng_seed = 2\n"
      "*.*.schedule_rng_seed = 3\n"
      "*.*.accuracy_log_probability = 50\n"
      "*.*.test05 = 1\n"
      "*.*.test05_qsl_rng_seed = 4\n");
  TestSettings s;
  EXPECT_EQ(s.FromConfig(f.path(), "resnet50", "Offline"), 0);
  EXPECT_EQ(s.qsl_rng_seed, 2085463073848966840ull);
  EXPECT_EQ(s.sample_index_rng_seed, 2747215439041700203ull);
  EXPECT_EQ(s.schedule_rng_seed, 16159082839903944936ull);
  EXPECT_EQ(s.accuracy_log_probability, 0.0);
  EXPECT_FALSE(s.test05);
  EXPECT_EQ(s.test05_qsl_rng_seed, 7975553102935885558ull);
  const auto w = Warnings(s);
  ASSERT_EQ(w.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(w[i].line, i + 1);
    EXPECT_NE(w[i].message.find("only be set by the built-in mlperf.conf"),
              std::string::npos);
  }
}

TEST(Diagnostics, UnknownScenarioArgumentIsAWarning) {
  TestSettings s = BuiltinOnly("resnet50", "server");
  ASSERT_EQ(Warnings(s).size(), 1u);
  EXPECT_EQ(Warnings(s)[0].file, kBuiltinConfName);
}

TEST(Diagnostics, BytesFromTheFileAreEscapedInMessages) {
  TestSettings s = ReadAlone("*.*.ke\xff\x01y = 5\n", "x", "Server");
  ASSERT_EQ(Warnings(s).size(), 1u);
  EXPECT_NE(Warnings(s)[0].message.find("ke\\xff\\x01y"), std::string::npos);
  EXPECT_EQ(Warnings(s)[0].key, "*.*.ke\\xff\\x01y");
}

TEST(Diagnostics, AreCappedPerFile) {
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    text += "*.*.nope" + std::to_string(i) + " = 1\n";
  }
  TestSettings s = ReadAlone(text, "x", "Server");
  ASSERT_EQ(s.config_diagnostics.size(), internal::kMaxDiagnosticsPerFile + 1);
  EXPECT_NE(s.config_diagnostics.back().message.find("900 more"),
            std::string::npos);
}

// --- audit.config
// -------------------------------------------------------------

TEST(Audit, OnlyWildcardModelLinesApplyAndSeedsStay) {
  TempFile f(
      "resnet50.*.mode = 1\n"
      "*.*.mode = 2\n"
      "*.Server.accuracy_log_sampling_target = 7\n"
      "*.*.accuracy_log_rng_seed = 720381539243781796\n"
      "*.*.qsl_rng_seed = 1\n");
  TestSettings s = BuiltinOnly("resnet50", "Server");
  s.mode = TestMode::SubmissionRun;
  ASSERT_EQ(ApplyAuditConfig(&s, f.path(), "Server"), 0);
  EXPECT_EQ(s.mode, TestMode::PerformanceOnly);
  EXPECT_EQ(s.accuracy_log_sampling_target, 7u);
  EXPECT_EQ(s.accuracy_log_rng_seed, 720381539243781796ull);
  EXPECT_EQ(s.qsl_rng_seed, 2085463073848966840ull);
  EXPECT_FALSE(s.builtin_config_applied);
}

TEST(Audit, MissingAuditConfigIsQuiet) {
  TestSettings s;
  EXPECT_EQ(ApplyAuditConfig(&s, "/no/such/audit.config", "Server"), -ENOENT);
  EXPECT_TRUE(s.config_diagnostics.empty());
}

// --- ExplainConfig
// ------------------------------------------------------------

TEST(Explain, ReportsValueAndOriginOfEachField) {
  TempFile f("# user settings\n*.Server.target_qps = 17\n");
  const auto ex = ExplainConfig(f.path(), "resnet50", "Server");
  EXPECT_EQ(ex.user_conf_rc, 0);
  EXPECT_EQ(ex.settings.server_target_qps, 17.0);
  auto find = [&](const std::string &field) {
    for (const auto &src : ex.fields) {
      if (src.field == field) return src;
    }
    ADD_FAILURE() << "no field " << field;
    return internal::ConfigSource{};
  };
  const auto qps = find("server_target_qps");
  EXPECT_EQ(qps.value, "17");
  EXPECT_EQ(find("single_stream_expected_latency_ns").value, "10000000");
  EXPECT_EQ(find("single_stream_target_latency_percentile").value, "0.9");
  EXPECT_EQ(qps.file, f.path());
  EXPECT_EQ(qps.line, 2);
  EXPECT_EQ(qps.key, "*.Server.target_qps");
  EXPECT_EQ(qps.Where(), f.path() + ":2");

  const auto latency = find("server_target_latency_ns");
  EXPECT_EQ(latency.value, "15000000");
  EXPECT_EQ(latency.file, kBuiltinConfName);
  EXPECT_EQ(latency.line, BuiltinLineOf("resnet50.Server.target_latency"));
  EXPECT_GT(latency.line, 0);
  EXPECT_EQ(latency.written_value, "15");

  const auto mode = find("mode");
  EXPECT_EQ(mode.value, "PerformanceOnly");
  EXPECT_EQ(mode.Where(), "default");
  EXPECT_EQ(ex.fields.size(), 47u);  // 43 + max_response_bytes + 3 records
}

TEST(Explain, AuditConfigComesLast) {
  TempFile user("*.*.min_query_count = 5\n");
  TempFile audit("*.*.min_query_count = 6\n");
  const auto ex = ExplainConfig(user.path(), "bert", "Offline", audit.path());
  EXPECT_EQ(ex.settings.min_query_count, 6u);
  for (const auto &src : ex.fields) {
    if (src.field == "min_query_count") EXPECT_EQ(src.file, audit.path());
  }
}

TEST(Explain, KnownKeysListsEveryKey) {
  const auto keys = internal::KnownConfigKeys();
  EXPECT_EQ(keys.size(), 33u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

// --- Robustness
// ---------------------------------------------------------------

TEST(Robustness, RandomBytesNeverCrash) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 2000; ++i) {
    std::string text(rng() % 600, '\0');
    for (char &c : text) c = static_cast<char>(rng());
    TestSettings s;
    const int rc = ApplyConfigText(&s, text, "random", "resnet50", "Server",
                                   static_cast<int>(rng() % 3));
    EXPECT_TRUE(rc == 0 || rc == -EINVAL);
    EXPECT_LE(s.config_diagnostics.size(),
              internal::kMaxDiagnosticsPerFile + 1);
  }
}

TEST(Robustness, RandomValidLookingFilesNeverCrash) {
  const std::vector<std::string> words = {"*",
                                          "resnet50",
                                          "Server",
                                          "Offline",
                                          "SingleStream",
                                          "MultiStream",
                                          "target_qps",
                                          "target_latency",
                                          "mode",
                                          "min_duration",
                                          "=",
                                          "#",
                                          "ttft_latency",
                                          "use_token_latencies",
                                          ".",
                                          "..",
                                          "1",
                                          "-1",
                                          "0x",
                                          "1e400",
                                          "nan",
                                          "inf",
                                          "99.9",
                                          "18446744073709551616",
                                          "\t",
                                          "\r",
                                          std::string("\0", 1),
                                          "\xff\xfe",
                                          "=5",
                                          "#x"};
  std::mt19937_64 rng(777);
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    const int lines = static_cast<int>(rng() % 30);
    for (int l = 0; l < lines; ++l) {
      const int n = static_cast<int>(rng() % 6);
      for (int w = 0; w < n; ++w) {
        text += words[rng() % words.size()];
        text += (rng() % 3 == 0) ? "" : (rng() % 2 ? "." : " ");
      }
      text += '\n';
    }
    TestSettings s;
    const int rc =
        ApplyConfigText(&s, text, "random", "resnet50", words[rng() % 6], 1);
    EXPECT_TRUE(rc == 0 || rc == -EINVAL);
  }
}

TEST(Robustness, HugeLinesAndManyLinesAreHandled) {
  TestSettings a;
  EXPECT_EQ(
      ApplyConfigText(&a, std::string(4 << 20, 'k'), "huge", "m", "Server", 1),
      0);
  TestSettings b;
  EXPECT_EQ(ApplyConfigText(
                &b, "*.*.min_query_count = " + std::string(1 << 20, '9') + "\n",
                "huge", "m", "Server", 1),
            0);
  EXPECT_EQ(b.min_query_count, std::numeric_limits<uint64_t>::max());
  TestSettings c;
  std::string many;
  for (int i = 0; i < 200000; ++i) many += "x y z\n";
  EXPECT_EQ(ApplyConfigText(&c, many, "many", "m", "Server", 1), -EINVAL);
  EXPECT_EQ(c.config_diagnostics.size(), internal::kMaxDiagnosticsPerFile + 1);
  TestSettings d;
  EXPECT_EQ(ApplyConfigText(&d, std::string(1 << 20, ' ') + "\n", "blank", "m",
                            "Server", 1),
            0);
}

}  // namespace
}  // namespace mlperf
