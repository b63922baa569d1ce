//! Stock revm against the pooled EVM on every workload of the main job, side by side in
//! one run (same machine, same moment), on the system allocator. `revm_evm_allocator` is
//! the same benchmark with `EvmAllocator` as global allocator (stock+EvmAllocator).
//!
//! ```text
//! cargo bench --bench revm -- --warm-up-time 1 --measurement-time 2
//! ```
//!
//! Instruction counts (stable where wall time is noisy): run one EVM on one workload a
//! fixed number of times under callgrind, collecting only inside the measured loop:
//!
//! ```text
//! cargo bench --profile measure --bench revm --no-run
//! EVM_POOL_CALLGRIND=pooled:call-loop-1000:20 valgrind --tool=callgrind \
//!     --collect-atstart=no --toggle-collect='*measured_loop*' target/measure/deps/revm-*
//! ```
//! (divide the total by the number of transactions: runs × transactions per run). The
//! `measure` profile (one codegen unit, fat LTO) keeps revm's code layout stable between
//! builds; the release profile's counts drift by a few percent with unrelated changes.
//!
//! Paired wall time (stock and pooled alternating within each round, so both see the same
//! load; median of the per-round ratios):
//!
//! ```text
//! EVM_POOL_PAIRED=all:31 target/measure/deps/revm-*
//! ```

/// Appended to each criterion group name: nothing here (groups are the workload names);
/// `revm_evm_allocator` appends ` + EvmAllocator` so the two do not overwrite each other.
const GROUP_SUFFIX: &str = "";

include!("common/revm_body.rs");
