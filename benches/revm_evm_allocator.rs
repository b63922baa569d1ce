//! `benches/revm.rs` with `EvmAllocator` (statistics compiled out) as the global
//! allocator: the "stock revm + EvmAllocator" and "pooled + EvmAllocator" columns.
//! Compare with `revm` (system allocator); for a stable comparison across the two
//! binaries use the callgrind mode:
//!
//! ```text
//! cargo bench --bench revm_evm_allocator -- --warm-up-time 1 --measurement-time 2
//! EVM_POOL_CALLGRIND=stock:call-loop-1000:20 valgrind --tool=callgrind \
//!     --collect-atstart=no --toggle-collect='*measured_loop*' target/release/deps/revm_evm_allocator-*
//! ```

#[global_allocator]
static ALLOCATOR: evm_pool::EvmAllocator<std::alloc::System, false> =
    evm_pool::EvmAllocator::new(std::alloc::System);

/// Appended to each criterion group name (`<workload> + EvmAllocator`), so this bench's
/// results and `revm`'s do not overwrite each other in `target/criterion`.
const GROUP_SUFFIX: &str = " + EvmAllocator";

include!("common/revm_body.rs");
