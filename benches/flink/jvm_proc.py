"""The Flink JVM that PyFlink starts as a child of this Python process, read from /proc:
its pid, CPU seconds and peak resident memory (what the Flink benchmark drivers report)."""
import os


def jvm_pid():
    """The pid of this process's `java` child, or None before it started."""
    me = os.getpid()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if parent == me and b"java" in f.read():
                    return int(p)
        except (OSError, ValueError):
            pass
    return None


def cpu_seconds(pid):
    """User plus system CPU seconds of `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def vm_hwm_mib(pid):
    """Peak resident memory of `pid` in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None
