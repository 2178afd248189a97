#include "safe_copy.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>

#if defined(__linux__)
#include <sys/uio.h>
#include <unistd.h>
#endif

namespace mlperf {
namespace internal {

namespace {

std::atomic<bool> g_checked{true};
std::atomic<bool> g_syscall_works{true};

std::string Address(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

}  // namespace

void SetCheckedCopyForBenchmark(bool checked) { g_checked.store(checked); }

namespace {

constexpr size_t kMaxProbePages = 64;  // larger ranges: CopyFromSut

// The pages of `pages` (sorted, distinct page numbers) that cannot be read.
std::vector<uintptr_t> UnreadablePages(const std::vector<uintptr_t>& pages,
                                       uintptr_t page_size) {
  std::vector<uintptr_t> bad;
#if defined(__linux__)
  static const pid_t self = getpid();
  constexpr size_t kMaxIov = 1024;
  struct iovec remote[kMaxIov];
  char sink[kMaxIov];
  size_t i = 0;
  while (i < pages.size()) {
    const size_t k = std::min(kMaxIov, pages.size() - i);
    for (size_t j = 0; j < k; ++j) {
      remote[j].iov_base = reinterpret_cast<void*>(pages[i + j] * page_size);
      remote[j].iov_len = 1;
    }
    struct iovec local = {sink, k};
    const ssize_t got = process_vm_readv(self, &local, 1, remote, k, 0);
    if (got < 0 && errno != EFAULT) {
      // Not permitted here: probe one by one (CopyFromSut falls back).
      for (size_t j = i; j < pages.size(); ++j) {
        char c;
        if (!CopyFromSut(reinterpret_cast<uint8_t*>(&c),
                         reinterpret_cast<void*>(pages[j] * page_size), 1)
                 .empty()) {
          bad.push_back(pages[j]);
        }
      }
      return bad;
    }
    const size_t readable = got < 0 ? 0 : static_cast<size_t>(got);
    if (readable >= k) {
      i += k;
      continue;
    }
    bad.push_back(pages[i + readable]);
    i += readable + 1;
  }
#endif
  return bad;
}

}  // namespace

size_t GatherFromSut(uint8_t* dst, const void* const* src, const size_t* sizes,
                     size_t n, std::vector<std::string>* why) {
  why->assign(n, std::string());
  uint8_t* const start = dst;
#if defined(__linux__)
  if (g_checked.load(std::memory_order_relaxed) &&
      g_syscall_works.load(std::memory_order_relaxed)) {
    static const uintptr_t page_size =
        static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    std::vector<uintptr_t> pages;
    pages.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const uintptr_t a = reinterpret_cast<uintptr_t>(src[i]);
      if (sizes[i] == 0) continue;
      if (sizes[i] - 1 > UINTPTR_MAX - a) continue;  // wraps: CopyFromSut
      const uintptr_t p0 = a / page_size, p1 = (a + sizes[i] - 1) / page_size;
      if (p1 - p0 >= kMaxProbePages) continue;
      for (uintptr_t p = p0; p <= p1; ++p) pages.push_back(p);
    }
    std::sort(pages.begin(), pages.end());
    pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
    const std::vector<uintptr_t> bad = UnreadablePages(pages, page_size);
    for (size_t i = 0; i < n; ++i) {
      if (sizes[i] == 0) continue;
      const uintptr_t a = reinterpret_cast<uintptr_t>(src[i]);
      bool probed = sizes[i] - 1 <= UINTPTR_MAX - a;
      uintptr_t p0 = 0, p1 = 0;
      if (probed) {
        p0 = a / page_size;
        p1 = (a + sizes[i] - 1) / page_size;
        probed = p1 - p0 < kMaxProbePages;
      }
      if (!probed) {
        (*why)[i] = CopyFromSut(dst, src[i], sizes[i]);
        if ((*why)[i].empty()) dst += sizes[i];
        continue;
      }
      const auto it = std::lower_bound(bad.begin(), bad.end(), p0);
      if (it != bad.end() && *it <= p1) {
        // Say exactly what was wrong (a careful copy of this range).
        std::vector<uint8_t> probe(sizes[i]);
        (*why)[i] = CopyFromSut(probe.data(), src[i], sizes[i]);
        if ((*why)[i].empty()) (*why)[i] = "its pages became unreadable";
        continue;
      }
      std::memcpy(dst, src[i], sizes[i]);
      dst += sizes[i];
    }
    return static_cast<size_t>(dst - start);
  }
#endif
  for (size_t i = 0; i < n; ++i) {
    if (src[i] == nullptr && sizes[i] > 0) {
      (*why)[i] = "the data address is null";
      continue;
    }
    std::memcpy(dst, src[i], sizes[i]);
    dst += sizes[i];
  }
  return static_cast<size_t>(dst - start);
}

std::string CopyFromSut(uint8_t* dst, const void* src, size_t size) {
  if (size == 0) return "";
  if (src == nullptr) return "the data address is null";
#if defined(__linux__)
  if (g_checked.load(std::memory_order_relaxed) &&
      g_syscall_works.load(std::memory_order_relaxed)) {
    static const pid_t self = getpid();
    size_t done = 0;
    while (done < size) {
      struct iovec local = {dst + done, size - done};
      struct iovec remote = {
          const_cast<uint8_t*>(static_cast<const uint8_t*>(src) + done),
          size - done};
      const ssize_t got = process_vm_readv(self, &local, 1, &remote, 1, 0);
      if (got > 0) {
        done += static_cast<size_t>(got);
        continue;
      }
      const int err = got < 0 ? errno : EFAULT;
      if (err == EFAULT || got == 0) {
        const void* at = static_cast<const uint8_t*>(src) + done;
        return done == 0
                   ? "address " + Address(src) + " is not readable"
                   : "only " + std::to_string(done) + " of " +
                         std::to_string(size) + " bytes at " + Address(src) +
                         " are readable (" + Address(at) + " is not)";
      }
      if (err == EINTR) continue;
      // ENOSYS, EPERM (a seccomp filter): no protection on this system.
      if (!g_syscall_works.exchange(false)) break;
      std::cerr << "loadgen: process_vm_readv is not available ("
                << std::strerror(err)
                << "); response data is copied unchecked.\n";
      break;
    }
    if (done == size) return "";
    std::memcpy(dst + done, static_cast<const uint8_t*>(src) + done,
                size - done);
    return "";
  }
#endif
  std::memcpy(dst, src, size);
  return "";
}

}  // namespace internal
}  // namespace mlperf
