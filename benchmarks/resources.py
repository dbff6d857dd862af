"""CPU time and memory of the server process, read with psutil while the benchmark runs."""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

SAMPLE_INTERVAL_S = 0.2


class ResourceMonitor:
    """Samples a process's resident memory in a thread; CPU time is read on demand.

    `mark()` starts a measurement window (returns the CPU seconds so far and resets the peak);
    `peak_rss_mb()` is the largest RSS sampled since the last mark, `cpu_s()` the process's
    user + system CPU seconds since it started (all threads).
    """

    def __init__(self, pid: int, *, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self._process = psutil.Process(pid)
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self._peak_rss = 0
        self._overall_peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_loop, name="rss-monitor", daemon=True)

    def __enter__(self) -> ResourceMonitor:
        self._sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_s(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def mark(self) -> float:
        with self._lock:
            self._peak_rss = 0
        self._sample()
        return self.cpu_s()

    def peak_rss_mb(self) -> float:
        self._sample()
        with self._lock:
            return self._peak_rss / 2**20

    def overall_peak_rss_mb(self) -> float:
        """The peak over the monitor's life, or the kernel's high-water mark when larger."""
        self._sample()
        with self._lock:
            peak = self._overall_peak_rss
        return max(peak, _high_water_mark(self._process)) / 2**20

    def _sample(self) -> None:
        try:
            rss = int(self._process.memory_info().rss)
        except psutil.Error:  # the process ended: keep what was seen
            return
        with self._lock:
            self._peak_rss = max(self._peak_rss, rss)
            self._overall_peak_rss = max(self._overall_peak_rss, rss)

    def _sample_loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._sample()


def _high_water_mark(process: psutil.Process) -> int:
    """Linux's VmHWM (peak RSS since the process started), 0 where it cannot be read."""
    try:
        with open(f"/proc/{process.pid}/status") as status:  # noqa: PTH123 - procfs
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
