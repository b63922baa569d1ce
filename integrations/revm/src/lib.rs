//! Run revm on evm-pool: stock revm side by side with a pooled EVM whose call frames,
//! operand stacks and call inputs come from pools, with exact allocation statistics.
//!
//! revm (43.x) is used as published, through its own traits: [`pooled::PooledEvm`]
//! implements revm's `EvmTr`/`FrameTr`, so revm's unmodified `MainnetHandler`,
//! interpreter, instruction set, journal and precompiles execute every transaction; only
//! where frames, stacks and call inputs live changes.
//!
//! - [`pooled`]: the pooled EVM. One shared, growable operand-stack buffer per call tree
//!   (each frame a `[base, top)` window of it), frames reused LIFO by depth, recycled
//!   `Box<CallInputs>`/`Box<CreateInputs>`, and a [`RetentionPolicy`](pooled::RetentionPolicy)
//!   that bounds what is kept between transactions.
//! - [`stock`]: stock revm, the baseline.
//! - [`outcome`]: a transaction's observable result (status and halt reason, gas used and
//!   refunded, output, logs, state changes) in a comparable form.
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
