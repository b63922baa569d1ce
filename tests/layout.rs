//! `#[optimize_layout]` on realistic EVM structs: each one's size is the minimum, it has
//! no interior padding, and its `layout_report()` agrees field by field with an
//! independent measurement (`layout_of!`, built on `offset_of!`/`size_of`).
//!
//! The structs exist to be laid out; most fields are never read.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::atomic::AtomicPtr;

use evm_pool::layout::{Arrangement, LayoutReport};
use evm_pool::{Layout, layout_of, optimize_layout};

// Local stand-ins with the layouts of the real EVM word types (ruint's U256 is
// `[u64; 4]`, alloy's B256/Address are byte arrays, bytes::Bytes is four words), so the
// macro's knowledge of these names is checked against real layouts.
struct U256([u64; 4]);
struct B256([u8; 32]);
struct Address([u8; 20]);
struct Bytes {
    ptr: *const u8,
    len: usize,
    data: AtomicPtr<()>,
    vtable: &'static (),
}

#[optimize_layout]
struct Frame {
    is_static: bool,
    gas_limit: u64,
    depth: u16,
    value: [u64; 4],
    memory: Vec<u8>,
    kind: u8,
}

#[optimize_layout]
struct Gas {
    exhausted: bool,
    limit: u64,
    memory_words: u32,
    remaining: u64,
    refunded: i64,
}

#[optimize_layout]
struct CallInputs {
    scheme: u8,
    input: Bytes,
    is_static: bool,
    return_memory_offset: (usize, usize),
    gas_limit: u64,
    bytecode_address: Address,
    target_address: Address,
    caller: Address,
    value: U256,
    is_eof: bool,
}

#[optimize_layout]
struct CreateInputs {
    caller: Address,
    scheme: u8,
    value: U256,
    init_code: Bytes,
    gas_limit: u64,
    salt: Option<U256>,
}

#[optimize_layout]
struct JournalEntry {
    kind: u8,
    address: Address,
    is_cold: bool,
    key: U256,
    had_value: U256,
}

#[optimize_layout]
struct Log {
    removed: bool,
    address: Address,
    log_index: u64,
    topics: Vec<B256>,
    data: Bytes,
}

#[optimize_layout]
struct Account {
    status: u8,
    balance: U256,
    is_empty: bool,
    nonce: u64,
    code_hash: B256,
    code: Option<Box<[u8]>>,
}

#[optimize_layout]
struct StorageSlot {
    is_cold: bool,
    original_value: U256,
    present_value: U256,
}

#[optimize_layout]
struct Stack {
    limit: u16,
    data: Vec<U256>,
    overflowed: bool,
}

#[optimize_layout]
struct SharedMemory {
    child: bool,
    buffer: Vec<u8>,
    context_depth: u16,
    checkpoints: Vec<usize>,
    last_checkpoint: usize,
    memory_limit: u64,
}

#[optimize_layout]
struct BlockEnv {
    number: u64,
    coinbase: Address,
    timestamp: u64,
    gas_limit: u64,
    basefee: u64,
    difficulty: U256,
    prevrandao: Option<B256>,
    blob_excess_gas: Option<u64>,
}

#[optimize_layout]
struct TxEnv {
    tx_type: u8,
    caller: Address,
    gas_limit: u64,
    gas_price: u128,
    transact_to: Address,
    value: U256,
    data: Bytes,
    nonce: Option<u64>,
    chain_id: Option<u64>,
    access_list: Vec<(Address, Vec<U256>)>,
}

#[optimize_layout]
struct CfgEnv {
    spec_id: u8,
    chain_id: u64,
    disable_nonce_check: bool,
    limit_contract_code_size: Option<usize>,
    memory_limit: u64,
    disable_balance_check: bool,
}

#[optimize_layout]
struct JumpTable {
    analyzed: bool,
    bits: Vec<u8>,
    len: usize,
}

#[optimize_layout]
struct PrecompileOutput {
    reverted: bool,
    gas_used: u64,
    bytes: Bytes,
}

#[optimize_layout]
struct CallOutcome {
    result: u8,
    output: Bytes,
    /// `Gas` is another annotated struct: the macro cannot see its size, so say it.
    #[layout(size = 32, align = 8)]
    gas: Gas,
    memory_offset: (usize, usize),
}

/// A value with its journal checkpoint; generic over the value.
#[optimize_layout]
struct Checkpointed<T>
where
    T: 'static,
{
    dirty: bool,
    value: T,
    checkpoint: usize,
}

#[optimize_layout]
struct CallContext<'a> {
    depth: u16,
    input: &'a [u8],
    is_static: bool,
    caller: &'a Address,
    value: U256,
}

#[optimize_layout]
struct TransientSlot {
    address: Address,
    key: U256,
    value: U256,
}

#[optimize_layout]
struct AccessListItem {
    address: Address,
    storage_keys: Vec<B256>,
}

#[optimize_layout]
struct ExecutionSummary {
    success: bool,
    gas_used: u64,
    halt_reason: u8,
    gas_refunded: u64,
    logs: Vec<Log>,
    output: Option<Bytes>,
    touched: BTreeSet<[u8; 20]>,
}

#[optimize_layout]
struct InterpreterRegisters {
    is_static: bool,
    stack: Vec<U256>,
    memory: Vec<u8>,
    #[layout(hot)]
    pc: usize,
    depth: u16,
    #[layout(hot)]
    gas_remaining: u64,
    return_data: Bytes,
}

#[optimize_layout]
struct CallStackEntry {
    kind: u8,
    frame: Box<Frame>,
    return_offset: u32,
    parent: Option<Box<CallStackEntry>>,
}

#[optimize_layout]
struct FeeMarket {
    burned: bool,
    base_fee: u128,
    priority: u64,
    blob_base_fee: u128,
}

#[optimize_layout(keep_order)]
struct AbiReceipt {
    status: u8,
    cumulative_gas: u64,
    logs_bloom_prefix: [u8; 20],
}

/// Asserts that the macro's report agrees with an independent measurement, field by
/// field, and returns it.
fn agrees(report: LayoutReport, measured: LayoutReport) -> LayoutReport {
    assert_eq!(report.size(), measured.size(), "{}", report.name());
    assert_eq!(report.align(), measured.align(), "{}", report.name());
    assert_eq!(report.fields().len(), measured.fields().len());
    for field in measured.fields() {
        let reported = report.field(&field.name).expect("every field is reported");
        assert_eq!(
            (
                reported.offset,
                reported.size,
                reported.align,
                reported.declared_index
            ),
            (field.offset, field.size, field.align, field.declared_index),
            "{}.{}",
            report.name(),
            field.name
        );
    }
    report
}

/// Minimal size, no interior padding, and the expected number of bytes.
fn optimal(report: &LayoutReport, size: usize) {
    assert_eq!(report.size(), size, "{report}");
    assert_eq!(report.size(), report.optimal_size(), "{report}");
    assert_eq!(report.interior_padding_bytes(), 0, "{report}");
    assert!(report.is_reordered());
}

macro_rules! check {
    ($ty:ident $(<$($arg:tt),+>)? { $($field:ident),+ $(,)? } => $size:expr) => {{
        let report = agrees(
            <$ty $(<$($arg),+>)? as Layout>::layout_report(),
            layout_of!($ty $(<$($arg),+>)? { $($field),+ }),
        );
        optimal(&report, $size);
        report
    }};
}

#[test]
fn frame() {
    let report = check!(Frame { is_static, gas_limit, depth, value, memory, kind } => 72);
    assert_eq!(report.declared_size(), 88);
    assert_eq!(report.saved_bytes(), 16);
    let names: Vec<&str> = report.fields().iter().map(|f| &*f.name).collect();
    assert_eq!(
        names,
        ["gas_limit", "value", "memory", "depth", "is_static", "kind"]
    );
}

#[test]
fn gas_and_call_inputs() {
    check!(Gas { exhausted, limit, memory_words, remaining, refunded } => 32);
    let report = check!(CallInputs {
        scheme, input, is_static, return_memory_offset, gas_limit,
        bytecode_address, target_address, caller, value, is_eof
    } => 152);
    assert_eq!(report.declared_size(), 176);
    check!(CreateInputs { caller, scheme, value, init_code, gas_limit, salt } => 136);
}

#[test]
fn journal_log_account() {
    check!(JournalEntry { kind, address, is_cold, key, had_value } => 88);
    check!(Log { removed, address, log_index, topics, data } => 88);
    check!(Account { status, balance, is_empty, nonce, code_hash, code } => 96);
    check!(StorageSlot { is_cold, original_value, present_value } => 72);
}

#[test]
fn interpreter_state() {
    check!(Stack { limit, data, overflowed } => 32);
    check!(SharedMemory { child, buffer, context_depth, checkpoints, last_checkpoint, memory_limit } => 72);
    check!(JumpTable { analyzed, bits, len } => 40);
    check!(PrecompileOutput { reverted, gas_used, bytes } => 48);
    check!(CallOutcome { result, output, gas, memory_offset } => 88);
    check!(CallStackEntry { kind, frame, return_offset, parent } => 24);
}

#[test]
fn environments() {
    check!(BlockEnv {
        number, coinbase, timestamp, gas_limit, basefee, difficulty, prevrandao, blob_excess_gas
    } => 136);
    check!(TxEnv {
        tx_type, caller, gas_limit, gas_price, transact_to, value, data, nonce, chain_id, access_list
    } => 192);
    check!(CfgEnv {
        spec_id, chain_id, disable_nonce_check, limit_contract_code_size, memory_limit,
        disable_balance_check
    } => 40);
    check!(AccessListItem { address, storage_keys } => 48);
    check!(TransientSlot { address, key, value } => 88);
    check!(FeeMarket { burned, base_fee, priority, blob_base_fee } => 48);
    check!(ExecutionSummary {
        success, gas_used, halt_reason, gas_refunded, logs, output, touched
    } => 104);
}

#[test]
fn generics_and_lifetimes() {
    let report = check!(Checkpointed<u64> { dirty, value, checkpoint } => 24);
    assert_eq!(report.name(), "Checkpointed<T>");
    check!(Checkpointed<U256> { dirty, value, checkpoint } => 48);
    check!(CallContext<'static> { depth, input, is_static, caller, value } => 64);
}

#[test]
fn hot_fields_lead() {
    let report = agrees(
        InterpreterRegisters::layout_report(),
        layout_of!(InterpreterRegisters {
            is_static,
            stack,
            memory,
            pc,
            depth,
            gas_remaining,
            return_data
        }),
    );
    let first: Vec<&str> = report.fields()[..2].iter().map(|f| &*f.name).collect();
    assert_eq!(first, ["pc", "gas_remaining"]);
    assert!(report.fields()[..2].iter().all(|f| f.hot));
    // Both hot fields are word-sized, so hot-first costs nothing here.
    optimal(&report, 104);
}

#[test]
fn keep_order_reports_what_reordering_would_save() {
    let report = agrees(
        AbiReceipt::layout_report(),
        layout_of!(AbiReceipt {
            status,
            cumulative_gas,
            logs_bloom_prefix
        }),
    );
    assert_eq!(report.arrangement(), Arrangement::Declared);
    assert_eq!((report.size(), report.optimal_size()), (40, 32));
    assert_eq!(report.interior_padding_bytes(), 7);
}

#[test]
fn construction_and_patterns_are_order_independent() {
    let frame = Frame {
        kind: 1,
        memory: vec![0x60],
        value: [1, 0, 0, 0],
        depth: 2,
        gas_limit: 21_000,
        is_static: true,
    };
    let Frame {
        depth,
        gas_limit,
        memory,
        ..
    } = frame;
    assert_eq!((depth, gas_limit, memory), (2, 21_000, vec![0x60]));
}

#[test]
fn registry_lists_every_concrete_struct() {
    let reports = evm_pool::layout::all();
    let names: Vec<&str> = reports.iter().map(|r| r.name()).collect();
    // Generic `Checkpointed<T>` has no single layout and is not registered.
    assert_eq!(reports.len(), 24, "{names:?}");
    assert!(names.contains(&"CallContext<'a>"));
    assert!(!names.iter().any(|name| name.starts_with("Checkpointed")));
    for report in &reports {
        assert!(report.size() <= report.declared_size(), "{report}");
    }
}

/// The bytes saved on these structs, against their declared order under `repr(C)`
/// (printed with `--nocapture`).
#[test]
fn bytes_saved_on_realistic_structs() {
    let mut reports = evm_pool::layout::all();
    reports.push(Checkpointed::<u64>::layout_report());
    reports.sort_by_key(|report| std::cmp::Reverse(report.saved_bytes()));
    let (mut declared, mut optimized) = (0, 0);
    println!(
        "{:<24} {:>8} {:>9} {:>5}",
        "struct", "declared", "optimized", "saved"
    );
    for report in &reports {
        println!(
            "{:<24} {:>8} {:>9} {:>5}",
            report.name(),
            report.declared_size(),
            report.size(),
            report.saved_bytes()
        );
        declared += report.declared_size();
        optimized += report.size();
    }
    println!(
        "{:<24} {declared:>8} {optimized:>9} {:>5}",
        "total",
        declared - optimized
    );
    assert!(optimized < declared);
    #[cfg(target_pointer_width = "64")]
    assert_eq!((declared, optimized), (2072, 1928));
}
