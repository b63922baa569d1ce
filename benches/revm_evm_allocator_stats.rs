//! `benches/revm_evm_allocator.rs` with statistics compiled in and on: what exact
//! allocation statistics cost on real EVM workloads. Compare the two binaries with
//! callgrind (same command as in `revm_evm_allocator.rs`, this binary's name):
//!
//! ```text
//! EVM_POOL_CALLGRIND=stock:call-loop-1000:20 valgrind --tool=callgrind \
//!     --collect-atstart=no --toggle-collect='*measured_loop*' target/release/deps/revm_evm_allocator_stats-*
//! ```

#[global_allocator]
static ALLOCATOR: evm_pool::EvmAllocator<std::alloc::System, true> =
    evm_pool::EvmAllocator::new(std::alloc::System);

/// Appended to each criterion group name, so this bench's results do not overwrite those
/// of `revm` and `revm_evm_allocator` in `target/criterion`.
const GROUP_SUFFIX: &str = " + EvmAllocator (statistics on)";

include!("common/revm_body.rs");
