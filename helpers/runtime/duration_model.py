"""How long Lambda would take: the lab's model of CPU per memory size and of work per millisecond.

Durations in the lab are *modeled*, never timed, so the same notebook prints the same REPORT lines on
every run and every machine. The model, in three steps (notebook 07 explains power tuning with it):

1. **Work is counted, not timed.** The environment counts the Python lines the function's own code,
   its layers and the standard library execute (a deterministic measure: the same code and input
   execute the same lines), per thread. The AWS SDK is charged per client created and per API call
   instead of per line (`SDK_CLIENT_MS`, `SDK_CALL_CPU_MS`), and each call's network and service time
   (`SERVICE_LATENCY_MS`) is added unscaled, as I/O.
2. **Memory buys CPU** (aws-semantics.md 3, L27): Lambda allocates CPU in proportion to memory,
   1,769 MB is one vCPU and 10,240 MB is six. `vcpus(memory_mb)` is that share.
3. **Threads use what they can.** One thread runs on at most one vCPU, so single-threaded code stops
   getting faster at 1,769 MB; work spread over N threads runs up to min(N, vCPUs) times faster.
   `compute_ms` turns the counted lines into milliseconds at a memory size.
"""
from __future__ import annotations

#: 1,769 MB of memory buys one vCPU (aws-semantics.md 3, L27).
ONE_VCPU_MB = 1769
#: Lambda's largest memory size buys six vCPUs (aws-semantics.md 3, L27, L28).
MAX_VCPUS = 6
MIN_MEMORY_MB, MAX_MEMORY_MB = 128, 10240
#: Modeled cost of one Python line on one full vCPU: about 20 million simple lines per second,
#: what CPython 3.12 executes on a current x86 server core.
LINE_NS = 50.0
#: The runtime's own work per invocation (reading the event, writing the response), on one vCPU.
RUNTIME_INVOKE_MS = 0.08
#: Parsing the event and serialising the result: JSON at about 200 MB/s on one vCPU.
JSON_NS_PER_BYTE = 5.0
#: boto3's first client in an environment loads the service model; later ones reuse it (one vCPU).
SDK_FIRST_CLIENT_MS, SDK_CLIENT_MS = 14.0, 1.5
#: The SDK's own CPU work per API call (serialise, sign, parse), on one vCPU.
SDK_CALL_CPU_MS = 0.6
#: Network and service time of an API call inside the Region, not scaled by memory.
SERVICE_LATENCY_MS = 4.0


def vcpus(memory_mb: int) -> float:
    """The CPU share a memory size buys: 128 MB ~ 0.07 vCPU, 1,769 MB = 1, 10,240 MB = 6 (capped)."""
    return min(MAX_VCPUS, memory_mb / ONE_VCPU_MB)


def cpu_ms(one_vcpu_ms: float, memory_mb: int) -> float:
    """Single-threaded work that takes `one_vcpu_ms` on one full vCPU, at this memory size."""
    return one_vcpu_ms / min(1.0, vcpus(memory_mb))


def compute_ms(lines_per_thread: list[int], memory_mb: int) -> float:
    """Milliseconds the counted lines take at this memory size.

    Each thread runs on at most one vCPU; together the threads share the vCPUs the memory buys:
    the duration is the longer of the busiest thread alone and all the work spread over
    min(threads, vCPUs).
    """
    busy = [n for n in lines_per_thread if n]
    if not busy:
        return 0.0
    share = vcpus(memory_mb)
    longest = max(busy) / min(1.0, share)
    spread = sum(busy) / min(float(len(busy)), share)
    return max(longest, spread) * LINE_NS / 1e6
