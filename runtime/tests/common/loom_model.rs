//! The loom runner shared by `loom_sync_pool.rs` and `loom_alloc.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `body` under loom and prints how many executions (interleavings) were explored.
/// The preemption bound is 3 unless `LOOM_MAX_PREEMPTIONS` sets another.
pub fn model(name: &str, body: impl Fn() + Sync + Send + 'static) {
    let executions = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&executions);
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        body();
    });
    println!(
        "loom {name}: {} interleavings explored (preemption bound {:?})",
        executions.load(Ordering::Relaxed),
        builder.preemption_bound
    );
}
