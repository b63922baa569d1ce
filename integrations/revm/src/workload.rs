//! The workloads the main job, the benchmarks and the equivalence tests run: revm's
//! benchmark contracts plus call-heavy programs built from opcodes.
//!
//! A [`Workload`] is an in-memory database and a list of transactions. Running a
//! workload once means executing each transaction in order with
//! [`ExecuteEvm::transact`](revm::ExecuteEvm::transact), which does not commit, so every
//! repetition starts from the same state and gives the same result.

use crate::asm::Asm;
use revm::MainContext;
use revm::bytecode::{Bytecode, opcode::*};
use revm::context::{Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::MainnetContext;
use revm::primitives::{Address, Bytes, TxKind, U256, address, hex};
use revm::state::AccountInfo;

/// The database every workload uses: revm's in-memory cache over an empty backend.
pub type WorkloadDb = CacheDB<EmptyDB>;

/// The context both EVMs run on (mainnet types over [`WorkloadDb`]).
pub type EvmContext = MainnetContext<WorkloadDb>;

/// The account that sends every workload transaction.
pub const CALLER: Address = address!("0x1000000000000000000000000000000000000001");
/// The contract a workload's transactions call.
pub const TARGET: Address = address!("0x2000000000000000000000000000000000000002");
/// A second contract (the callee of the call loop).
pub const CALLEE: Address = address!("0x3000000000000000000000000000000000000003");

const SNAILTRACER_HEX: &str = include_str!("../data/snailtracer.hex");
const ANALYSIS_HEX: &str = include_str!("../data/analysis.hex");

/// One benchmark program: a database and the transactions run against it.
///
/// ```
/// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
///
/// let w = Workload::transfers(3);
/// assert_eq!((w.name, w.txs.len()), ("transfers", 3));
/// let mut evm = StockEvm::new(w.context());
/// for tx in &w.txs {
///     assert!(TxOutcome::from_result(evm.transact(tx.clone())).is_success());
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Workload {
    /// Short name (table rows, benchmark ids).
    pub name: &'static str,
    /// What the workload exercises.
    pub description: &'static str,
    /// Initial state.
    pub db: WorkloadDb,
    /// Transactions executed in order, each from the initial state.
    pub txs: Vec<TxEnv>,
}

impl Workload {
    /// All workloads of the main job, in table order.
    ///
    /// ```
    /// let names: Vec<_> = evm_pool_revm::workload::Workload::all()
    ///     .iter()
    ///     .map(|w| w.name)
    ///     .collect();
    /// assert_eq!(
    ///     names,
    ///     ["snailtracer", "analysis", "call-loop-1000", "call-chain-1024", "transfers"]
    /// );
    /// ```
    pub fn all() -> Vec<Workload> {
        vec![
            Self::snailtracer(),
            Self::analysis(),
            Self::call_loop(1000),
            Self::call_chain(),
            Self::transfers(16),
        ]
    }

    /// revm's `snailtracer` benchmark: a ray tracer in Solidity (arithmetic, memory,
    /// internal calls), called with selector `0x30627b7c`.
    ///
    /// ```
    /// let w = evm_pool_revm::workload::Workload::snailtracer();
    /// assert_eq!((w.name, w.txs.len()), ("snailtracer", 1));
    /// ```
    pub fn snailtracer() -> Workload {
        Self::bench_contract(
            "snailtracer",
            "ray tracer in Solidity: arithmetic, memory, internal jumps",
            SNAILTRACER_HEX,
            [0x30, 0x62, 0x7b, 0x7c],
            1_000_000_000,
        )
    }

    /// revm's `analysis` benchmark: a contract that stresses bytecode analysis, called
    /// with selector `0x8035F0CE`.
    ///
    /// ```
    /// let w = evm_pool_revm::workload::Workload::analysis();
    /// assert_eq!(w.name, "analysis");
    /// ```
    pub fn analysis() -> Workload {
        Self::bench_contract(
            "analysis",
            "revm's bytecode-analysis benchmark contract",
            ANALYSIS_HEX,
            [0x80, 0x35, 0xf0, 0xce],
            1_000_000_000,
        )
    }

    fn bench_contract(
        name: &'static str,
        description: &'static str,
        hex_code: &str,
        selector: [u8; 4],
        gas_limit: u64,
    ) -> Workload {
        // The data files are part of the crate (include_str!), so a decode failure is a
        // packaging bug caught by every test; there is no user input here.
        let code = hex::decode(hex_code.trim()).expect("bundled benchmark bytecode is valid hex");
        let mut db = base_db();
        insert_contract(&mut db, TARGET, code.into());
        Workload {
            name,
            description,
            db,
            txs: vec![call_tx(
                TARGET,
                Bytes::copy_from_slice(&selector),
                gas_limit,
            )],
        }
    }

    /// A loop of `calls` `CALL`s into a contract that just `STOP`s (revm's `subcall`
    /// benchmark, built from opcodes).
    ///
    /// ```
    /// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
    ///
    /// let w = Workload::call_loop(5);
    /// let mut evm = StockEvm::new(w.context());
    /// assert!(TxOutcome::from_result(evm.transact(w.txs[0].clone())).is_success());
    /// ```
    pub fn call_loop(calls: u64) -> Workload {
        let mut asm = Asm::new();
        let top = asm.new_label();
        let end = asm.new_label();
        asm.push(calls);
        asm.jumpdest(top);
        asm.op(DUP1).op(ISZERO).jumpi(end);
        // CALL(gas, CALLEE, 0, 0, 0, 0, 0)
        asm.ops(&[PUSH0, PUSH0, PUSH0, PUSH0, PUSH0])
            .push_address(CALLEE)
            .op(GAS)
            .op(CALL)
            .op(POP);
        asm.push(1).op(SWAP1).op(SUB).jump(top);
        asm.jumpdest(end);
        asm.op(STOP);
        let mut db = base_db();
        insert_contract(&mut db, TARGET, build(&asm));
        insert_contract(&mut db, CALLEE, Bytes::from_static(&[STOP]));
        Workload {
            name: "call-loop-1000",
            description: "1000 CALLs into a contract that STOPs",
            db,
            txs: vec![call_tx(TARGET, Bytes::new(), 100_000_000)],
        }
    }

    /// A contract that calls itself with all its gas until the call depth limit (1024)
    /// stops the recursion.
    ///
    /// ```
    /// // The crate docs run it on both EVMs; here, its shape.
    /// let w = evm_pool_revm::workload::Workload::call_chain();
    /// assert_eq!((w.name, w.txs.len()), ("call-chain-1024", 1));
    /// ```
    pub fn call_chain() -> Workload {
        let mut asm = Asm::new();
        // CALL(gas, ADDRESS, 0, 0, 0, 0, 0); STOP
        asm.ops(&[PUSH0, PUSH0, PUSH0, PUSH0, PUSH0, ADDRESS, GAS, CALL, STOP]);
        let mut db = base_db();
        insert_contract(&mut db, TARGET, build(&asm));
        Workload {
            name: "call-chain-1024",
            description: "a contract calling itself with all gas until depth 1024",
            db,
            txs: vec![call_tx(TARGET, Bytes::new(), 1_000_000_000_000)],
        }
    }

    /// `count` plain value transfers to distinct, fresh accounts.
    ///
    /// ```
    /// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
    ///
    /// let w = Workload::transfers(2);
    /// let mut evm = StockEvm::new(w.context());
    /// let outcome = TxOutcome::from_result(evm.transact(w.txs[1].clone()));
    /// assert_eq!(outcome.gas_used, 21_000);
    /// ```
    pub fn transfers(count: u64) -> Workload {
        let txs = (0..count)
            .map(|i| TxEnv {
                caller: CALLER,
                kind: TxKind::Call(Address::with_last_byte(0x40).create(i)),
                value: U256::from(1_000 + i),
                gas_limit: 21_000,
                gas_price: 0,
                ..Default::default()
            })
            .collect();
        Workload {
            name: "transfers",
            description: "plain value transfers to fresh accounts",
            db: base_db(),
            txs,
        }
    }

    /// A context over a copy of this workload's database, configured like revm's own
    /// benchmarks (no nonce check, no per-transaction gas cap).
    ///
    /// ```
    /// use evm_pool_revm::{outcome::TxOutcome, stock::StockEvm, workload::Workload};
    ///
    /// let w = Workload::transfers(1);
    /// // Each context gets its own copy of the database: two EVMs never share state.
    /// let (a, b) = (w.context(), w.context());
    /// # let _ = (a, b);
    /// ```
    pub fn context(&self) -> EvmContext {
        context(self.db.clone())
    }
}

/// A mainnet context over `db`, configured like revm's benchmarks: nonce check off and
/// no per-transaction gas cap (EIP-7825), so the deep workloads can carry enough gas.
///
/// ```
/// use evm_pool_revm::{stock::StockEvm, workload::{CALLER, base_db, call_tx, context}};
///
/// let mut evm = StockEvm::new(context(base_db()));
/// let result = evm.transact(call_tx(CALLER, Default::default(), 100_000)).unwrap();
/// assert!(result.result.is_success());
/// ```
pub fn context(db: WorkloadDb) -> EvmContext {
    Context::mainnet().with_db(db).modify_cfg_chained(|cfg| {
        cfg.disable_nonce_check = true;
        cfg.tx_gas_limit_cap = Some(u64::MAX);
    })
}

/// A database holding only a rich [`CALLER`].
///
/// ```
/// use evm_pool_revm::workload::{CALLER, base_db};
///
/// let db = base_db();
/// assert!(db.cache.accounts.contains_key(&CALLER));
/// ```
pub fn base_db() -> WorkloadDb {
    let mut db = CacheDB::new(EmptyDB::new());
    db.insert_account_info(
        CALLER,
        AccountInfo::from_balance(U256::from(10u128.pow(30))),
    );
    db
}

/// Inserts a contract with `code` and a balance of one ether at `address`.
///
/// ```
/// use evm_pool_revm::{asm::Asm, stock::StockEvm, workload::*};
/// use revm::bytecode::opcode::STOP;
///
/// let mut db = base_db();
/// insert_contract(&mut db, TARGET, Asm::new().op(STOP).build()?);
/// let mut evm = StockEvm::new(context(db));
/// assert!(evm.transact(call_tx(TARGET, Default::default(), 100_000))?.result.is_success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn insert_contract(db: &mut WorkloadDb, address: Address, code: Bytes) {
    let mut info = AccountInfo::from_bytecode(Bytecode::new_legacy(code));
    info.balance = U256::from(10u128.pow(18));
    db.insert_account_info(address, info);
}

/// A call from [`CALLER`] to `to` with `data`, zero value and gas price.
///
/// ```
/// use evm_pool_revm::workload::{CALLER, TARGET, call_tx};
///
/// let tx = call_tx(TARGET, vec![0xa9, 0x05, 0x9c, 0xbb].into(), 50_000);
/// assert_eq!((tx.caller, tx.gas_limit), (CALLER, 50_000));
/// ```
pub fn call_tx(to: Address, data: Bytes, gas_limit: u64) -> TxEnv {
    TxEnv {
        caller: CALLER,
        kind: TxKind::Call(to),
        data,
        gas_limit,
        gas_price: 0,
        ..Default::default()
    }
}

fn build(asm: &Asm) -> Bytes {
    // Workload programs are fixed in this file and their labels are always placed; the
    // unit tests below build every one of them.
    asm.build().expect("workload programs are well-formed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_has_transactions_and_code() {
        for w in Workload::all() {
            assert!(!w.txs.is_empty(), "{}", w.name);
        }
        let snail = Workload::snailtracer();
        assert!(
            snail.db.cache.accounts[&TARGET]
                .info
                .code
                .as_ref()
                .unwrap()
                .len()
                > 1000
        );
    }
}
