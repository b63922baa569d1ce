//! Run revm on evm-pool: stock revm side by side with a pooled EVM whose call frames,
//! operand stacks, memory and call inputs come from pools, with exact allocation
//! statistics.
//!
//! # The model
//!
//! For every call (`CALL`, `STATICCALL`, `CREATE`, ...) revm builds a frame with a
//! 1024-word (32 KiB) operand stack and a `Box<CallInputs>`, and it keeps each depth's
//! frame for the rest of the EVM's life. So a transaction that reaches depth 1024 holds
//! 1025 stacks, 33 MiB, for as long as the EVM lives, and a 1000-`CALL` loop allocates a
//! call-inputs box per call. The pooled EVM changes only where those things live:
//!
//! - the operand stacks of one call tree are `[base, top)` windows of **one** shared,
//!   growable buffer ([`PooledStack`](pooled::PooledStack)): a frame costs the words it
//!   uses, not 32 KiB;
//! - the memory of one call tree is LIFO views of **one** buffer, the runtime's
//!   `SharedMemory` behind its `MemoryWindow` ([`PooledMemory`](pooled::PooledMemory)),
//!   kept in the pools between transactions;
//! - frames come from the runtime's `FramePoolManager`
//!   ([`FrameManager`](pooled::FrameManager), revm's frame as each pooled frame's
//!   payload), leased: one per call depth, reused by the sibling calls at that depth and
//!   kept for the next transaction up to the depth the last transaction reached; the
//!   deeper ones go back when a shallower transaction ends (and all with
//!   [`into_pools`](pooled::PooledEvm::into_pools)), so the manager's acquisitions
//!   count the frames newly leased (a transaction deeper than the previous one). The
//!   manager's configuration (at most `max` frames kept, idle cleanup, auto-tuning,
//!   memory pressure) bounds the frames given back, and its `PoolStatistics` count them
//!   (leased frames as in use);
//! - `Box<CallInputs>`/`Box<CreateInputs>` are recycled, so a steady stream of
//!   transactions allocates nothing per call;
//! - a [`RetentionPolicy`](pooled::RetentionPolicy) bounds the stack, memory and spare
//!   boxes kept between transactions, so one deep transaction does not pin its memory
//!   forever.
//!
//! revm (43.x) is used as published, through its own traits: [`pooled::PooledEvm`]
//! implements revm's `EvmTr`/`FrameTr`, so revm's `Handler` (mainnet steps, with the
//! execution loop's steps fused into one loop), interpreter, instruction set, journal and precompiles execute every transaction.
//! Results are checked equal to stock revm (status and halt reason, gas used and
//! refunded, output, logs, full state) on the workloads and on thousands of generated
//! call-heavy programs.
//!
//! # An EVM per transaction
//!
//! Applications that build an EVM per request (an RPC server answering `eth_call`, a
//! simulator) pay stock revm's set-up every time: its frame stack, a 32 KiB operand stack
//! per depth reached and the shared memory are allocated again and dropped after the
//! transaction. The pooled EVM's pools outlive it: [`into_pools`](pooled::PooledEvm::into_pools)
//! takes them out and [`with_pools`](pooled::PooledEvm::with_pools) builds the next EVM
//! around them, over a new context. [`measure::FreshEvm`] does exactly that; the main job
//! and `benches/revm.rs` compare it with stock revm built per transaction.
//!
//! ```
//! use evm_pool_revm::{pooled::PooledEvm, workload::Workload};
//! use revm::{ExecuteEvm, handler::EthPrecompiles, primitives::hardfork::SpecId};
//!
//! let w = Workload::call_chain();
//! let mut pools = PooledEvm::new(w.context()).into_pools();
//! for _ in 0..2 {
//!     // A new EVM over a new context for every request, on the same pools.
//!     let precompiles = EthPrecompiles::new(SpecId::default());
//!     let mut evm = PooledEvm::with_pools(w.context(), precompiles, pools);
//!     assert!(evm.transact(w.txs[0].clone())?.result.is_success());
//!     pools = evm.into_pools();
//! }
//! // 1025 frames were created for the first request and reused by the second.
//! let total = pools.frame_statistics().total;
//! assert_eq!((total.misses, total.in_use), (1025 - 16, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it costs
//!
//! Pooling removes allocations and memory, not EVM work: allocation is a small part of
//! what stock revm spends per `CALL` (its journal, account loads, gas rules and
//! interpreter loop are the rest, and both EVMs run them). With one long-lived EVM the
//! pooled EVM executes about as many instructions as stock revm; built per transaction it
//! saves what stock revm spends setting up and tearing down frames, which grows with the
//! depth a transaction reaches. `examples/evm_workload.rs` and `benches/revm.rs` measure
//! both patterns; README and BENCHMARKS.md carry the figures.
//!
//! # The modules
//!
//! - [`pooled`]: the pooled EVM, its pools and retention policy.
//! - [`stock`]: stock revm, the baseline.
//! - [`outcome`]: a transaction's observable result in a comparable form.
//! - [`workload`]: revm's `snailtracer` and `analysis` benchmark contracts, a 1000-`CALL`
//!   loop, a call chain to the 1024 depth limit and plain transfers.
//! - [`programs`]: seeded generator of call-heavy programs for differential testing.
//! - [`measure`]: runs workloads on either EVM and measures time, allocations (through a
//!   pluggable probe such as the global `EvmAllocator`), memory and pool hit rates.
//! - [`asm`]: the tiny assembler the workloads and generated programs are written with.
//!
//! ```
//! use evm_pool_revm::{outcome::TxOutcome, pooled::PooledEvm, stock::StockEvm, workload::Workload};
//! use revm::ExecuteEvm;
//!
//! let w = Workload::call_chain(); // recursion until the 1024 depth limit
//! let mut pooled = PooledEvm::new(w.context());
//! let mut stock = StockEvm::new(w.context());
//! let ours = TxOutcome::from_result(pooled.transact(w.txs[0].clone()));
//! assert_eq!(ours, TxOutcome::from_result(stock.transact(w.txs[0].clone())));
//! assert_eq!(pooled.pool_stats().peak_frames, 1025); // depths 0..=1024 alive at once
//! ```
#![forbid(unsafe_code)]

pub mod asm;
pub mod measure;
pub mod outcome;
pub mod pooled;
pub mod programs;
pub mod stock;
pub mod workload;

pub use revm;
