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

include!("common/revm_body.rs");
