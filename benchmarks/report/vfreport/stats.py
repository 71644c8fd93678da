"""Confidence intervals with netperf's semantics.

netperf -I LEVEL,WIDTH -i MAX,MIN (src/netlib.c calculate_confidence, src/netsh.c):
  * LEVEL is 95 or 99 (%), WIDTH the full width of the interval in % of the mean
    (-I 99,5: the 99 % interval must lie within +-2.5 % of the mean);
  * after each iteration, with n results of mean m and population variance v,
    the interval's full width is 2 * t(LEVEL, n-1) * sqrt(v / (n-1)) / m,
    i.e. 2 * t * s / sqrt(n) / m with s the sample standard deviation;
  * iterations continue while the width exceeds WIDTH, from MIN up to MAX
    (both clamped to 3..30). netperf's loop stops one short of MAX when the
    interval never converges; we run MAX iterations as its manual describes.
  * the figure reported is the mean of the iterations.

netperf looks t up in a table for df 1..30 (t99[2] = 9.925, t99[9] = 3.250); we compute
the Student-t quantile (regularized incomplete beta, bisection), which agrees with
that table to its 3 decimals and also covers df > 30.
"""
import math

NETPERF_MIN_ITER = 3
NETPERF_MAX_ITER = 30


def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        de = d * c
        h *= de
        if abs(de - 1.0) < 1e-15:
            break
    return h


def betainc(a, b, x):
    """Regularized incomplete beta I_x(a, b) for 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t, df):
    """P(T <= t) for Student's t with df degrees of freedom."""
    if df <= 0:
        raise ValueError("t_cdf: degrees of freedom must be positive")
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t >= 0 else tail


def t_quantile_two_sided(level, df):
    """t such that P(-t <= T <= t) = level (level in (0, 1), e.g. 0.99)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level {level!r}: must be between 0 and 1 (e.g. 0.99)")
    if df < 1:
        raise ValueError("t quantile needs at least 1 degree of freedom (2 values)")
    target = 1.0 - (1.0 - level) / 2.0
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < target:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2.0


def confidence(values, level=99):
    """The netperf confidence interval of values.

    Returns a dict: n, mean, sd (sample), half (half-width, absolute), half_pct
    (half-width in % of the mean), width_pct (full width in % of the mean, what
    netperf compares with -I's WIDTH). With fewer than 2 values, or a zero mean,
    the interval is unknown (half, half_pct, width_pct None).
    """
    vals = [float(v) for v in values]
    n = len(vals)
    out = {"n": n, "mean": None, "sd": None, "half": None, "half_pct": None, "width_pct": None,
           "level": level}
    if n == 0:
        return out
    mean = sum(vals) / n
    out["mean"] = mean
    if n < 2:
        return out
    # netperf: population variance over n, then sqrt(var / (n - 1)) = s / sqrt(n)
    var = sum(v * v for v in vals) / n - mean * mean
    var = max(var, 0.0)
    se = math.sqrt(var / (n - 1.0))
    out["sd"] = se * math.sqrt(n)
    half = t_quantile_two_sided(level / 100.0, n - 1) * se
    out["half"] = half
    if mean != 0:
        out["half_pct"] = 100.0 * half / abs(mean)
        out["width_pct"] = 2.0 * out["half_pct"]
    return out


def clamp_iterations(imax, imin):
    """netperf's -i MAX,MIN clamping: MAX >= MIN, both within 3..30."""
    imax, imin = int(imax), int(imin)
    if imax < imin:
        imax = imin
    imax = min(max(imax, NETPERF_MIN_ITER), NETPERF_MAX_ITER)
    imin = min(max(imin, NETPERF_MIN_ITER), NETPERF_MAX_ITER)
    return imax, imin


def converged(values, level=99, width_pct=5.0):
    """True when the interval's full width is within width_pct % of the mean (-I LEVEL,WIDTH)."""
    c = confidence(values, level)
    return c["width_pct"] is not None and c["width_pct"] <= width_pct


def need_more(values, imax, imin, level=99, width_pct=5.0):
    """True when netperf would run another iteration after these values:
    fewer than MIN of them, or not converged and fewer than MAX."""
    n = len(values)
    if n < imin:
        return True
    if n >= imax:
        return False
    return not converged(values, level, width_pct)
