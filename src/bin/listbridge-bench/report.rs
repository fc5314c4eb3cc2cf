//! The bench's results: one row per measurement with its targets, printed as a table and
//! written as JSON.

use std::fmt::Write as _;

use serde::Serialize;

/// One measurement.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Row {
    /// What was measured.
    pub name: String,
    /// Wall-clock seconds.
    pub seconds: Option<f64>,
    /// Records handled.
    pub records: Option<u64>,
    /// Records (or submissions) per second.
    pub per_second: Option<f64>,
    /// Requests the CRM received.
    pub crm_requests: Option<u64>,
    /// Records the CRM created, updated or deleted.
    pub crm_writes: Option<u64>,
    /// Peak resident memory of the service process, MiB.
    pub peak_rss_mib: Option<f64>,
    /// Time relative to the raw read.
    pub ratio_to_raw_read: Option<f64>,
    /// Anything the figures need to be read right.
    pub note: Option<String>,
    /// The targets this row is judged by.
    pub targets: Vec<Target>,
}

/// A target and whether the row meets it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// `full import time ≤ 1.25 × raw read`.
    pub what: String,
    /// The measured figure, in the target's terms.
    pub measured: String,
    /// Met or not.
    pub met: bool,
}

impl Row {
    /// A row with only a name.
    pub fn named(name: impl Into<String>) -> Self {
        Row {
            name: name.into(),
            ..Row::default()
        }
    }

    /// Adds a target.
    pub fn target(&mut self, what: impl Into<String>, measured: impl Into<String>, met: bool) {
        self.targets.push(Target {
            what: what.into(),
            measured: measured.into(),
            met,
        });
    }
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// When it ran (RFC 3339).
    pub date: String,
    /// The machine.
    pub machine: Machine,
    /// The CRM measured against (its fake).
    pub crm: String,
    /// Leads in the fake CRM.
    pub leads: usize,
    /// The connectors' CRM request budget.
    pub crm_requests_per_second: u32,
    /// The measurements.
    pub rows: Vec<Row>,
}

/// What the figures were measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cpus: usize,
    /// CPU model from /proc/cpuinfo.
    pub cpu_model: String,
    /// Total memory, MiB.
    pub memory_mib: u64,
}

impl Machine {
    /// Reads this machine's description from /proc (blank where unavailable).
    pub fn this() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, model)| model.trim().to_string())
            .unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_mib = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |kib| kib / 1024);
        Machine {
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model,
            memory_mib,
        }
    }
}

fn cell(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

impl BenchReport {
    /// The table and the targets, as printed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "listbridge bench against the fake {}, {} leads, {} CRM requests/s per connector, {} ({} CPUs, {} MiB), {}",
            self.crm,
            self.leads,
            self.crm_requests_per_second,
            m.cpu_model,
            m.cpus,
            m.memory_mib,
            self.date
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| {:<48} | {:>8} | {:>8} | {:>9} | {:>8} | {:>7} | {:>8} | {:>6} |",
            "measurement",
            "seconds",
            "records",
            "per sec",
            "CRM req",
            "writes",
            "peak MiB",
            "ratio"
        );
        let _ = writeln!(
            out,
            "|{}|{}|{}|{}|{}|{}|{}|{}|",
            "-".repeat(50),
            "-".repeat(10),
            "-".repeat(10),
            "-".repeat(11),
            "-".repeat(10),
            "-".repeat(9),
            "-".repeat(10),
            "-".repeat(8)
        );
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| {:<48} | {:>8} | {:>8} | {:>9} | {:>8} | {:>7} | {:>8} | {:>6} |",
                row.name,
                cell(row.seconds.map(|s| format!("{s:.2}"))),
                cell(row.records.map(|r| r.to_string())),
                cell(row.per_second.map(|r| format!("{r:.0}"))),
                cell(row.crm_requests.map(|r| r.to_string())),
                cell(row.crm_writes.map(|r| r.to_string())),
                cell(row.peak_rss_mib.map(|r| format!("{r:.1}"))),
                cell(row.ratio_to_raw_read.map(|r| format!("{r:.2}"))),
            );
        }
        let _ = writeln!(out);
        for row in &self.rows {
            if let Some(note) = &row.note {
                let _ = writeln!(out, "{}: {note}", row.name);
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "Targets:");
        for row in &self.rows {
            for t in &row.targets {
                let _ = writeln!(
                    out,
                    "  [{}] {}: {}",
                    if t.met { "met" } else { "NOT MET" },
                    t.what,
                    t.measured
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rows_notes_and_targets() {
        let mut row = Row::named("full import (SQLite)");
        row.seconds = Some(12.345);
        row.records = Some(1000);
        row.note = Some("rate-limited".into());
        row.target("import ≤ 1.25 × raw read", "1.10 ×", true);
        row.target("peak memory ≤ 150 MB", "180 MiB", false);
        let report = BenchReport {
            date: "2026-11-23".into(),
            machine: Machine {
                cpus: 2,
                cpu_model: "AMD EPYC".into(),
                memory_mib: 24000,
            },
            crm: "Infor CRM".into(),
            leads: 1000,
            crm_requests_per_second: 20,
            rows: vec![row, Row::named("form intake")],
        };
        let text = report.render();
        assert!(text.contains("| full import (SQLite)"), "{text}");
        assert!(text.contains("12.35"), "{text}");
        assert!(
            text.contains("[met] import ≤ 1.25 × raw read: 1.10 ×"),
            "{text}"
        );
        assert!(
            text.contains("[NOT MET] peak memory ≤ 150 MB: 180 MiB"),
            "{text}"
        );
        assert!(
            text.contains("full import (SQLite): rate-limited"),
            "{text}"
        );
    }
}
