//! The generated code names nothing the user can shadow: this crate defines its own
//! `Pool`, `Result`, `Option`, `Vec`, `Default`, `core`, `Reset`, `EvmPooled`,
//! `PoolConfig`, `usize`... and the derive still compiles.
#![allow(dead_code, non_camel_case_types, unused_macros)]

mod core {}
mod std {}
struct Pool;
struct SyncPool;
struct PoolConfig;
struct OverflowPolicy;
struct ConfigError;
type Result = ();
type Ok = ();
enum Option {}
struct Vec;
struct Box;
trait Default {}
trait Reset {}
trait EvmPooled {}
trait Deref {}
trait Debug {}
struct usize;
struct f64;
macro_rules! panic {
    ($($t:tt)*) => {
        compile_error!("user panic! used")
    };
}
macro_rules! unreachable {
    ($($t:tt)*) => {
        compile_error!("user unreachable! used")
    };
}

#[derive(evm_pool::Pooled, ::core::default::Default)]
#[pool(preset = "minimal", max = 64, growth = 2.0, overflow = "fail")]
struct Frame {
    memory: ::std::vec::Vec<u8>,
    gas: u64,
}

#[derive(evm_pool::Pooled, ::core::default::Default)]
struct Generic<T> {
    items: ::std::vec::Vec<T>,
}

fn main() {
    let pool = FramePool::new();
    pool.acquire().memory.push(1);
    let _generic = GenericPool::<u8>::new();
}
