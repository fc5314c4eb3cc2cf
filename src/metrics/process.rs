//! Process metrics read at each scrape from `/proc/self` (Linux): CPU time, resident and
//! virtual memory, threads and open file descriptors, under Prometheus's usual
//! `process_…` names. Elsewhere nothing is set (only the start time).

use super::names;

/// Clock ticks per second of `/proc/[pid]/stat`'s times: the kernel's `USER_HZ`, which
/// is 100 on every architecture Linux exposes to user space through `/proc`.
const USER_HZ: f64 = 100.0;
/// The page size of `/proc/[pid]/stat`'s resident set, in bytes, on the x86-64 and
/// arm64 kernels this service runs on (resident memory is read from `status` in kB
/// first; this is the fallback).
const PAGE_BYTES: f64 = 4096.0;

/// What one read of `/proc/self` found.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ProcessSample {
    /// User plus system CPU seconds.
    pub cpu_seconds: f64,
    /// Resident memory, in bytes.
    pub resident_bytes: f64,
    /// Virtual memory, in bytes.
    pub virtual_bytes: f64,
    /// Threads.
    pub threads: f64,
}

/// Reads `/proc/self` and sets the process gauges; does nothing where it cannot be read.
pub fn refresh() {
    let Some(sample) = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| parse_stat(&stat))
    else {
        return;
    };
    let resident = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| resident_from_status(&status))
        .unwrap_or(sample.resident_bytes);
    ::metrics::gauge!(names::PROCESS_CPU).set(sample.cpu_seconds);
    ::metrics::gauge!(names::PROCESS_RESIDENT_MEMORY).set(resident);
    ::metrics::gauge!(names::PROCESS_VIRTUAL_MEMORY).set(sample.virtual_bytes);
    ::metrics::gauge!(names::PROCESS_THREADS).set(sample.threads);
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        ::metrics::gauge!(names::PROCESS_OPEN_FDS).set(fds.count() as f64);
    }
}

/// The fields of `/proc/self/stat` this module reports. The command name (field 2) is
/// in parentheses and may hold spaces, so fields are counted after its closing one.
pub fn parse_stat(stat: &str) -> Option<ProcessSample> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Field 3 (state) is the first after the name; field N is at index N - 3.
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let number = |field: usize| -> Option<f64> { fields.get(field - 3)?.parse::<f64>().ok() };
    Some(ProcessSample {
        cpu_seconds: (number(14)? + number(15)?) / USER_HZ,
        threads: number(20)?,
        virtual_bytes: number(23)?,
        resident_bytes: number(24)? * PAGE_BYTES,
    })
}

/// `VmRSS` of `/proc/self/status`, in bytes.
pub fn resident_from_status(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (list bridge) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    250 50 0 0 20 0 7 0 12345 104857600 2560 18446744073709551615";
        let sample = parse_stat(stat).unwrap_or_else(|| panic!("parsed"));
        assert_eq!(sample.cpu_seconds, 3.0);
        assert_eq!(sample.threads, 7.0);
        assert_eq!(sample.virtual_bytes, 104_857_600.0);
        assert_eq!(sample.resident_bytes, 2560.0 * 4096.0);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn resident_memory_comes_from_vmrss_in_kilobytes() {
        let status = "Name:\tlistbridge\nVmRSS:\t   2048 kB\nThreads:\t7\n";
        assert_eq!(resident_from_status(status), Some(2048.0 * 1024.0));
        assert_eq!(resident_from_status("Name:\tx\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_can_be_read() {
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let sample = parse_stat(&stat).unwrap_or_else(|| panic!("parsed: {stat}"));
        assert!(sample.threads >= 1.0);
        assert!(sample.virtual_bytes > 0.0);
    }
}
