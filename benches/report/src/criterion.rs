//! Reading criterion's results: `target/criterion/**/new/{benchmark,estimates}.json`.

use std::collections::BTreeMap;
use std::path::Path;

/// One benchmark's estimate.
#[derive(Clone, Copy, Debug)]
pub struct Estimate {
    /// Time per iteration in nanoseconds (criterion's slope where it has one, as in its
    /// own `time:` line, else the mean).
    pub per_iteration_ns: f64,
    /// Lower and upper bound of the 95% confidence interval of that estimate.
    pub interval_ns: (f64, f64),
    /// Elements per iteration (`Throughput::Elements`), 1 when not set.
    pub elements: u64,
}

impl Estimate {
    /// Nanoseconds per element: per operation, per frame, per transaction.
    pub fn per_op(&self) -> f64 {
        self.per_iteration_ns / self.elements as f64
    }
}

/// All estimates of a run, by `(group, function, parameter)`; a missing part is "".
#[derive(Debug, Default)]
pub struct Timings {
    by_id: BTreeMap<(String, String, String), Estimate>,
}

impl Timings {
    /// Loads every `new/` estimate under `dir`. Unreadable files are failures.
    pub fn load(dir: &Path, failures: &mut Vec<String>) -> Timings {
        let mut timings = Timings::default();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !path.is_dir() {
                    continue;
                }
                if path.file_name().is_some_and(|n| n == "new") {
                    match read_one(&path) {
                        Ok((id, estimate)) => {
                            timings.by_id.insert(id, estimate);
                        }
                        Err(e) => failures.push(format!("{}: {e}", path.display())),
                    }
                } else {
                    stack.push(path);
                }
            }
        }
        timings
    }

    /// The estimate of one benchmark, if it ran.
    pub fn get(&self, group: &str, function: &str, parameter: &str) -> Option<Estimate> {
        self.by_id
            .get(&(
                group.to_string(),
                function.to_string(),
                parameter.to_string(),
            ))
            .copied()
    }

    /// Every estimate, in id order.
    pub fn all(&self) -> impl Iterator<Item = (&(String, String, String), &Estimate)> {
        self.by_id.iter()
    }

    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_one(new: &Path) -> Result<((String, String, String), Estimate), String> {
    let benchmark = read_json(&new.join("benchmark.json"))?;
    let estimates = read_json(&new.join("estimates.json"))?;
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let id = (
        text(&benchmark["group_id"]),
        text(&benchmark["function_id"]),
        text(&benchmark["value_str"]),
    );
    let elements = benchmark["throughput"]["Elements"]
        .as_u64()
        .unwrap_or(1)
        .max(1);
    let pick = if estimates["slope"].is_object() {
        &estimates["slope"]
    } else {
        &estimates["mean"]
    };
    let per_iteration_ns = pick["point_estimate"]
        .as_f64()
        .ok_or("estimates.json without a point estimate")?;
    let interval = &pick["confidence_interval"];
    let interval_ns = (
        interval["lower_bound"].as_f64().unwrap_or(per_iteration_ns),
        interval["upper_bound"].as_f64().unwrap_or(per_iteration_ns),
    );
    Ok((
        id,
        Estimate {
            per_iteration_ns,
            interval_ns,
            elements,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_estimates_per_element() {
        let dir =
            std::env::temp_dir().join(format!("bench-report-criterion-{}", std::process::id()));
        let new = dir.join("scaling_objects held/Box/64/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            r#"{"group_id":"scaling/objects held","function_id":"Box","value_str":"64","throughput":{"Elements":64}}"#,
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"mean":{"point_estimate":7000.0,"confidence_interval":{"lower_bound":6000.0,"upper_bound":8000.0}},"slope":{"point_estimate":6400.0,"confidence_interval":{"lower_bound":6000.0,"upper_bound":7000.0}}}"#,
        )
        .unwrap();
        let mut failures = Vec::new();
        let timings = Timings::load(&dir, &mut failures);
        assert!(failures.is_empty(), "{failures:?}");
        let e = timings.get("scaling/objects held", "Box", "64").unwrap();
        assert_eq!(e.per_op(), 100.0); // the slope, over 64 elements
        assert!(timings.get("scaling/objects held", "Box", "1").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
