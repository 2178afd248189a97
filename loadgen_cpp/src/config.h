// config.h: reading mlperf.conf, user.conf and audit.config into TestSettings.
//
// TestSettings::FromConfig (public) is built on the pieces here. The runtime
// calls ApplyAuditConfig from StartTest; the `config show` tool calls
// ExplainConfig to print each field with the line that set it.
//
//   mlperf::internal::ConfigExplanation ex = mlperf::internal::ExplainConfig(
//       "user.conf", "resnet50", "Server");
//   for (const auto &f : ex.fields)
//     std::printf("%s = %s  (%s)\n", f.field.c_str(), f.value.c_str(),
//                 f.Where().c_str());
//
// The file format, the keys and the return codes are described in
// docs/config.md. Nothing here keeps global state; every function may be
// called from any thread as long as no two calls share a TestSettings.
#ifndef LOADGEN_SRC_CONFIG_H_
#define LOADGEN_SRC_CONFIG_H_

#include <cstddef>
#include <string>
#include <vector>

#include "loadgen/test_settings.h"

namespace mlperf {
namespace internal {

// The text of loadgen_cpp/src/mlperf.conf as compiled into the library:
// NUL-terminated, static storage, never null.
const char *BuiltinMlperfConf();

// The name diagnostics and explanations give the built-in file.
extern const char kBuiltinConfName[];  // "mlperf.conf (built-in)"

// Files larger than this are refused (-EINVAL) rather than read.
constexpr std::size_t kMaxConfigFileBytes = 16u << 20;

// At most this many diagnostics are recorded per file read; one more entry
// says how many were left out.
constexpr std::size_t kMaxDiagnosticsPerFile = 100;

// FromConfig's conf_type values.
enum ConfType : int {
  kConfBuiltin = 0,  // the built-in mlperf.conf only; the path is ignored
  kConfUser = 1,     // a user.conf; the built-in goes first on the first call
  kConfAudit = 2,    // an audit.config, read by StartTest with model "*"
};

// Reads the audit.config at `path` over `settings`, as StartTest does when
// that file exists: conf_type 2 with the model "*", so only `*.scenario.key`
// and `*.*.key` lines apply. `scenario` is the test's scenario name without
// spaces ("SingleStream", ...). Every key a user.conf may set is honoured
// (mode, accuracy_log_rng_seed, accuracy_log_sampling_target,
// performance_issue_*, min/max counts, ...); seeds, accuracy_log_probability
// and test05* are not, exactly as in a user.conf. The built-in mlperf.conf
// is not applied again. Returns FromConfig's codes; diagnostics are appended
// to settings->config_diagnostics. The caller checks that the file exists:
// a missing file returns -ENOENT and records no diagnostic, since running
// without an audit.config is the normal case.
int ApplyAuditConfig(TestSettings *settings, const std::string &path,
                     const std::string &scenario);

// Applies configuration text that is already in memory, as if it were the
// content of a file named `file_label` read with `conf_type` (for
// kConfBuiltin the text need not be the built-in one: tests use this).
// Unlike FromConfig it never applies the built-in mlperf.conf first and
// never touches settings->builtin_config_applied. Returns 0 or -EINVAL.
int ApplyConfigText(TestSettings *settings, const std::string &text,
                    const std::string &file_label, const std::string &model,
                    const std::string &scenario, int conf_type);

// Where one TestSettings field's value came from.
struct ConfigSource {
  std::string field;  // the member's name, e.g. "server_target_latency_ns"
  std::string value;  // its effective value, as text, in the field's unit
  std::string file;   // empty: the default; kBuiltinConfName; else a path
  int line = 0;       // 1-based line in `file`; 0 for the default
  std::string key;  // the key as written, e.g. "resnet50.Server.target_latency"
  std::string written_value;  // the value as written there, e.g. "15"

  // "default", "mlperf.conf (built-in):118" or "user.conf:3".
  std::string Where() const;
};

// What ExplainConfig found.
struct ConfigExplanation {
  TestSettings settings;    // the result, as FromConfig would give it
  int user_conf_rc = 0;     // FromConfig's return code for the user.conf
  int audit_config_rc = 0;  // ApplyAuditConfig's; 0 when none was given
  // One entry per TestSettings field, in the header's order (the extension
  // members config_diagnostics and builtin_config_applied excluded).
  std::vector<ConfigSource> fields;
};

// Starts from default TestSettings and replays what a harness and StartTest
// would do: FromConfig(user_conf_path, model, scenario) (conf_type 1, so the
// built-in mlperf.conf first) or, when user_conf_path is empty,
// FromConfig("", model, scenario, 0); then, when audit_config_path is not
// empty, ApplyAuditConfig. A field reported as coming from a file keeps the
// last line that set it. Diagnostics end up in settings.config_diagnostics.
ConfigExplanation ExplainConfig(const std::string &user_conf_path,
                                const std::string &model,
                                const std::string &scenario,
                                const std::string &audit_config_path = "");

// Every key (the last part of model.scenario.key) that FromConfig reads,
// sorted; for the tool's help text and for suggestions.
std::vector<std::string> KnownConfigKeys();

// "file:line: key: message" (the parts that are known), as FromConfig prints
// a diagnostic on stderr and the detail log records it.
std::string FormatDiagnostic(const ConfigDiagnostic &d);

}  // namespace internal
}  // namespace mlperf

#endif  // LOADGEN_SRC_CONFIG_H_
