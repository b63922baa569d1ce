//! Run revm on evm-pool.
#![forbid(unsafe_code)]

pub mod asm;
pub mod measure;
pub mod outcome;
pub mod pooled;
pub mod programs;
pub mod stock;
pub mod workload;

pub use revm;
