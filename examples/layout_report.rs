//! Prints the layout report of every `#[optimize_layout]` struct in the program, sorted
//! by bytes saved, then a report of a struct the macro did not touch (`layout_of!`).
//!
//! ```text
//! cargo run --example layout_report
//! ```
//!
//! The same tables appear in the compile output with `#[optimize_layout(report)]` or
//! `EVM_POOL_LAYOUT_REPORT=1 cargo build`.
#![allow(dead_code)] // the structs exist to be laid out

use evm_pool::{layout_of, optimize_layout};

/// ruint's `U256`: four little-endian limbs.
struct U256([u64; 4]);
/// alloy's `Address`.
struct Address([u8; 20]);
/// alloy's `B256`.
struct B256([u8; 32]);

/// A call frame as an interpreter keeps it.
#[optimize_layout]
struct Frame {
    is_static: bool,
    gas_limit: u64,
    depth: u16,
    value: U256,
    memory: Vec<u8>,
    stack: Vec<U256>,
    kind: u8,
    caller: Address,
    return_offset: u32,
}

/// The inputs of a CALL-family instruction.
#[optimize_layout]
struct CallInputs {
    scheme: u8,
    input: Vec<u8>,
    is_static: bool,
    gas_limit: u64,
    target: Address,
    caller: Address,
    value: U256,
    return_range: (usize, usize),
}

/// One entry of the state journal.
#[optimize_layout]
struct JournalEntry {
    kind: u8,
    address: Address,
    was_cold: bool,
    key: U256,
    previous: U256,
}

/// An account as loaded into the state cache.
#[optimize_layout]
struct Account {
    status: u8,
    balance: U256,
    is_touched: bool,
    nonce: u64,
    code_hash: B256,
    code: Option<Box<[u8]>>,
}

/// A log record.
#[optimize_layout]
struct Log {
    removed: bool,
    address: Address,
    index: u64,
    topics: Vec<B256>,
    data: Vec<u8>,
}

/// Gas accounting with the counters touched on every instruction first.
#[optimize_layout]
struct Gas {
    exhausted: bool,
    #[layout(hot)]
    remaining: u64,
    limit: u64,
    memory_words: u32,
    refunded: i64,
}

/// A third-party-shaped struct, left as rustc lays it out.
struct Interpreter {
    is_static: bool,
    pc: usize,
    depth: u16,
    stack: Vec<U256>,
    return_data: Vec<u8>,
}

fn main() {
    let mut reports = evm_pool::layout::all();
    reports.sort_by_key(|report| std::cmp::Reverse(report.saved_bytes()));
    let mut saved = 0;
    for report in &reports {
        println!("{report}\n");
        saved += report.saved_bytes();
    }
    println!(
        "{} structs, {saved} bytes saved in total (one instance of each) against the declared order\n",
        reports.len()
    );
    println!(
        "{}",
        layout_of!(Interpreter {
            is_static,
            pc,
            depth,
            stack,
            return_data
        })
    );
}
