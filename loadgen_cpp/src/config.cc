// config.cc: TestSettings::FromConfig and the config helpers of config.h.
//
// Reading a file has two steps, as in the reference LoadGen:
//  1. Parse (config_parse.cc): every line is split into whitespace-separated
//     words and read as `key = value`. Values are kept as written, keyed by
//     the full key; a later line replaces an earlier one. A malformed line
//     makes the whole file count as bad (-EINVAL) and nothing of it is applied.
//  2. Apply (here): for each setting (kRules, config_rules.h, in the
//     reference's order) the value is looked up as model.scenario.key,
//     *.scenario.key, model.*.key, *.*.key and converted with strtoull /
//     strtod at that point, so that odd values ("1.5" for an integer, "-1",
//     "010") end up exactly as the reference would store them.
// Diagnostics are gathered along the way; they never change what is applied.

#include "config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config_rules.h"
#include "config_text.h"
#include "settings_internal.h"

namespace mlperf {
namespace internal {

extern const char kMlperfConfBytes[];  // generated from src/mlperf.conf

const char kBuiltinConfName[] = "mlperf.conf (built-in)";

const char *BuiltinMlperfConf() { return kMlperfConfBytes; }

namespace {

using namespace cfg;  // NOLINT: the reader's own internals

// ---------------------------------------------------------------------------
// Step 2: apply.
// ---------------------------------------------------------------------------

using Origins = std::map<std::string, ConfigSource>;

const std::pair<const std::string, Entry> *Lookup(const Entries &entries,
                                                  const std::string &model,
                                                  const std::string &scenario,
                                                  const std::string &key) {
  const std::string candidates[] = {
      model + "." + scenario + "." + key,
      "*." + scenario + "." + key,
      model + ".*." + key,
      "*.*." + key,
  };
  for (const std::string &c : candidates) {
    auto it = entries.find(c);
    if (it != entries.end()) return &*it;
  }
  return nullptr;
}

void Apply(const Entries &entries, const std::string &model,
           const std::string &scenario, int conf_type,
           const std::string &file_label, TestSettings *s, Origins *origins,
           DiagnosticSink *sink) {
  for (const Rule &r : kRules) {
    if (r.builtin_only && conf_type != kConfBuiltin) continue;
    if (r.only_if != nullptr && !(s->*r.only_if)) continue;
    const auto *found =
        Lookup(entries, model, r.scenario ? r.scenario : scenario, r.key);
    if (found == nullptr) continue;
    const std::string &value = found->second.value;
    switch (r.kind) {
      case Kind::kUnsigned:
        // Unsigned arithmetic wraps, as the reference's does.
        s->*r.u64 = ReadUnsigned(value) * static_cast<uint64_t>(r.multiplier);
        break;
      case Kind::kDouble:
        s->*r.f64 = ReadDouble(value) * r.multiplier;
        break;
      case Kind::kFlagOne:
        s->*r.flag = ReadUnsigned(value) == 1;
        break;
      case Kind::kFlagSet:
        s->*r.flag = ReadUnsigned(value) != 0;
        break;
      case Kind::kInt32: {
        // The low 32 bits as a signed int, widened back to 64 bits.
        const uint64_t low = ReadUnsigned(value) & 0xffffffffu;
        const int64_t as_int =
            low >= 0x80000000u ? static_cast<int64_t>(low) - (int64_t{1} << 32)
                               : static_cast<int64_t>(low);
        s->*r.u64 = static_cast<uint64_t>(as_int);
        break;
      }
      case Kind::kMode: {
        const uint64_t v = ReadUnsigned(value);
        if (v > 3) {
          sink->Error(found->second.line, found->first,
                      "mode must be 0 (SubmissionRun), 1 (AccuracyOnly), 2 "
                      "(PerformanceOnly) or 3 (FindPeakPerformance); " +
                          Quote(value) + " is ignored");
          continue;
        }
        s->mode = static_cast<TestMode>(v);
        break;
      }
    }
    if (origins != nullptr) {
      ConfigSource &src = (*origins)[r.field];
      src.field = r.field;
      src.file = file_label;
      src.line = found->second.line;
      src.key = Printable(found->first, 200);
      src.written_value = value;
    }
  }
}

int ApplyText(TestSettings *s, const std::string &text,
              const std::string &file_label, const std::string &model,
              const std::string &scenario, int conf_type, Origins *origins) {
  // The built-in file is ours and tested: only errors could be news there.
  DiagnosticSink sink(&s->config_diagnostics, file_label,
                      /*quiet_warnings=*/conf_type == kConfBuiltin);
  Entries entries;
  if (Parse(text, conf_type, &entries, &sink) != 0) return -EINVAL;
  Apply(entries, model, scenario, conf_type, file_label, s, origins, &sink);
  return 0;
}

// Reads a whole file into `text`. Returns 0, -ENOENT (cannot open) or
// -EINVAL (too large); a directory reads as empty, as in the reference.
int ReadConfigFile(const std::string &path, std::string *text,
                   std::vector<ConfigDiagnostic> *diagnostics) {
  auto report = [&](bool is_error, std::string message) {
    ConfigDiagnostic d;
    d.is_error = is_error;
    d.file = path;
    d.message = std::move(message);
    diagnostics->push_back(std::move(d));
  };
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    const int err = errno;
    report(true, std::string("cannot open the file") +
                     (err != 0 ? std::string(": ") + std::strerror(err) : ""));
    return -ENOENT;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    report(false, "is a directory; nothing was read");
    return 0;
  }
  text->clear();
  char buffer[1 << 16];
  while (in) {
    in.read(buffer, sizeof(buffer));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    if (text->size() + static_cast<std::size_t>(got) > kMaxConfigFileBytes) {
      report(true, "the file is larger than " +
                       std::to_string(kMaxConfigFileBytes >> 20) +
                       " MiB; it was not read");
      text->clear();
      return -EINVAL;
    }
    text->append(buffer, static_cast<std::size_t>(got));
  }
  return 0;
}

int FromConfigImpl(TestSettings *s, const std::string &path,
                   const std::string &model, const std::string &scenario,
                   int conf_type, Origins *origins) {
  const std::string label =
      conf_type == kConfBuiltin ? std::string(kBuiltinConfName) : path;
  if (!IsScenarioName(scenario)) {
    ConfigDiagnostic d;
    d.is_error = false;
    d.file = label;
    d.message = "the scenario " + Quote(scenario) +
                " is not SingleStream, MultiStream, Server or Offline; keys "
                "written under a scenario name will not match it";
    s->config_diagnostics.push_back(std::move(d));
  }
  if (conf_type == kConfUser) {
    if (!s->builtin_config_applied) {
      s->builtin_config_applied = true;
      ApplyText(s, BuiltinMlperfConf(), kBuiltinConfName, model, scenario,
                kConfBuiltin, origins);
    } else {
      ConfigDiagnostic d;
      d.is_error = true;
      d.file = path;
      d.message =
          "Multiple conf files are used. This is not valid for official "
          "submission.";
      s->config_diagnostics.push_back(std::move(d));
    }
  }
  if (conf_type == kConfBuiltin) {
    return ApplyText(s, BuiltinMlperfConf(), kBuiltinConfName, model, scenario,
                     kConfBuiltin, origins);
  }
  std::string text;
  const int rc = ReadConfigFile(path, &text, &s->config_diagnostics);
  if (rc != 0) return rc;
  return ApplyText(s, text, path, model, scenario, conf_type, origins);
}

// ---------------------------------------------------------------------------
// Every TestSettings field, for explanations.
// ---------------------------------------------------------------------------

struct FieldView {
  const char *name;
  std::string (*format)(const TestSettings &);
};

#define LOADGEN_FIELD(member, formatter)                         \
  FieldView {                                                    \
#member, [](const TestSettings &s)                           \
                  -> std::string { return formatter(s.member); } \
  }

std::string FormatU64(uint64_t v) { return std::to_string(v); }
std::string FormatInt(int v) { return std::to_string(v); }
std::string FormatBool(bool v) { return v ? "true" : "false"; }
std::string FormatRecordMode(TestSettings::RecordMode m) {
  switch (m) {
    case TestSettings::RecordMode::kExact:
      return "exact";
    case TestSettings::RecordMode::kStreaming:
      return "streaming";
    case TestSettings::RecordMode::kAuto:
      break;
  }
  return "auto";
}
std::string FormatMode(TestMode m) { return ToString(m); }
std::string FormatScenario(TestScenario s) { return ToString(s); }

const FieldView kFields[] = {
    LOADGEN_FIELD(scenario, FormatScenario),
    LOADGEN_FIELD(mode, FormatMode),
    LOADGEN_FIELD(single_stream_expected_latency_ns, FormatDouble),
    LOADGEN_FIELD(single_stream_target_latency_percentile, FormatDouble),
    LOADGEN_FIELD(multi_stream_expected_latency_ns, FormatDouble),
    LOADGEN_FIELD(multi_stream_target_latency_percentile, FormatDouble),
    LOADGEN_FIELD(multi_stream_samples_per_query, FormatU64),
    LOADGEN_FIELD(server_target_qps, FormatDouble),
    LOADGEN_FIELD(server_target_latency_ns, FormatU64),
    LOADGEN_FIELD(server_target_latency_percentile, FormatDouble),
    LOADGEN_FIELD(server_coalesce_queries, FormatBool),
    LOADGEN_FIELD(server_find_peak_qps_decimals_of_precision, FormatInt),
    LOADGEN_FIELD(server_find_peak_qps_boundary_step_size, FormatDouble),
    LOADGEN_FIELD(server_max_async_queries, FormatU64),
    LOADGEN_FIELD(server_num_issue_query_threads, FormatU64),
    LOADGEN_FIELD(offline_expected_qps, FormatDouble),
    LOADGEN_FIELD(sample_concatenate_permutation, FormatBool),
    LOADGEN_FIELD(min_duration_ms, FormatU64),
    LOADGEN_FIELD(max_duration_ms, FormatU64),
    LOADGEN_FIELD(min_query_count, FormatU64),
    LOADGEN_FIELD(max_query_count, FormatU64),
    LOADGEN_FIELD(qsl_rng_seed, FormatU64),
    LOADGEN_FIELD(sample_index_rng_seed, FormatU64),
    LOADGEN_FIELD(schedule_rng_seed, FormatU64),
    LOADGEN_FIELD(accuracy_log_rng_seed, FormatU64),
    LOADGEN_FIELD(accuracy_log_probability, FormatDouble),
    LOADGEN_FIELD(accuracy_log_sampling_target, FormatU64),
    LOADGEN_FIELD(test05, FormatBool),
    LOADGEN_FIELD(test05_qsl_rng_seed, FormatU64),
    LOADGEN_FIELD(test05_sample_index_rng_seed, FormatU64),
    LOADGEN_FIELD(test05_schedule_rng_seed, FormatU64),
    LOADGEN_FIELD(print_timestamps, FormatBool),
    LOADGEN_FIELD(performance_issue_unique, FormatBool),
    LOADGEN_FIELD(performance_issue_same, FormatBool),
    LOADGEN_FIELD(performance_issue_same_index, FormatU64),
    LOADGEN_FIELD(performance_sample_count_override, FormatU64),
    LOADGEN_FIELD(accuracy_sample_count_override, FormatU64),
    LOADGEN_FIELD(use_token_latencies, FormatBool),
    LOADGEN_FIELD(server_ttft_latency, FormatU64),
    LOADGEN_FIELD(server_tpot_latency, FormatU64),
    LOADGEN_FIELD(infer_token_latencies, FormatBool),
    LOADGEN_FIELD(token_latency_scaling_factor, FormatU64),
    LOADGEN_FIELD(watchdog_timeout_ms, FormatU64),
    LOADGEN_FIELD(max_response_bytes, FormatU64),
    LOADGEN_FIELD(record_mode, FormatRecordMode),
    LOADGEN_FIELD(exact_record_budget_bytes, FormatU64),
    LOADGEN_FIELD(streaming_window_samples, FormatU64),
};

#undef LOADGEN_FIELD
}  // namespace

std::string ConfigSource::Where() const {
  if (file.empty()) return "default";
  return file + ":" + std::to_string(line);
}

int ApplyConfigText(TestSettings *settings, const std::string &text,
                    const std::string &file_label, const std::string &model,
                    const std::string &scenario, int conf_type) {
  return ApplyText(settings, text, file_label, model, scenario, conf_type,
                   nullptr);
}

int ApplyAuditConfig(TestSettings *settings, const std::string &path,
                     const std::string &scenario) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -ENOENT;
  return FromConfigImpl(settings, path, "*", scenario, kConfAudit, nullptr);
}

ConfigExplanation ExplainConfig(const std::string &user_conf_path,
                                const std::string &model,
                                const std::string &scenario,
                                const std::string &audit_config_path) {
  ConfigExplanation ex;
  Origins origins;
  if (user_conf_path.empty()) {
    ex.user_conf_rc = FromConfigImpl(&ex.settings, "", model, scenario,
                                     kConfBuiltin, &origins);
  } else {
    ex.user_conf_rc = FromConfigImpl(&ex.settings, user_conf_path, model,
                                     scenario, kConfUser, &origins);
  }
  if (!audit_config_path.empty()) {
    struct stat st;
    ex.audit_config_rc =
        ::stat(audit_config_path.c_str(), &st) != 0
            ? -ENOENT
            : FromConfigImpl(&ex.settings, audit_config_path, "*", scenario,
                             kConfAudit, &origins);
  }
  for (const FieldView &f : kFields) {
    ConfigSource src;
    auto it = origins.find(f.name);
    if (it != origins.end()) src = it->second;
    src.field = f.name;
    src.value = f.format(ex.settings);
    ex.fields.push_back(std::move(src));
  }
  return ex;
}

std::vector<std::string> KnownConfigKeys() { return AllKeyNames(); }

std::string FormatDiagnostic(const ConfigDiagnostic &d) {
  const std::string where =
      d.file + (d.line > 0 ? ":" + std::to_string(d.line) : std::string());
  return where + ": " + (d.key.empty() ? "" : d.key + ": ") + d.message;
}

}  // namespace internal

int TestSettings::FromConfig(const std::string &path, const std::string &model,
                             const std::string &scenario, int conf_type) {
  const std::size_t before = config_diagnostics.size();
  const int rc =
      internal::FromConfigImpl(this, path, model, scenario, conf_type, nullptr);
  // The reference is silent here, so a typo would go unnoticed until the
  // detail log is read: say it now, one line per problem.
  for (std::size_t i = before; i < config_diagnostics.size(); ++i) {
    std::cerr << "loadgen: "
              << (config_diagnostics[i].is_error ? "error" : "warning") << ": "
              << internal::FormatDiagnostic(config_diagnostics[i]) << "\n";
  }
  return rc;
}

}  // namespace mlperf
