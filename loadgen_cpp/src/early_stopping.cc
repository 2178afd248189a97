// early_stopping.cc: binomial tails and the searches built on them.
//
// Numerics. The binomial probability mass is computed in the saddle-point
// form of C. Loader ("Fast and accurate computation of binomial
// probabilities", 2000): the Stirling-series remainders and the deviance
// terms are each small and well conditioned, so the log-mass keeps full
// relative precision even for millions of trials, where subtracting three
// lgamma values of size ~1e8 would leave only ~8 correct digits. The tail is
// then summed outward from its end nearest the mean using the exact ratio of
// neighbouring masses; the terms fall off like a Gaussian, so O(sqrt(n q))
// terms reach double precision. The far tail is never summed: when the
// requested tail holds more than about half the mass we return one minus the
// other tail.
//
// Searches. MinPassing(t) is monotone in h (more trials make X stochastically
// larger), so it is found by bisection inside a bracket grown outward from a
// normal-approximation guess; the guess is within a few units of 1/q of the
// answer, so a call costs about ten tail evaluations. MinPassing(t) + t is
// strictly increasing in t (if h passes for t + 1 it passes for t, since
// {Y <= t} implies {Y + B <= t + 1}), so the closed-loop t is found by
// bisection too, instead of the reference's linear walk over t.
#include "early_stopping.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace mlperf {
namespace internal {
namespace {

// The rules fix these for every scenario.
constexpr double kRulesConfidence = 0.99;
constexpr double kRulesTolerance = 0.0;

// Answers above this are refused: beyond 2^53 counts stop being exact as
// doubles, and h + t must not overflow int64_t.
constexpr int64_t kMaxMinPassing = int64_t{1} << 53;

constexpr double kLnSqrt2Pi = 0.918938533204672741780329736406;
constexpr double kTwoPi = 6.283185307179586476925286766559;

// Relative size of the last tail term kept; well below double epsilon.
constexpr double kTailRelativeTolerance = 1e-17;

std::string FormatDouble(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

[[noreturn]] void ThrowInvalid(const char* function, const char* argument,
                               const std::string& requirement,
                               const std::string& value) {
  throw std::invalid_argument(std::string(function) + ": " + argument +
                              " must be " + requirement + ", got " + value);
}

// ln(n!) - [(n + 1/2) ln n - n + ln sqrt(2 pi)] for n >= 1. The asymptotic
// series has a truncation error below 1e-16 from n = 16; below that, lgamma
// of a small argument is itself accurate to a few 1e-16 absolute.
double StirlingRemainder(double n) {
  if (n <= 15.0) {
    return std::lgamma(n + 1.0) - (n + 0.5) * std::log(n) + n - kLnSqrt2Pi;
  }
  const double inv2 = 1.0 / (n * n);
  return (1.0 / 12 -
          inv2 * (1.0 / 360 -
                  inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 / 1188)))) /
         n;
}

// x ln(x / m) + m - x for x > 0, m > 0: the deviance of observing x where m
// is expected. Near x == m the direct form cancels catastrophically, so it is
// expanded in v = (x - m) / (x + m), where ln(x / m) = 2 atanh(v):
//   (x - m) v + 2 x (v^3 / 3 + v^5 / 5 + ...).
double Deviance(double x, double m) {
  const double diff = x - m;
  if (std::fabs(diff) < 0.1 * (x + m)) {
    const double v = diff / (x + m);
    const double v2 = v * v;
    double sum = diff * v;
    double power = 2.0 * x * v;
    // |v| < 0.1, so each term shrinks by at least 100x: ~9 rounds at most.
    for (int j = 1; j < 64; ++j) {
      power *= v2;
      const double next = sum + power / (2 * j + 1);
      if (next == sum) break;
      sum = next;
    }
    return sum;
  }
  return x * std::log(x / m) + m - x;
}

// ln P[X = k] for X ~ Binomial(n, p), with q = 1 - p passed in by the caller
// because it may know it more exactly than 1 - p. Requires 0 <= k <= n,
// 0 < p < 1.
double LogBinomialMass(double k, double n, double p, double q) {
  if (k == 0) return n * std::log1p(-p);
  if (k == n) return n * std::log(p);
  return StirlingRemainder(n) - StirlingRemainder(k) -
         StirlingRemainder(n - k) - Deviance(k, n * p) -
         Deviance(n - k, n * q) + 0.5 * std::log(n / (kTwoPi * k * (n - k)));
}

// P[X <= at_most] for X ~ Binomial(n, p), q = 1 - p. Arguments already
// validated; counts are at most kMaxMinPassing + kEarlyStoppingMaxQueries,
// where doubles still hold them to within one part in 2^52.
double BinomialCdfImpl(int64_t at_most, int64_t trials, double p, double q) {
  if (at_most < 0) return 0.0;
  if (at_most >= trials) return 1.0;
  if (p <= 0.0) return 1.0;
  if (p >= 1.0) return 0.0;
  const double n = static_cast<double>(trials);
  const double t = static_cast<double>(at_most);
  const double odds_q_over_p = q / p;
  const double odds_p_over_q = p / q;
  if (t <= n * p) {
    // Lower tail, summed from k = t down. mass(k-1)/mass(k) =
    // k/(n-k+1) * q/p falls as k falls and is <= 1 at k = t because
    // t <= n p, so once the remainder's geometric bound is negligible we stop.
    double scaled_sum = 1.0;  // sum of mass(k) / mass(t)
    double scaled_term = 1.0;
    for (double k = t; k >= 1.0; k -= 1.0) {
      const double ratio = k / (n - k + 1.0) * odds_q_over_p;
      if (ratio < 1.0 && scaled_term * ratio / (1.0 - ratio) <=
                             kTailRelativeTolerance * scaled_sum) {
        break;
      }
      scaled_term *= ratio;
      scaled_sum += scaled_term;
    }
    return std::exp(LogBinomialMass(t, n, p, q)) * scaled_sum;
  }
  // Upper tail P[X > t], summed from k = t + 1 up; mirror of the above
  // (t > n p makes the first ratio (n-k)/(k+1) * p/q below 1).
  double scaled_sum = 1.0;  // sum of mass(k) / mass(t + 1)
  double scaled_term = 1.0;
  for (double k = t + 1.0; k < n; k += 1.0) {
    const double ratio = (n - k) / (k + 1.0) * odds_p_over_q;
    if (ratio < 1.0 && scaled_term * ratio / (1.0 - ratio) <=
                           kTailRelativeTolerance * scaled_sum) {
      break;
    }
    scaled_term *= ratio;
    scaled_sum += scaled_term;
  }
  const double upper = std::exp(LogBinomialMass(t + 1.0, n, p, q)) * scaled_sum;
  return upper >= 1.0 ? 0.0 : 1.0 - upper;
}

// z with P[N(0,1) > z] = tail, by bisection on erfc: only used for a first
// guess, so 60 halvings of [-40, 40] are plenty and keep this dependency-free.
double UpperNormalQuantile(double tail) {
  double lo = -40.0;
  double hi = 40.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(mid / std::sqrt(2.0)) > tail) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return 0.5 * (lo + hi);
}

// A first guess for MinPassing(t): the n with n q - z sqrt(n q s) = t + 1/2,
// i.e. the normal approximation with continuity correction, minus t.
double GuessMinPassing(int64_t overlatency, double success, double failure,
                       double alpha) {
  if (overlatency == 0) {
    // P[X <= 0] = s^h, so the answer is the smallest h > ln(alpha) / ln(s).
    return std::floor(std::log(alpha) / std::log(success)) + 1.0;
  }
  const double z = UpperNormalQuantile(alpha);
  const double t = static_cast<double>(overlatency) + 0.5;
  const double b = z * std::sqrt(failure * success);
  const double root =
      (b + std::sqrt(b * b + 4.0 * failure * t)) / (2.0 * failure);
  return root * root - static_cast<double>(overlatency);
}

int64_t MinPassingChecked(int64_t overlatency, double percentile,
                          double tolerance, double confidence) {
  // The minimally failing system meets the bound with probability `success`.
  // For success >= 1/2, failure = 1 - success is exact (Sterbenz).
  const double success = percentile - tolerance;
  const double failure = 1.0 - success;
  const double alpha = 1.0 - confidence;
  const auto passes = [&](int64_t h) {
    return BinomialCdfImpl(overlatency, h + overlatency, failure, success) <
           alpha;
  };

  // Invariant for the bisection: !passes(lo) && passes(hi). h = 0 never
  // passes (X <= t is certain with t trials), so 0 is always a valid lo.
  double guess = GuessMinPassing(overlatency, success, failure, alpha);
  if (!(guess >= 1.0)) guess = 1.0;  // also catches NaN
  if (guess > static_cast<double>(kMaxMinPassing)) {
    guess = static_cast<double>(kMaxMinPassing);
  }
  const int64_t start = static_cast<int64_t>(guess);
  // The guess errs by a few units of 1/failure (discreteness and skew), so
  // start the bracket at that width and double it until it holds the answer.
  // For t = 0 the guess is exact up to rounding.
  const double width = overlatency == 0 ? 1.0 : std::ceil(1.0 / failure);
  int64_t step = width > 1e15 ? int64_t{1} << 50 : static_cast<int64_t>(width);
  int64_t lo = 0;
  int64_t hi = 0;
  if (passes(start)) {
    hi = start;
    while (true) {
      if (hi - step <= 0) {
        lo = 0;
        break;
      }
      if (passes(hi - step)) {
        hi -= step;
        step *= 2;
      } else {
        lo = hi - step;
        break;
      }
    }
  } else {
    lo = start;
    while (true) {
      if (lo >= kMaxMinPassing) {
        throw std::overflow_error(
            "MinPassingQueries: the answer exceeds 2^53 for overlatency " +
            std::to_string(overlatency) + ", percentile " +
            FormatDouble(percentile) + ", tolerance " +
            FormatDouble(tolerance));
      }
      const int64_t candidate =
          step >= kMaxMinPassing - lo ? kMaxMinPassing : lo + step;
      if (passes(candidate)) {
        hi = candidate;
        break;
      }
      lo = candidate;
      step *= 2;
    }
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (passes(mid)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

void ValidatePercentile(const char* function, double percentile) {
  if (!(percentile > 0.0 && percentile < 1.0)) {
    ThrowInvalid(function, "percentile", "in (0, 1)", FormatDouble(percentile));
  }
}

void ValidateCount(const char* function, const char* argument, int64_t value) {
  if (value < 0 || value > kEarlyStoppingMaxQueries) {
    ThrowInvalid(function, argument,
                 "in [0, " + std::to_string(kEarlyStoppingMaxQueries) + "]",
                 std::to_string(value));
  }
}

}  // namespace

double BinomialCdf(int64_t at_most, int64_t trials, double probability) {
  if (trials < 0 || trials > kMaxMinPassing) {
    ThrowInvalid("BinomialCdf", "trials",
                 "in [0, " + std::to_string(kMaxMinPassing) + "]",
                 std::to_string(trials));
  }
  if (!(probability >= 0.0 && probability <= 1.0)) {
    ThrowInvalid("BinomialCdf", "probability", "in [0, 1]",
                 FormatDouble(probability));
  }
  return BinomialCdfImpl(at_most, trials, probability, 1.0 - probability);
}

int64_t MinPassingQueries(int64_t overlatency, double percentile,
                          double tolerance, double confidence) {
  constexpr const char* kFunction = "MinPassingQueries";
  ValidateCount(kFunction, "overlatency", overlatency);
  ValidatePercentile(kFunction, percentile);
  if (!(tolerance >= 0.0 && tolerance < percentile)) {
    ThrowInvalid(kFunction, "tolerance",
                 "in [0, percentile = " + FormatDouble(percentile) + ")",
                 FormatDouble(tolerance));
  }
  if (!(confidence > 0.0 && confidence < 1.0)) {
    ThrowInvalid(kFunction, "confidence", "in (0, 1)",
                 FormatDouble(confidence));
  }
  return MinPassingChecked(overlatency, percentile, tolerance, confidence);
}

ClosedLoopEarlyStopping ComputeClosedLoopEarlyStopping(int64_t queries,
                                                       double percentile) {
  constexpr const char* kFunction = "ComputeClosedLoopEarlyStopping";
  ValidateCount(kFunction, "queries", queries);
  ValidatePercentile(kFunction, percentile);
  const auto min_total = [&](int64_t t) {
    return MinPassingChecked(t, percentile, kRulesTolerance, kRulesConfidence) +
           t;
  };

  ClosedLoopEarlyStopping result;
  result.min_queries = min_total(1);
  if (queries < result.min_queries) return result;

  // Invariant: min_total(lo) <= queries < min_total(hi). For h <= t p/(1-p)
  // the expected number of failures, (h + t)(1 - p), is at most t; a
  // binomial's median is at most the ceiling of its mean, so P[X <= t] >= 1/2
  // > 1 - confidence and h does not pass. Hence min_total(t) > t / (1 - p),
  // and any t >= queries (1 - p) is too large. The +2 absorbs rounding, and
  // the loop below re-checks rather than trusting the argument.
  int64_t lo = 1;
  const double bound =
      std::floor(static_cast<double>(queries) * (1.0 - percentile)) + 2.0;
  int64_t hi = bound >= static_cast<double>(queries)
                   ? queries
                   : static_cast<int64_t>(bound);
  // min_total(queries) > queries always, since MinPassing(t) >= 1.
  while (hi < queries && min_total(hi) <= queries) {
    lo = hi;
    hi = hi > queries / 2 ? queries : hi * 2;
  }
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (min_total(mid) <= queries) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  result.ok = true;
  result.t = lo;
  result.estimate_index = queries - lo;
  return result;
}

ServerEarlyStopping ComputeServerEarlyStopping(int64_t queries,
                                               int64_t overlatency,
                                               double percentile) {
  constexpr const char* kFunction = "ComputeServerEarlyStopping";
  ValidateCount(kFunction, "queries", queries);
  ValidateCount(kFunction, "overlatency", overlatency);
  if (overlatency > queries) {
    ThrowInvalid(kFunction, "overlatency",
                 "at most queries = " + std::to_string(queries),
                 std::to_string(overlatency));
  }
  ValidatePercentile(kFunction, percentile);

  ServerEarlyStopping result;
  result.overlatency = overlatency;
  result.min_passing = MinPassingChecked(overlatency, percentile,
                                         kRulesTolerance, kRulesConfidence);
  const int64_t needed = result.min_passing + overlatency;
  result.ok = queries >= needed;
  result.more_queries_needed = result.ok ? 0 : needed - queries;
  return result;
}

}  // namespace internal
}  // namespace mlperf
