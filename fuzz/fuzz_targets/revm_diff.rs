//! Differential fuzzing of the revm integration: the pooled EVM must give exactly stock
//! revm's observable result (status and halt reason, gas used and refunded, output,
//! logs, state changes) for
//!
//! - arbitrary bytecode (the fuzzer's bytes, as the called contract's code, with
//!   arbitrary calldata, gas and value), which reaches every opcode, invalid jumps,
//!   stack underflows and overflows, and halts at any point; and
//! - the call-heavy programs of `evm_pool_revm::programs::generate` from a fuzzed seed
//!   (nested calls of every kind, creates, reverts and halts at chosen depths, depth-limit
//!   recursion).
//!
//! Every transaction runs twice on the same pooled EVM, so recycled frames, stacks and
//! call inputs are compared as well as fresh ones.
#![no_main]

use arbitrary::Arbitrary;
use evm_pool_revm::outcome::TxOutcome;
use evm_pool_revm::pooled::PooledEvm;
use evm_pool_revm::programs::{contract_address, generate};
use evm_pool_revm::revm::ExecuteEvm;
use evm_pool_revm::revm::context::TxEnv;
use evm_pool_revm::revm::primitives::{Bytes, U256};
use evm_pool_revm::stock::StockEvm;
use evm_pool_revm::workload::{WorkloadDb, base_db, call_tx, context, insert_contract};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Case {
    /// Raw bytecode for contract 0, called with `calldata`.
    Code {
        code: Vec<u8>,
        calldata: Vec<u8>,
        gas: u32,
        value: u16,
    },
    /// A generated program.
    Program { seed: u64 },
}

fuzz_target!(|case: Case| {
    let (db, tx): (WorkloadDb, TxEnv) = match case {
        Case::Code {
            code,
            calldata,
            gas,
            value,
        } => {
            let mut db = base_db();
            let target = contract_address(0);
            insert_contract(&mut db, target, Bytes::from(code));
            let mut tx = call_tx(target, Bytes::from(calldata), 21_000 + u64::from(gas));
            tx.value = U256::from(value);
            (db, tx)
        }
        Case::Program { seed } => {
            let program = generate(seed);
            if program.deep {
                // Depth-limit recursion: ~1000x the work of the others, and covered by
                // tests/revm_equivalence.rs; keep fuzzing throughput up.
                return;
            }
            (program.db, program.tx)
        }
    };
    let mut stock = StockEvm::new(context(db.clone()));
    let mut pooled = PooledEvm::new(context(db));
    let expected = TxOutcome::from_result(stock.transact(tx.clone()));
    for round in 0..2 {
        let got = TxOutcome::from_result(pooled.transact(tx.clone()));
        if let Some(diff) = expected.difference(&got) {
            panic!("round {round}: pooled differs from stock in {diff}");
        }
    }
});
