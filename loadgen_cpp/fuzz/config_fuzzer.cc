// libFuzzer target: the config reader on arbitrary text, as a user.conf, an
// audit.config and a replacement mlperf.conf, under a few model and scenario
// names. Nothing may crash, hang or read out of bounds; every diagnostic must
// format; a file that parsed must give settings that validate or are
// rejected with std::invalid_argument (never anything else).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "config.h"
#include "loadgen/test_settings.h"
#include "settings_internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlperf;
  using namespace mlperf::internal;
  if (size > 4096) return 0;  // longer files only repeat lines
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const char* kModels[] = {"resnet50", "*", "3d-unet"};
  static const char* kScenarios[] = {"Offline", "Server", "SingleStream",
                                     "MultiStream"};
  const int pick = size > 0 ? data[0] : 0;
  const std::string model = kModels[pick % 3];
  const std::string scenario = kScenarios[(pick / 3) % 4];
  for (int conf_type : {kConfUser, kConfAudit, kConfBuiltin}) {
    TestSettings s;
    const int rc =
        ApplyConfigText(&s, text, "fuzz.conf", model, scenario, conf_type);
    if (rc != 0 && rc != -EINVAL) __builtin_trap();
    for (const ConfigDiagnostic& d : s.config_diagnostics) {
      if (FormatDiagnostic(d).empty()) __builtin_trap();
    }
    try {
      ValidateSettings(s, 1024, 1024);
      (void)DeriveSettings(s, 1024, 1024);
    } catch (const std::invalid_argument&) {
    }
  }
  return 0;
}
